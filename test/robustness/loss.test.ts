/**
 * Loss through the real gateway: Kannel's fakewap with `-l 20` (it drops a fifth of what it
 * receives) posts 10 MMS bodies, each distinct; the origin counts them by SHA-256: every POST
 * reached the MMSC exactly once, none twice, and fakewap got its answers. The full comparison with
 * Kannel (GET time per transaction at 10 % loss, 5 handsets) is bench/robustness/loss.js.
 * The simulated-link cases (5-30 % loss, duplication, reordering) are test/wtp/pair.test.ts.
 */
import { spawnSync } from 'node:child_process';
import t from 'tap';
import { hasFakewap, NO_FAKEWAP } from '../helpers/fakewap';

t.test('fakewap -l 20: every MMS POST reaches the MMSC exactly once', { skip: hasFakewap() ? false : NO_FAKEWAP }, async (t) => {
  const r = spawnSync(
    process.execPath,
    ['bench/robustness/loss.js', '--requests', '0', '--posts', '10', '--handsets', '5', '--post-loss', '20', '--skip-kannel', '--json'],
    { encoding: 'utf8', timeout: 90000 },
  );
  let res: { post: Array<Record<string, number>>; failures: string[] };
  try {
    res = JSON.parse(r.stdout.trim().split('\n').pop() ?? '');
  } catch {
    t.fail(`no JSON result: ${r.stdout} ${r.stderr}`);
    return;
  }
  const p = res.post[0]!;
  t.equal(p.posts, 10);
  t.equal(p.reachedTwiceOrMore, 0, 'no POST reached the MMSC twice');
  // fakewap gives a message 10 s from its send (then PANICs "Failed to receive entire
  // message"); with our 2 s retry timer that is 5 copies of the Result, all dropped with
  // probability 0.2^5 per POST: rare, but not never, and a limit of fakewap, not ours
  t.ok((p.answered ?? 0) >= 9, `fakewap got ${p.answered}/10 answers`);
  t.equal(p.reachedOnce, 10, 'every POST reached the MMSC once');
  t.same(res.failures, []);
});
