/**
 * Tests that need a Debian peer tool: outside CI they skip with one line naming the package;
 * with `CI` set (.ci/run installs every package) a missing tool is a failure, not a skip.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Tap } from './tap';

/** True when `cmd` runs (an absolute path that exists, or a name found on PATH). */
export function toolAvailable(cmd: string): boolean {
  if (cmd.startsWith('/')) return existsSync(cmd);
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/**
 * False (after skipping, or failing under CI) when `cmd` is missing; true when it can be used.
 * `what` names the Debian package, e.g. 'promtool (Debian prometheus)'.
 */
export function requireTool(t: Tap, cmd: string, what: string): boolean {
  if (toolAvailable(cmd)) return true;
  if (process.env.CI) t.fail(`${what} is not installed, and CI is set: .ci/run installs it`);
  else skip(t, `${what} is not installed: apt-get install it to run this test`);
  return false;
}

/**
 * Reports one skipped test named `why` (tap's `t.skip(name)` with no function: its types ask for
 * one, the runtime does not).
 */
export function skip(t: Tap, why: string): void {
  (t.skip as unknown as (name: string) => void).call(t, why);
}
