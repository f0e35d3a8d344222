// The least CPU a Node.js forward proxy can spend per request on raw sockets: bench/proxy/floor.js
// without node:http toward the client either. The request head is read by hand (keep-alive,
// one request at a time), the origin side is bench/lib/relay-floor.js. No checks, no identity
// headers, no metrics, no logs: not a proxy anyone should run, only the floor under
// src/http/server.ts (`bench/proxy/cpu.js --floor --floor-script floor-raw.js`).
//
// Usage: node bench/proxy/floor-raw.js LISTEN_PORT ORIGIN_PORT [reuse]   (prints "ready PORT")
// `reuse` (bench/proxy/floor-reuse.js): the origin read into 64 KB buffers used again, as
// src/http/upstream.ts does, instead of one allocation per read.
'use strict';
const net = require('node:net');
const { relayFloor } = require('../lib/relay-floor');

const [listenPort, originPort] = process.argv.slice(2).map(Number);
const relayGet = relayFloor(originPort, process.argv[4] === 'reuse' || process.env.FLOOR_REUSE === '1');

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
      busy = true;
      relayGet(new URL(head.slice(sp1 + 1, sp2), 'http://x').pathname, {
        head: (statusLine, fields) => {
          let out = `HTTP/1.1 ${statusLine}\r\n`;
          for (let i = 0; i < fields.length; i += 2) out += `${fields[i]}: ${fields[i + 1]}\r\n`;
          // the head waits for the first body octets: one write for both
          c.cork();
          c.write(`${out}\r\n`, 'latin1');
        },
        body: (chunk, written) => {
          const ok = c.write(chunk, written);
          c.uncork();
          c.cork();
          return ok;
        },
        drain: (resume) => c.once('drain', resume),
        end: () => {
          c.uncork();
          busy = false;
          next();
        },
      });
    };
    c.on('data', (/** @type {Buffer} */ d) => {
      buf = buf ? Buffer.concat([buf, d]) : d;
      next();
    });
    c.on('error', () => undefined);
  })
  .listen(listenPort, '127.0.0.1', () => console.log(`ready ${listenPort}`));
