import type t from 'tap';

/** The type of the `t` that tap passes to a subtest (`t.test(name, async (t) => ...)`). */
export type Tap = Parameters<Parameters<typeof t.test>[0]>[0];
