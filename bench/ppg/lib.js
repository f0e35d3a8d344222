'use strict';
/**
 * Pieces of the PPG benchmark (bench/ppg/run.js): a test SMSC (a real SMPP 3.4 server, the npm
 * `smpp` package's server mode) that timestamps every submit_sm and finds the push it carries
 * by a marker in the content; a PAP push initiator (multipart/related: the PAP control entity
 * and the content entity, as WAP-247 §8 and WAP-164 give them) with a bounded number of
 * requests in flight; Kannel's PPG (bearerbox + wapbox, an `smpp` SMSC group pointed at the test
 * SMSC, its message store on) and wapgw's PPG (durable queue, fsync on) on free ports.
 */
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const L = require('../lib/common');

let smpp;
try {
  smpp = require('smpp');
} catch {
  smpp = undefined;
}

/** A free TCP port on 127.0.0.1 (asked of the OS). */
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {import('node:net').AddressInfo} */ (s.address());
      s.close(() => resolve(port));
    });
  });
}

/**
 * The test SMSC. `marker` is a RegExp with one group run over each short_message (latin1):
 * the push's number. Accepts any bind; answers each submit_sm at once with a message id,
 * or with `status` when set (e.g. 0x58 ESME_RTHROTTLED to keep pushes pending).
 */
async function startSmsc({ marker = /\/m\/(\d+)x/, status = 0 } = {}) {
  if (!smpp) throw new Error('the npm smpp package is not installed (npm install)');
  const submits = new Map(); // push number -> first submit time (performance.now())
  const st = { submits: 0, unmatched: 0, binds: /** @type {{ command: string, systemId: string }[]} */ ([]), sessions: 0, parts: 0 };
  let nextId = 1;
  let onSubmit;
  const server = smpp.createServer({}, (session) => {
    st.sessions++;
    session.on('error', () => {});
    const bind = (pdu) => {
      st.binds.push({ command: pdu.command, systemId: pdu.system_id });
      session.send(pdu.response());
    };
    session.on('bind_transceiver', bind);
    session.on('bind_transmitter', bind);
    session.on('bind_receiver', bind);
    session.on('enquire_link', (pdu) => session.send(pdu.response()));
    session.on('unbind', (pdu) => {
      session.send(pdu.response());
      session.close();
    });
    session.on('deliver_sm_resp', () => {});
    session.on('submit_sm', (pdu) => {
      const now = performance.now();
      st.submits++;
      if (status !== 0) {
        session.send(pdu.response({ command_status: status }));
        return;
      }
      session.send(pdu.response({ message_id: String(nextId++) }));
      const sm = pdu.short_message;
      const buf = Buffer.isBuffer(sm) ? sm : Buffer.isBuffer(sm?.message) ? sm.message : Buffer.from(String(sm?.message ?? sm ?? ''), 'latin1');
      const raw = Buffer.concat([Buffer.isBuffer(sm?.udh) ? sm.udh : Buffer.alloc(0), buf]).toString('latin1');
      const m = marker.exec(raw);
      if (!m) {
        st.unmatched++;
        return;
      }
      const n = Number(m[1]);
      if (!submits.has(n)) {
        submits.set(n, now);
        onSubmit?.(n);
      } else st.parts++;
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: server.address().port,
    submits,
    stats: st,
    set onSubmit(f) {
      onSubmit = f;
    },
    close: () =>
      /** @type {Promise<void>} */ (
        new Promise((r) => {
          server.close(() => r());
        // sessions hold the server open: end them
          for (const s of server.sessions || []) s.close?.();
          setTimeout(r, 500).unref();
        })
      ),
  };
}

/** A minimal m-notification-ind (OMA MMS ENC §6.2) whose Content-Location carries the marker. */
function notification(n, tag = 'b') {
  const loc = `http://mmsc.example/m/${n}x${tag}`;
  const tid = `T${n}`;
  return Buffer.concat([
    Buffer.from([0x8c, 0x82]), // X-Mms-Message-Type: m-notification-ind
    Buffer.from([0x98]), Buffer.from(`${tid}\0`, 'latin1'), // X-Mms-Transaction-Id
    Buffer.from([0x8d, 0x92]), // X-Mms-MMS-Version 1.2
    Buffer.from([0x8a, 0x80]), // X-Mms-Message-Class: Personal
    Buffer.from([0x8e, 0x02, 0x0b, 0xb8]), // X-Mms-Message-Size: 3000
    Buffer.from([0x88, 0x05, 0x81, 0x03, 0x09, 0x3a, 0x80]), // X-Mms-Expiry: relative 604800 s
    Buffer.from([0x83]), Buffer.from(`${loc}\0`, 'latin1'), // X-Mms-Content-Location
  ]);
}

/** An SI document (WAP-167) whose href carries the marker; both PPGs compile it to SIC. */
function serviceIndication(n) {
  return Buffer.from(
    '<?xml version="1.0"?>\n<!DOCTYPE si PUBLIC "-//WAPFORUM//DTD SI 1.0//EN" "http://www.wapforum.org/DTD/si.dtd">\n' +
      `<si><indication href="http://mmsc.example/m/${n}xb" si-id="${n}@bench" action="signal-high" created="2026-12-07T10:00:00Z">New message ${n}</indication></si>\n`,
    'utf8',
  );
}

const PAP_DOCTYPE = '<!DOCTYPE pap PUBLIC "-//WAPFORUM//DTD PAP 1.0//EN" "http://www.wapforum.org/DTD/pap_1.0.dtd">';

/**
 * The PAP push-message control entity (WAP-247 §9.1; the PAP 1.0 DTD, which both PPGs accept).
 * @param {string} pushId
 * @param {string} msisdn
 * @param {{ deliverAfter?: string }} [opts] deliver-after-timestamp (ISO 8601)
 */
function papDocument(pushId, msisdn, { deliverAfter } = {}) {
  return (
    `<?xml version="1.0"?>\n${PAP_DOCTYPE}\n<pap>\n` +
    `<push-message push-id="${pushId}"${deliverAfter ? ` deliver-after-timestamp="${deliverAfter}"` : ''} progress-notes-requested="false">\n` +
    `<address address-value="WAPPUSH=${msisdn}/TYPE=PLMN@ppg.example.com"/>\n` +
    '<quality-of-service priority="medium" delivery-method="unconfirmed" network-required="true" network="GSM" bearer-required="true" bearer="SMS"/>\n' +
    '</push-message>\n</pap>\n'
  );
}

const BOUNDARY = 'wapgw-bench-boundary-7f3a';

/**
 * multipart/related with the PAP entity and the content entity (binary MMS, or SI XML).
 * @param {number} n
 * @param {{ deliverAfter?: string, kind?: 'mms' | 'si' }} [opts]
 */
function pushBody(n, { deliverAfter, kind = 'mms' } = {}) {
  const content = kind === 'si' ? serviceIndication(n) : notification(n);
  const contentHeaders = kind === 'si' ? 'Content-Type: text/vnd.wap.si\r\nX-Wap-Application-Id: x-wap-application:wml.ua' : 'Content-Type: application/vnd.wap.mms-message\r\nX-Wap-Application-Id: x-wap-application:mms.ua';
  const msisdn = `+4917${String(100000 + (n % 900000)).padStart(7, '0')}`;
  return Buffer.concat([
    Buffer.from(
      `--${BOUNDARY}\r\nContent-Type: application/xml\r\n\r\n${papDocument(`push-${n}@bench.example`, msisdn, { deliverAfter })}\r\n` +
        `--${BOUNDARY}\r\n${contentHeaders}\r\n\r\n`,
      'latin1',
    ),
    content,
    Buffer.from(`\r\n--${BOUNDARY}--\r\n`, 'latin1'),
  ]);
}

const CONTENT_TYPE = `multipart/related; boundary=${BOUNDARY}; type="application/xml"`;

/**
 * Posts pushes first..first+count-1 with at most `concurrency` requests in flight (keep-alive).
 * Resolves {sent: Map n -> time, accepted, refused: [{n, status, code}], ms}.
 * @param {string} url
 * @param {{ first?: number, count: number, concurrency?: number, deliverAfter?: string, auth?: string, kind?: 'mms' | 'si' }} opts auth: `user:password` (Basic)
 * @returns {Promise<{ sent: Map<number, number>, accepted: number, refused: { n: number, status: number | undefined, code: string | undefined, text?: string }[], ms: number }>}
 */
function initiate(url, { first = 0, count, concurrency = 32, deliverAfter, auth, kind = 'mms' }) {
  const u = new URL(url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const sent = new Map();
  /** @type {{ n: number, status: number | undefined, code: string | undefined, text?: string }[]} */
  const refused = [];
  let accepted = 0;
  let next = first;
  const end = first + count;
  const t0 = performance.now();
  return new Promise((resolve) => {
    let inFlight = 0;
    const pump = () => {
      while (inFlight < concurrency && next < end) {
        const n = next++;
        inFlight++;
        const body = pushBody(n, { deliverAfter, kind });
        /** @type {import('node:http').OutgoingHttpHeaders} */
        const headers = { 'content-type': CONTENT_TYPE, 'content-length': body.length };
        if (auth) headers.authorization = `Basic ${Buffer.from(auth).toString('base64')}`;
        sent.set(n, performance.now());
        const req = http.request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', agent, headers }, (res) => {
          let text = '';
          res.setEncoding('latin1');
          res.on('data', (d) => (text += d));
          res.on('end', () => {
            const code = /code\s*=\s*"(\d+)"/.exec(text)?.[1];
            if (res.statusCode === 202 || res.statusCode === 200) {
              if (code === '1001' || code === '1000') accepted++;
              else refused.push({ n, status: res.statusCode, code, text: text.slice(0, 300) });
            } else refused.push({ n, status: res.statusCode, code, text: text.slice(0, 300) });
            inFlight--;
            done();
          });
        });
        req.on('error', (e) => {
          refused.push({ n, status: 0, code: /** @type {NodeJS.ErrnoException} */ (e).code });
          inFlight--;
          done();
        });
        req.end(body);
      }
    };
    const done = () => {
      if (next >= end && inFlight === 0) {
        agent.destroy();
        resolve({ sent, accepted, refused, ms: performance.now() - t0 });
      } else pump();
    };
    pump();
  });
}

/** Waits until `pred()` or the deadline; resolves pred()'s last value. */
async function until(pred, timeoutMs, stepMs = 50) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (pred()) return true;
    await L.sleep(stepMs);
  }
  return pred();
}

/** Resolves when a TCP connect to port succeeds. */
async function portOpen(port, timeoutMs = 15000) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const ok = await new Promise((r) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.destroy();
        r(true);
      });
      s.on('error', () => r(false));
    });
    if (ok) return true;
    await L.sleep(100);
  }
  return false;
}

/**
 * Kannel's PPG: bearerbox (SMSC group `smpp` toward the test SMSC, message store `file` on)
 * and wapbox (group ppg, trusted PI from 127.0.0.1), every port free and chosen here, no WDP
 * (UDP) interface, so it can run beside anything else. Resolves {pids, url, stop()}.
 */
async function startKannelPpg(smscPort, { window = 32 } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wapgw-bench-kannel-ppg-'));
  const [admin, wapboxPort, smsboxPort, ppgPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const conf = [
    'group = core',
    `admin-port = ${admin}`,
    'admin-password = bench',
    'admin-allow-ip = "127.0.0.1"',
    `wapbox-port = ${wapboxPort}`,
    // bearerbox starts its SMSCs only with the smsbox module configured; no smsbox runs
    `smsbox-port = ${smsboxPort}`,
    'box-allow-ip = "127.0.0.1"',
    'log-level = 4',
    `log-file = "${dir}/bearerbox.log"`,
    // durability: bearerbox keeps every accepted SMS in its store file until the SMSC takes it
    'store-type = file',
    `store-location = "${dir}/kannel.store"`,
    '',
    'group = smsc',
    'smsc = smpp',
    'smsc-id = bench',
    'host = 127.0.0.1',
    `port = ${smscPort}`,
    'transceiver-mode = true',
    'smsc-username = kannel',
    'smsc-password = bench',
    'system-type = ""',
    `max-pending-submits = ${window}`,
    '',
    'group = smsbox',
    'bearerbox-host = 127.0.0.1',
    '',
    'group = wapbox',
    'bearerbox-host = 127.0.0.1',
    'log-level = 4',
    `log-file = "${dir}/wapbox.log"`,
    'syslog-level = none',
    '',
    'group = ppg',
    'ppg-url = /wappush',
    `ppg-port = ${ppgPort}`,
    'trusted-pi = true',
    'concurrent-pushes = 1000',
    'users = 1024',
    'ppg-allow-ip = "127.0.0.1"',
    'default-smsc = bench',
    '',
  ].join('\n');
  fs.writeFileSync(path.join(dir, 'kannel.conf'), conf);
  const bb = spawn(L.which('bearerbox') || '/usr/sbin/bearerbox', ['kannel.conf'], { cwd: dir, stdio: 'ignore' });
  await L.sleep(1000);
  const wb = spawn(L.which('wapbox') || '/usr/sbin/wapbox', ['kannel.conf'], { cwd: dir, stdio: 'ignore' });
  const up = await portOpen(ppgPort, 20000);
  const stop = async () => {
    for (const c of [wb, bb]) if (c.exitCode === null) c.kill('SIGTERM');
    await L.sleep(1000);
    for (const c of [wb, bb]) if (c.exitCode === null) c.kill('SIGKILL');
    await L.sleep(200);
    if (!process.env.KEEP_KANNEL_DIR) fs.rmSync(dir, { recursive: true, force: true });
  };
  if (!up) {
    const log = ['bearerbox.log', 'wapbox.log'].map((f) => (fs.existsSync(path.join(dir, f)) ? fs.readFileSync(path.join(dir, f), 'utf8').split('\n').slice(-15).join('\n') : '')).join('\n');
    await stop();
    throw new Error(`Kannel's PPG did not open port ${ppgPort}:\n${log}`);
  }
  return { pids: [bb.pid, wb.pid], url: `http://127.0.0.1:${ppgPort}/wappush`, dir, stop };
}

/**
 * wapgw with its PPG on: durable queue in a temporary directory with fsync (the default), the
 * test SMSC as the only SMSC (window `window`, no rate limit), initiators from 127.0.0.0/8
 * without the per-initiator rate limit, receipts not requested (as Kannel's PPG does not).
 * stateDir: the durable queue's directory (kept on stop; default a temporary one, removed).
 * @param {number} smscPort
 * cli: another build's dist/cli.js (default this tree's). fsync: ppg.fsync (default true).
 * @param {{ window?: number, nodeArgs?: string[], stateDir?: string, extraPpg?: Record<string, unknown>, logLevel?: string, cli?: string, fsync?: boolean }} [opts]
 */
async function startWapgwPpg(smscPort, { window = 32, nodeArgs, stateDir, extraPpg = {}, logLevel = 'info', cli, fsync = true } = {}) {
  const dir = stateDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'wapgw-bench-ppg-state-'));
  const gw = await L.startWapgw('http://127.0.0.1:9', {
    ...(nodeArgs ? { nodeArgs } : {}),
    ...(cli ? { cli } : {}),
    extra: {
      ppg: {
        enabled: true,
        bind: '127.0.0.1',
        port: 0,
        stateDir: dir,
        fsync,
        allowedNetworks: ['127.0.0.0/8'],
        registeredDelivery: false,
        smsc: [{ host: '127.0.0.1', port: smscPort, systemId: 'wapgw', password: 'bench', windowSize: window, maxPerSecond: 1000000 }],
        limits: { perInitiatorPerSecond: 0, maxPending: 200000 },
        ...extraPpg,
      },
      // admin /status gives the journal's write and fdatasync counts
      admin: { enabled: true, bind: '127.0.0.1', port: 0 },
    },
  });
  if (logLevel !== 'info') {
    // log.level is live on SIGHUP: start at info (the harness waits for the `started` line), then lower it
    const file = path.join(gw.dir, 'wapgw.yaml');
    const cfg = JSON.parse(fs.readFileSync(file, 'utf8'));
    cfg.log = { ...cfg.log, level: logLevel };
    fs.writeFileSync(file, JSON.stringify(cfg, null, 2));
    gw.child.kill('SIGHUP');
    await L.sleep(500);
  }
  const port = Object.entries(gw.ports).find(([k]) => /ppg|pap/i.test(k))?.[1];
  if (!port) {
    await gw.stop();
    throw new Error(`no PPG listener among ${JSON.stringify(gw.ports)}`);
  }
  const stop = async () => {
    await gw.stop();
    if (!stateDir) fs.rmSync(dir, { recursive: true, force: true });
  };
  const adminPort = Object.entries(gw.ports).find(([k]) => /admin/i.test(k))?.[1];
  /** The PPG's journal counters from admin /status ({writes, syncs}), or undefined. */
  const journal = async () => {
    if (!adminPort) return undefined;
    try {
      const r = await fetch(`http://127.0.0.1:${adminPort}/status`);
      const j = /** @type {{ components?: { ppg?: { journal?: { writes: number, syncs: number } } } }} */ (await r.json());
      return j?.components?.ppg?.journal ?? undefined;
    } catch {
      return undefined;
    }
  };
  return { pid: gw.pid, pids: [gw.pid], url: `http://127.0.0.1:${port}/wappush`, stop, stateDir: dir, journal };
}

module.exports = { freePort, startSmsc, notification, serviceIndication, papDocument, pushBody, CONTENT_TYPE, initiate, until, portOpen, startKannelPpg, startWapgwPpg, hasSmpp: () => Boolean(smpp) };
