// The open-addressing index of the finished transactions (src/wtp/key-index.ts), against a Map as
// the model: random inserts, updates and deletes (with the backward shift that replaces
// tombstones), keys past 2^32, growth, clear.
import t, { type Test } from 'tap';
import { KeyIndex } from '../../src/wtp/key-index';
import { seeded } from '../helpers/rng';

function agrees(t: Test, ix: KeyIndex, model: Map<number, number>, probes: number[]): void {
  t.equal(ix.size, model.size, 'same size');
  let bad = 0;
  for (const k of probes) if (ix.get(k) !== (model.get(k) ?? -1)) bad++;
  t.equal(bad, 0, 'every probe answers as the model');
}

t.test('random operations agree with a Map', async (t) => {
  for (const [seed, space] of [
    [1, 64],
    [2, 3000],
    [3, 200000],
  ] as const) {
    const r = seeded(seed);
    // keys as the responder makes them: peer number x 2^15 + TID, some peer numbers large
    const keyOf = (): number => Math.floor(r() * space) * 0x8000 + Math.floor(r() * 8) + (r() < 0.05 ? 2 ** 40 : 0);
    const ix = new KeyIndex();
    const model = new Map<number, number>();
    const seen: number[] = [];
    for (let i = 0; i < 20000; i++) {
      const k = keyOf();
      seen.push(k);
      const op = r();
      if (op < 0.55) {
        const slot = Math.floor(r() * 1e6);
        ix.set(k, slot);
        model.set(k, slot);
      } else if (op < 0.9) {
        t.equal(ix.delete(k), model.get(k) ?? -1, 'delete answers the slot held');
        model.delete(k);
      } else {
        const del = [...model.keys()][Math.floor(r() * model.size)];
        if (del !== undefined) {
          ix.delete(del);
          model.delete(del);
        }
      }
    }
    agrees(t, ix, model, [...seen, ...model.keys()]);
  }
});

t.test('a run of colliding keys survives deletes from its middle', async (t) => {
  const ix = new KeyIndex();
  const model = new Map<number, number>();
  // sequential keys of one peer, as a handset's TIDs are
  for (let tid = 0; tid < 700; tid++) {
    ix.set(5 * 0x8000 + tid, tid);
    model.set(5 * 0x8000 + tid, tid);
  }
  for (let tid = 0; tid < 700; tid += 3) {
    t.equal(ix.delete(5 * 0x8000 + tid), tid);
    model.delete(5 * 0x8000 + tid);
  }
  t.equal(ix.delete(5 * 0x8000), -1, 'a key deleted twice is not held');
  agrees(t, ix, model, Array.from({ length: 800 }, (_, i) => 5 * 0x8000 + i));
});

t.test('grows past its first capacity and clears', async (t) => {
  const ix = new KeyIndex();
  for (let i = 0; i < 50000; i++) ix.set(i * 7919, i);
  t.equal(ix.size, 50000);
  t.equal(ix.get(49999 * 7919), 49999);
  t.equal(ix.get(7919 * 50000), -1);
  ix.set(0, 42);
  t.equal(ix.get(0), 42, 'set on a held key replaces its slot');
  t.equal(ix.size, 50000, 'and does not count it twice');
  ix.clear();
  t.equal(ix.size, 0);
  t.equal(ix.get(7919), -1);
  ix.set(7919, 1);
  t.equal(ix.get(7919), 1, 'usable after clear');
});
