/**
 * The value of a call that answers synchronously when its store does (`Awaitable<T>`): throws if
 * it returned a promise, so a test of the synchronous path cannot pass on a pending promise.
 */
export function sync<T>(x: T | Promise<T>): T {
  if (x instanceof Promise) throw new Error('expected a synchronous answer, got a promise');
  return x;
}
