/**
 * The one table engine of the protocol machines (the WTP responder, WAP-224 Appendix B, and the
 * WSP server session, WAP-230 §7.1.4): a machine is rows of data, `{ from, on, when, ... }`, and
 * for a given state, event and transaction exactly one row's guards hold. `selectRow` finds it
 * and throws a typed error when none or several do, because either is a bug in the table, never
 * a protocol event: a deliberate "do nothing" is a row of its own (an explicit ignore).
 */
import { WapgwError } from './errors';

/** Codes thrown by `selectRow`, by machine. */
export const NO_ROW = { WTP: 'ERR_WTP_NO_ROW', WSP: 'ERR_WSP_NO_ROW' } as const;
export const AMBIGUOUS_ROW = { WTP: 'ERR_WTP_AMBIGUOUS_ROW', WSP: 'ERR_WSP_AMBIGUOUS_ROW' } as const;
export type Machine = keyof typeof NO_ROW;

/** True for the errors `selectRow` throws (for callers that report them instead of crashing). */
export const isTableError = (err: unknown): err is WapgwError =>
  err instanceof WapgwError && (Object.values(NO_ROW) as string[]).concat(Object.values(AMBIGUOUS_ROW)).includes(err.code);

/** Rows grouped by (state, event), in table order: derived from the table, never edited by hand. */
export function indexRows<R extends { from: string; on: string }>(rows: readonly R[]): ReadonlyMap<string, readonly R[]> {
  const by = new Map<string, R[]>();
  for (const r of rows) {
    const k = pairKey(r.from, r.on);
    const list = by.get(k);
    if (list) list.push(r);
    else by.set(k, [r]);
  }
  return by;
}

export const pairKey = (state: string, event: string): string => `${state} ${event}`;

/**
 * The rows of a machine in one flat list by (state number x events.length + event number), the
 * numbers being the positions in `states` and `events`: what a step reads on every event, one
 * array index instead of two Map lookups by name. `stateNo` and `eventNo` are the machine's
 * switches over the names (cheaper than a lookup); they are checked here against `states` and
 * `events`, which stay the one definition of the numbering, and a machine whose switches are out
 * of step with them does not load.
 */
export function rowGrid<R extends { from: string; on: string }, S extends string, E extends string>(
  machine: Machine,
  rows: readonly R[],
  states: readonly S[],
  events: readonly E[],
  stateNo: (s: S) => number,
  eventNo: (e: E) => number,
): ReadonlyArray<readonly R[]> {
  if (!states.every((s, i) => stateNo(s) === i) || !events.every((e, i) => eventNo(e) === i)) throw new Error(`${machine} machine: stateNo/eventNo out of step with its STATES/EVENTS`);
  const by = indexRows(rows);
  const none: readonly R[] = [];
  return states.flatMap((s) => events.map((e) => by.get(pairKey(s, e)) ?? none));
}

/** The one row among `candidates` (the rows of one (state, event)) whose guards hold. */
export function selectRow<R>(machine: Machine, state: string, event: string, candidates: readonly R[], holds: (r: R) => boolean): R {
  let found: R | undefined;
  let n = 0;
  for (const r of candidates) {
    if (!holds(r)) continue;
    n++;
    found = r;
  }
  if (n === 1) return found as R;
  throw rowError(machine, state, event, n);
}

/** The error for `n` (not one) matching rows: what `selectRow` and a machine's own loop over its candidates throw. */
export function rowError(machine: Machine, state: string, event: string, n: number): WapgwError {
  const code = n === 0 ? NO_ROW[machine] : AMBIGUOUS_ROW[machine];
  return new WapgwError(code, `${machine}: ${n} rows match ${event} in ${state}`);
}

/** Completeness: the (state, event) pairs with no row at all. */
export function missingPairs<S extends string, E extends string>(states: readonly S[], events: readonly E[], index: ReadonlyMap<string, readonly unknown[]>): Array<[S, E]> {
  const out: Array<[S, E]> = [];
  for (const s of states) for (const e of events) if (!index.get(pairKey(s, e))?.length) out.push([s, e]);
  return out;
}
