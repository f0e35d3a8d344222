// The least CPU a Node.js forward proxy can spend per request on this machine: a relay with no
// checks, no identity headers, no metrics and no logs. Node's HTTP server toward wrk, raw
// keep-alive sockets toward the origin, the response head parsed by hand and the body written on
// as it is read (Content-Length responses only). Not a proxy anyone should run: it is the floor
// that bench/proxy/cpu.js --floor measures beside wapgw and nginx, so the gap between wapgw and
// nginx can be split into what the platform costs and what wapgw adds.
//
// Usage: node bench/proxy/floor.js LISTEN_PORT ORIGIN_PORT   (prints "ready PORT")
'use strict';
const http = require('node:http');
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

http
  .createServer({ highWaterMark: 256 * 1024 }, (req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    socketFor((s) => {
      s.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${originPort}\r\nX-MSISDN: 31611111111\r\n\r\n`, 'latin1');
      /** @type {Buffer | undefined} */
      let pending;
      let headDone = false;
      let left = 0;
      /** @param {Buffer} c */
      const onData = (c) => {
        if (!headDone) {
          pending = pending ? Buffer.concat([pending, c]) : c;
          const k = pending.indexOf('\r\n\r\n');
          if (k < 0) return;
          const lines = pending.toString('latin1', 0, k).split('\r\n');
          /** @type {string[]} */
          const headers = [];
          for (const line of lines.slice(1)) {
            const j = line.indexOf(':');
            const name = line.slice(0, j);
            const value = line.slice(j + 1).trim();
            headers.push(name, value);
            if (name.toLowerCase() === 'content-length') left = Number(value);
          }
          headDone = true;
          res.writeHead(Number(lines[0].slice(9, 12)), headers);
          c = pending.subarray(k + 4);
          pending = undefined;
        }
        left -= c.length;
        const ok = c.length === 0 || res.write(c);
        if (left <= 0) {
          s.removeListener('data', onData);
          res.end();
          idle.push(s);
          return;
        }
        if (!ok) {
          s.pause();
          res.once('drain', () => s.resume());
        }
      };
      s.on('data', onData);
    });
  })
  .listen(listenPort, '127.0.0.1', () => console.log(`ready ${listenPort}`));
