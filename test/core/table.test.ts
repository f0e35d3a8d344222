// The table engine's flat grid of rows (src/core/table.ts rowGrid): every (state, event) pair at
// state number x events + event number, in table order, and a machine whose name -> number
// switches disagree with its STATES/EVENTS refused at load.
import t from 'tap';
import { rowGrid } from '../../src/core/table';

const STATES = ['A', 'B'] as const;
const EVENTS = ['x', 'y', 'z'] as const;
type S = (typeof STATES)[number];
type E = (typeof EVENTS)[number];
const sNo = (s: S): number => (s === 'A' ? 0 : 1);
const eNo = (e: E): number => (e === 'x' ? 0 : e === 'y' ? 1 : 2);

t.test('rowGrid: the rows of each pair at its number, in table order; empty pairs empty', async (t) => {
  const rows = [
    { from: 'A', on: 'y', n: 1 },
    { from: 'B', on: 'z', n: 2 },
    { from: 'A', on: 'y', n: 3 },
  ];
  const grid = rowGrid('WTP', rows, STATES, EVENTS, sNo, eNo);
  t.equal(grid.length, STATES.length * EVENTS.length);
  t.same(grid[sNo('A') * EVENTS.length + eNo('y')]?.map((r) => r.n), [1, 3]);
  t.same(grid[sNo('B') * EVENTS.length + eNo('z')]?.map((r) => r.n), [2]);
  t.same(grid[sNo('B') * EVENTS.length + eNo('x')], []);
});

t.test('rowGrid: switches out of step with STATES or EVENTS are refused', async (t) => {
  t.throws(() => rowGrid('WSP', [], STATES, EVENTS, (s) => (s === 'A' ? 1 : 0), eNo), /WSP machine: stateNo\/eventNo out of step/);
  t.throws(() => rowGrid('WTP', [], STATES, EVENTS, sNo, () => 0), /WTP machine/);
});
