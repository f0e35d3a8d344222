/**
 * The short live UDP fuzz: bench/robustness/fuzz-live.js with 5 000 held-out mutated
 * datagrams against a running gateway (node dist/cli.js) while fakewap keeps doing GETs.
 * The full run (200 000 datagrams) is the same script without --count.
 */
import { spawnSync } from 'node:child_process';
import t from 'tap';
import { hasFakewap } from '../helpers/fakewap';

t.test('5 000 mutated datagrams: alive, bounded, still answering, no amplification', async (t) => {
  const r = spawnSync(process.execPath, ['bench/robustness/fuzz-live.js', '--count', '5000', '--settle', '800', '--json', '--seed', String(Date.now() & 0xffff)], {
    encoding: 'utf8',
    timeout: 60000,
  });
  const last = r.stdout.trim().split('\n').pop() ?? '';
  let res: Record<string, any>;
  try {
    res = JSON.parse(last);
  } catch {
    t.fail(`no JSON result; stderr: ${r.stderr}`);
    return;
  }
  t.equal(res.datagrams, 5000, 'all datagrams sent');
  t.ok(res.alive, 'gateway alive');
  t.equal(res.healthz, 200, '/healthz 200');
  t.ok(res.rssMb.max < 200, `RSS max ${res.rssMb.max} MB < 200`);
  t.ok(res.peers >= 128, `${res.peers} source ports`);
  t.ok(res.amplificationWtp.strictPeers > 0, 'some peers never verified a TID');
  t.ok(res.amplificationWtp.worstPeer.ratio <= 1, `WTP amplification toward unverified peers ${res.amplificationWtp.worstPeer.ratio} <= 1`);
  t.ok(res.gateway.decodeErrors > 0, 'the gateway saw (and counted) malformed input');
  if (hasFakewap()) {
    t.ok(res.client.ok > 0, `fakewap answered during the fuzz (${res.client.ok} OK)`);
    t.equal(res.clientAfter.ok, 3, 'fakewap answered after the fuzz');
  }
  t.same(res.failures, [], 'no failed check');
  t.equal(r.status, 0, 'script exit 0');
});
