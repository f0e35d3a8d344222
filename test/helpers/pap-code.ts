/** The PAP status code a call throws (WAP-247 §9.13), -1 for another error, undefined when it does not throw. */
import { PapError } from '../../src/ppg/pap';

export const papCode = (fn: () => unknown): number | undefined => {
  try {
    fn();
  } catch (e) {
    return e instanceof PapError ? e.papCode : -1;
  }
  return undefined;
};
