/**
 * MMSC faults against a running gateway (node dist/cli.js), for both ways in: a WSP GET in a
 * session (TypeScript handset over UDP) and an HTTP GET through the proxy. The MMSC is down,
 * slower than mmsc.timeoutMs, resets mid-body, answers bytes that are not HTTP, or answers 503.
 * Each has a defined reaction for the phone (the status below), the gateway recovers when the
 * MMSC does, and nothing leaks: after three rounds of every fault the gateway's open file
 * descriptors (/proc/PID/fd) and in-flight counters are back where they were, and RSS is flat.
 */
import http from 'node:http';
import { readdirSync, readFileSync } from 'node:fs';
import t from 'tap';
import { startFaultOrigin, type FaultMode } from '../helpers/fault-origin';
import { startGateway, tempDir, writeTestConfig } from '../helpers/gateway-process';
import { Handset } from '../helpers/wsp-handset';

const fds = (pid: number) => readdirSync(`/proc/${pid}/fd`).length;
const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

/** The proxy's status, or 'cut' when the response started and then the connection broke. */
function proxyGet(port: number, url: string): Promise<number | 'cut'> {
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, path: url, agent: false, timeout: 8000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.complete ? (res.statusCode ?? 0) : 'cut'));
      res.on('error', () => resolve('cut'));
    });
    req.on('error', () => resolve(-1));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

function adminJson(port: number, path: string): Promise<any> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path }, (res) => {
        let b = '';
        res.on('data', (d) => (b += d));
        res.on('end', () => resolve(JSON.parse(b)));
      })
      .on('error', reject);
  });
}

// what the phone gets, per fault: the WSP Reply status (the gateway holds the whole reply
// before answering), and the proxy's HTTP status; the proxy streams, so a reset after the
// MMSC's headers reaches the phone as a cut connection (200 and a short body, never a
// complete-looking one)
const EXPECTED: Record<FaultMode | 'down', number> = { ok: 200, down: 502, slow: 504, reset: 502, garbage: 502, '5xx': 503 };
const EXPECTED_PROXY: Record<FaultMode | 'down', number | 'cut'> = { ...EXPECTED, reset: 'cut' };

t.test('MMSC down, slow, reset mid-body, garbage, 5xx: defined statuses, recovery, no leak', async (t) => {
  const origin = await startFaultOrigin();
  const dir = tempDir();
  const cfg = writeTestConfig(dir, {
    mmsc: { url: `${origin.url}/mms`, timeoutMs: 400 },
    proxy: { requireSubscriber: false },
    wtp: { ackIntervalMs: 300 },
    demoMmsc: { enabled: false },
    log: { accessLog: false },
  });
  const gw = startGateway(['-c', cfg]);
  t.teardown(async () => {
    gw.kill();
    await origin.close();
  });
  await gw.waitFor((l) => l.msg === 'started', 15000);
  const co = gw.lines.find((l) => l.listener === 'wsp-connection-oriented')?.port as number;
  t.ok(gw.port('wsp', 'udp') && co > 0, 'the WSP listener is up');
  const proxyPort = gw.port('proxy') as number;
  const admin = gw.port('admin') as number;
  const pid = gw.child.pid as number;
  const h = new Handset({ port: co, timeoutMs: 5000 });
  await h.open();
  t.teardown(() => h.close());
  await h.connect();

  const round = async (mode: FaultMode | 'down') => {
    if (mode === 'down') await origin.down();
    else origin.mode = mode;
    const wsp = (await h.get(`${origin.url}/${mode}`)).status;
    const proxy = await proxyGet(proxyPort, `${origin.url}/${mode}`);
    if (mode === 'down') await origin.up();
    origin.mode = 'ok';
    return { wsp, proxy };
  };

  await round('ok');
  const fd0 = fds(pid);
  const rss0 = rssMb(pid);
  const modes: Array<FaultMode | 'down'> = ['down', 'slow', 'reset', 'garbage', '5xx', 'ok'];
  for (let i = 0; i < 3; i++) {
    for (const mode of modes) {
      const got = await round(mode);
      if (i === 0) {
        t.equal(got.wsp, EXPECTED[mode], `WSP, MMSC ${mode}: ${EXPECTED[mode]}`);
        t.equal(got.proxy, EXPECTED_PROXY[mode], `proxy, MMSC ${mode}: ${EXPECTED_PROXY[mode]}`);
      } else if (got.wsp !== EXPECTED[mode] || got.proxy !== EXPECTED_PROXY[mode]) {
        t.fail(`round ${i + 1}, ${mode}: ${JSON.stringify(got)}`);
      }
    }
  }
  // idle keep-alive connections toward the MMSC may stay pooled; give closes a moment
  await new Promise((r) => setTimeout(r, 500));
  const fd1 = fds(pid);
  t.ok(fd1 <= fd0 + 2, `open fds ${fd0} -> ${fd1} after 18 faults`);
  t.ok(rssMb(pid) - rss0 < 30, `RSS ${rss0.toFixed(0)} -> ${rssMb(pid).toFixed(0)} MB`);
  const st = await adminJson(admin, '/status');
  t.equal(st.components.proxy.inFlight, 0, 'no proxy request left in flight');
  t.equal(st.components.wsp.methodsInFlight, 0, 'no WSP method left in flight');
  t.ok(origin.openSockets <= 2, `the gateway holds at most its pooled keep-alive sockets to the MMSC (${origin.openSockets})`);
  t.equal(gw.child.exitCode, null, 'gateway alive');
});
