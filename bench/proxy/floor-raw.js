// The least CPU a Node.js forward proxy can spend per request on raw sockets: bench/proxy/floor.js
// without node:http toward the client either. The request head is read by hand (keep-alive,
// one request at a time), the response head parsed by hand, the body written on as it is read
// (Content-Length responses only). No checks, no identity headers, no metrics, no logs: not a
// proxy anyone should run, only the floor under src/http/server.ts (`bench/proxy/cpu.js --floor
// --floor-script floor-raw.js`).
//
// Usage: node bench/proxy/floor-raw.js LISTEN_PORT ORIGIN_PORT   (prints "ready PORT")
'use strict';
const net = require('node:net');

const [listenPort, originPort] = process.argv.slice(2).map(Number);
/** @type {net.Socket[]} */
const idle = [];

/** @param {(s: net.Socket) => void} cb */
function socketFor(cb) {
  const s = idle.pop();
  if (s) return cb(s);
  const n = net.connect(originPort, '127.0.0.1');
  n.setNoDelay(true);
  n.once('connect', () => cb(n));
}

net
  .createServer({ noDelay: true, highWaterMark: 256 * 1024 }, (c) => {
    /** @type {Buffer | undefined} */
    let buf;
    let busy = false;
    const next = () => {
      if (busy || !buf) return;
      const k = buf.indexOf('\r\n\r\n');
      if (k < 0) return;
      const head = buf.toString('latin1', 0, k);
      buf = buf.length > k + 4 ? buf.subarray(k + 4) : undefined;
      const sp1 = head.indexOf(' ');
      const sp2 = head.indexOf(' ', sp1 + 1);
      const path = new URL(head.slice(sp1 + 1, sp2), 'http://x').pathname;
      busy = true;
      socketFor((s) => {
        s.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${originPort}\r\nX-MSISDN: 31611111111\r\n\r\n`, 'latin1');
        /** @type {Buffer | undefined} */
        let pending;
        let headDone = false;
        let left = 0;
        /** @param {Buffer} d */
        const onData = (d) => {
          if (!headDone) {
            pending = pending ? Buffer.concat([pending, d]) : d;
            const e = pending.indexOf('\r\n\r\n');
            if (e < 0) return;
            const lines = pending.toString('latin1', 0, e).split('\r\n');
            let out = `HTTP/1.1 ${lines[0].slice(9)}\r\n`;
            for (const line of lines.slice(1)) {
              const j = line.indexOf(':');
              const name = line.slice(0, j);
              const value = line.slice(j + 1).trim();
              if (name.toLowerCase() === 'content-length') left = Number(value);
              out += `${name}: ${value}\r\n`;
            }
            headDone = true;
            d = pending.subarray(e + 4);
            pending = undefined;
            c.cork();
            c.write(`${out}\r\n`, 'latin1');
          }
          left -= d.length;
          const ok = d.length === 0 || c.write(d);
          c.uncork();
          if (left <= 0) {
            s.removeListener('data', onData);
            idle.push(s);
            busy = false;
            next();
            return;
          }
          c.cork();
          if (!ok) {
            s.pause();
            c.once('drain', () => s.resume());
          }
        };
        s.on('data', onData);
      });
    };
    c.on('data', (/** @type {Buffer} */ d) => {
      buf = buf ? Buffer.concat([buf, d]) : d;
      next();
    });
    c.on('error', () => undefined);
  })
  .listen(listenPort, '127.0.0.1', () => console.log(`ready ${listenPort}`));
