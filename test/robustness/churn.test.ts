/**
 * Peer churn, small: 1 000 new peers (one socket each, distinct source ports) each send a WSP
 * Connect at 1 600/s to a running gateway (node dist/cli.js); every one gets its ConnectReply,
 * and with wsp.sessionIdleTimeoutMs 1 s the sessions they leave behind are gone 4 s later.
 * The 20 000-peer burst is bench/robustness/churn.js without options.
 */
import { spawnSync } from 'node:child_process';
import t from 'tap';

t.test('1 000 new peers at 1 600/s: all answered, sessions expire', async (t) => {
  const r = spawnSync(process.execPath, ['bench/robustness/churn.js', '--peers', '1000', '--rate', '1600', '--idle-ms', '1000', '--linger', '4', '--json'], {
    encoding: 'utf8',
    timeout: 60000,
  });
  let res: Record<string, any>;
  try {
    res = JSON.parse(r.stdout.trim().split('\n').pop() ?? '');
  } catch {
    t.fail(`no JSON result: ${r.stdout} ${r.stderr}`);
    return;
  }
  t.equal(res.answered, 1000, `every Connect answered (${JSON.stringify(res.outcomes)})`);
  t.ok(res.afterBurst.wspSessions > 0, `sessions held after the burst (${res.afterBurst.wspSessions})`);
  t.equal(res.series.at(-1).wspSessions, 0, 'no session left after the idle timeout');
  t.ok(res.rssMb.max < 200, `RSS ${res.rssMb.max} MB`);
  t.same(res.failures, []);
});
