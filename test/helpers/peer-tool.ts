/**
 * Skip-or-fail for tests that need a Debian peer tool: outside CI a missing tool skips the test
 * with one line naming the package; with CI set the test runs anyway (and fails on the missing
 * tool), so a CI machine without the package can never pass by skipping.
 *
 *   t.test('tshark reads it', { skip: needTool(hasTshark(), 'tshark', 'tshark') }, ...)
 */
export function needTool(available: boolean, tool: string, debianPackage: string): false | string {
  if (available) return false;
  if (process.env.CI) return false;
  return `${tool} not installed (Debian package ${debianPackage})`;
}
