#!/usr/bin/env node
'use strict';
/**
 * The floor under the PPG's CPU per push on this machine: what a process that does only the
 * unavoidable I/O of a push costs, measured with the same initiator and the same test SMSC as
 * bench/ppg/run.js (so its figure sits beside wapgw's and Kannel's).
 *
 *   node bench/ppg/floor.js [--pushes 20000] [--warmup 2000] [--concurrency 32]
 *                           [--modes http,smpp,journal] [--rounds 1] [--node-flags='--cpu-prof ...']
 *
 * The floor server is a child process (with the gateway's Node flags; its utime+stime read from /proc/PID/stat over the
 * measured pushes, as for the gateways). It serves PAP POSTs on wapgw's own HTTP/1.1 server
 * (dist/http/server.js, the PAP endpoint's) and, per request, by mode:
 * - `http`: reads the body and answers a fixed 1001 push-response (~330 octets). Nothing else.
 * - `smpp`: also sends one submit_sm (hand-encoded, SMPP 3.4 §4.4; the short_message is the
 *   octets around the push's marker, ~130 octets) to the test SMSC over one bound
 *   bind_transceiver session, writes corked per tick, and reads the submit_sm_resp.
 * - `journal`: also appends a ~700-octet record per push to a file opened with O_DSYNC, one
 *   write in flight at a time (group commit: what arrives during a write goes in the next one),
 *   and answers only once the write covering the push returned; the submit_sm goes after it.
 *   This is the shape of a durable PPG with no PAP, XML, MMS or queue work at all.
 * - `prealloc`: as `journal`, into a file zero-filled (64 MB) and synced before the run and
 *   then overwritten in place (positional writes): a synchronized write then has no file size
 *   to commit, only data (the trick of databases' preallocated write-ahead logs).
 * - `raw`: no HTTP server at all: a bare net.Server that finds each request's end by its
 *   Content-Length and writes the fixed reply (head and body in one write). What an HTTP
 *   exchange costs Node and the kernel with no parsing: `http` minus `raw` is our HTTP server.
 * No parsing beyond finding the marker, no logs, no metrics, no timers.
 *
 * Prints one line per mode and a `RESULT {json}` line.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const L = require('../lib/common');
const P = require('./lib');

if (process.argv[2] === '--serve') serve(process.argv[3], Number(process.argv[4]));
else main();

function main() {
  const o = L.args({ pushes: 20000, warmup: 2000, concurrency: 32, modes: ['http', 'smpp', 'journal'], rounds: 1, nodeFlags: '', help: false });
  if (o.help) {
    console.log(fs.readFileSync(__filename, 'utf8').split('*/')[0]);
    process.exit(0);
  }
  (async () => {
    const out = { machine: L.machine(), options: { pushes: o.pushes, warmup: o.warmup, concurrency: o.concurrency }, command: `node bench/ppg/floor.js ${process.argv.slice(2).join(' ')}`.trim(), rounds: /** @type {Record<string, unknown>[]} */ ([]) };
    for (let r = 0; r < o.rounds; r++) {
      /** @type {Record<string, unknown>} */
      const row = {};
      for (const mode of o.modes) row[mode] = await measure(mode, o);
      out.rounds.push(row);
    }
    L.emitResult(out);
    process.exit(0);
  })().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}

async function measure(mode, o) {
  const smsc = await P.startSmsc();
  const child = spawn(process.execPath, [...L.GATEWAY_NODE_FLAGS, ...String(o.nodeFlags).split(/\s+/).filter(Boolean), __filename, '--serve', mode, String(smsc.port)], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const port = await new Promise((resolve, reject) => {
      let buf = '';
      child.stdout.on('data', (d) => {
        buf += d;
        const m = /^listening (\d+)$/m.exec(buf);
        if (m) resolve(Number(m[1]));
      });
      child.once('exit', (c) => reject(new Error(`floor server exited ${c}`)));
    });
    const url = `http://127.0.0.1:${port}/wappush`;
    const withSmsc = mode !== 'http' && mode !== 'raw';
    const base = 10_000_000;
    const w = await P.initiate(url, { first: base, count: o.warmup, concurrency: o.concurrency });
    if (w.accepted !== o.warmup) throw new Error(`${mode}: warm-up refused ${w.refused.length}`);
    if (withSmsc) await P.until(() => smsc.submits.size >= o.warmup, 30000);
    const cpu0 = L.cpuMs(/** @type {number} */ (child.pid));
    const t0 = performance.now();
    const r = await P.initiate(url, { first: 0, count: o.pushes, concurrency: o.concurrency });
    if (withSmsc) await P.until(() => smsc.submits.size >= o.warmup + o.pushes, 60000, 20);
    const wallMs = performance.now() - t0;
    const cpu1 = L.cpuMs(/** @type {number} */ (child.pid));
    const res = { mode, accepted: r.accepted, submitted: withSmsc ? smsc.submits.size - o.warmup : null, pushesPerSecond: Math.round(r.accepted / (wallMs / 1000)), cpuMsPerPush: +((cpu1 - cpu0) / Math.max(1, r.accepted)).toFixed(3) };
    console.log(`floor ${mode}: ${res.accepted} answered${withSmsc ? `, ${res.submitted} submitted` : ''}, ${res.pushesPerSecond}/s, CPU ${res.cpuMsPerPush} ms/push`);
    return res;
  } finally {
    // SIGTERM first: a child run with --cpu-prof writes its profile as it exits
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await Promise.race([gone, new Promise((r) => setTimeout(r, 3000))]);
    child.kill('SIGKILL');
    await smsc.close();
  }
}

/** The floor server (child process). */
function serve(mode, smscPort) {
  process.on('SIGTERM', () => process.exit(0));
  const net = require('node:net');
  const { Http1Server } = require(path.join(require('../lib/wapgw').DIST, 'http', 'server.js'));
  const reply = Buffer.from(
    '<?xml version="1.0"?>\n<!DOCTYPE pap PUBLIC "-//WAPFORUM//DTD PAP 1.0//EN" "http://www.wapforum.org/DTD/pap_1.0.dtd">\n<pap><push-response push-id="x" sender-name="floor" reply-time="2026-12-07T21:00:00Z"><response-result code="1001" desc="Accepted for processing"/></push-response></pap>\n',
    'latin1',
  );
  const head = ['Content-Type', 'application/xml; charset=utf-8', 'Cache-Control', 'no-store', 'Content-Length', String(reply.length)];
  // the SMPP session: bind_transceiver, then submit_sm per push, responses only counted
  let smpp;
  let seq = 1;
  const UDH = Buffer.from([0x06, 0x05, 0x04, 0x0b, 0x84, 0x23, 0xf0]);
  const submit = (body) => {
    const at = body.indexOf('/m/');
    // UDH with 16-bit port addressing (2948 <- 9200), then the octets around the marker
    const sm = Buffer.concat([UDH, body.subarray(Math.max(0, at - 60), Math.min(body.length, at + 70))]);
    const dest = '31611111111';
    const len = 16 + 1 + 1 + 1 + 1 + 1 + 1 + dest.length + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + sm.length;
    const b = Buffer.allocUnsafe(len);
    let i = 0;
    b.writeUInt32BE(len, 0);
    b.writeUInt32BE(0x00000004, 4); // submit_sm
    b.writeUInt32BE(0, 8);
    b.writeUInt32BE(seq++, 12);
    i = 16;
    b[i++] = 0; // service_type ""
    b[i++] = 0; // source ton
    b[i++] = 0; // source npi
    b[i++] = 0; // source_addr ""
    b[i++] = 1; // dest ton
    b[i++] = 1; // dest npi
    i += b.write(dest, i, 'latin1');
    b[i++] = 0;
    b[i++] = 0x40; // esm_class UDHI
    b[i++] = 0; // protocol_id
    b[i++] = 0; // priority
    b[i++] = 0; // schedule ""
    b[i++] = 0; // validity ""
    b[i++] = 0; // registered_delivery
    b[i++] = 0; // replace
    b[i++] = 4; // data_coding
    b[i++] = 0; // sm_default_msg_id
    b[i++] = sm.length;
    sm.copy(b, i);
    if (smpp.writableCorked === 0) {
      smpp.cork();
      process.nextTick(() => smpp.uncork());
    }
    smpp.write(b);
  };
  // the journal: O_DSYNC file, one write in flight, the rest batched behind it
  let fd;
  let pos = null; // positional writes into a zero-filled file (`prealloc`), else appends
  let writing = false;
  let batch = [];
  const flush = () => {
    if (writing || batch.length === 0) return;
    const mine = batch;
    batch = [];
    writing = true;
    const buf = Buffer.concat(mine.map((x) => x.rec));
    const at = pos;
    if (pos !== null) pos += buf.length;
    fs.write(fd, buf, 0, buf.length, at, (err) => {
      writing = false;
      if (err) throw err;
      for (const x of mine) x.done();
      flush();
    });
  };
  const record = (body) => Buffer.from(`{"t":"push","p":{"key":"net:127.0.0.1\\u0000${body.length}","body":"${body.subarray(0, Math.min(body.length, 400)).toString('base64')}"}}\n`, 'latin1');
  const start = () => {
    const server = new Http1Server(
      { maxHeaderBytes: 16384, headersTimeoutMs: 10000, requestTimeoutMs: 30000, keepAliveTimeoutMs: 5000, maxConnections: 10000 },
      {
        request: (req, res) => {
          req.readBody(1 << 20).then((body) => {
            if (mode === 'http') {
              res.writeHead(202, undefined, head);
              res.end(reply);
              return;
            }
            if (mode === 'smpp') {
              res.writeHead(202, undefined, head);
              res.end(reply);
              submit(body);
              return;
            }
            batch.push({
              rec: record(body),
              done: () => {
                res.writeHead(202, undefined, head);
                res.end(reply);
                submit(body);
              },
            });
            flush();
          });
        },
        clientError: () => {},
      },
    );
    server.listen(0, '127.0.0.1').then((a) => process.stdout.write(`listening ${a.port}\n`));
  };
  if (mode === 'journal' || mode === 'prealloc') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wapgw-bench-floor-'));
    if (mode === 'prealloc') {
      // zero-filled ahead (and synced), then overwritten in place: an fdatasync has no file size to commit
      const z = fs.openSync(path.join(dir, 'journal'), 'w', 0o600);
      const mb = Buffer.alloc(1 << 20);
      for (let i = 0; i < 64; i++) fs.writeSync(z, mb);
      fs.fsyncSync(z);
      fs.closeSync(z);
      pos = 0;
    }
    fd = fs.openSync(path.join(dir, 'journal'), fs.constants.O_WRONLY | fs.constants.O_CREAT | (mode === 'prealloc' ? 0 : fs.constants.O_APPEND) | fs.constants.O_DSYNC, 0o600);
    process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  }
  if (mode === 'http') return start();
  if (mode === 'raw') return startRaw(reply, head);
  smpp = net.connect(smscPort, '127.0.0.1', () => {
    const id = Buffer.from('floor\0bench\0\0', 'latin1');
    const b = Buffer.alloc(16 + id.length + 4);
    b.writeUInt32BE(b.length, 0);
    b.writeUInt32BE(0x00000009, 4); // bind_transceiver
    b.writeUInt32BE(seq++, 12);
    id.copy(b, 16);
    b[16 + id.length] = 0x34; // interface_version
    smpp.write(b);
    let pending = Buffer.alloc(0);
    let bound = false;
    smpp.on('data', (d) => {
      pending = pending.length ? Buffer.concat([pending, d]) : d;
      while (pending.length >= 16) {
        const n = pending.readUInt32BE(0);
        if (pending.length < n) break;
        const cmd = pending.readUInt32BE(4);
        if (cmd === 0x80000009 && !bound) {
          bound = true;
          start();
        } else if (cmd === 0x00000015) {
          // enquire_link: answer it
          const r = Buffer.alloc(16);
          r.writeUInt32BE(16, 0);
          r.writeUInt32BE(0x80000015, 4);
          r.writeUInt32BE(pending.readUInt32BE(12), 12);
          smpp.write(r);
        }
        pending = pending.subarray(n);
      }
    });
  });
}

/** `raw` mode: one fixed reply per request, found by the head's end and its Content-Length. */
function startRaw(reply, head) {
  const net = require('node:net');
  let h = 'HTTP/1.1 202 Accepted\r\n';
  for (let i = 0; i < head.length; i += 2) h += `${head[i]}: ${head[i + 1]}\r\n`;
  const whole = Buffer.concat([Buffer.from(`${h}\r\n`, 'latin1'), reply]);
  const server = net.createServer({ noDelay: true }, (sock) => {
    /** @type {Buffer | undefined} */
    let buf;
    sock.on('data', (d) => {
      buf = buf === undefined ? d : Buffer.concat([buf, d]);
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const m = /content-length: *(\d+)/i.exec(buf.toString('latin1', 0, end));
        const total = end + 4 + (m ? Number(m[1]) : 0);
        if (buf.length < total) return;
        sock.write(whole);
        buf = total < buf.length ? buf.subarray(total) : undefined;
        if (buf === undefined) return;
      }
    });
    sock.on('error', () => {});
  });
  server.listen(0, '127.0.0.1', () => process.stdout.write(`listening ${/** @type {import('node:net').AddressInfo} */ (server.address()).port}\n`));
}
