// The least CPU a Node.js forward proxy can spend per request on this machine: a relay with no
// checks, no identity headers, no metrics and no logs. Node's HTTP server toward wrk, raw
// keep-alive sockets toward the origin, the response head parsed by hand and the body written on
// as it is read (Content-Length responses only; bench/lib/relay-floor.js). Not a proxy anyone
// should run: it is the floor that bench/proxy/cpu.js --floor measures beside wapgw and nginx, so
// the gap between wapgw and nginx can be split into what the platform costs and what wapgw adds.
//
// Usage: node bench/proxy/floor.js LISTEN_PORT ORIGIN_PORT   (prints "ready PORT")
'use strict';
const http = require('node:http');
const { relayFloor } = require('../lib/relay-floor');

const [listenPort, originPort] = process.argv.slice(2).map(Number);
const relayGet = relayFloor(originPort);

http
  .createServer({ highWaterMark: 256 * 1024 }, (req, res) => {
    relayGet(new URL(req.url ?? '/', 'http://x').pathname, {
      head: (statusLine, fields) => res.writeHead(Number(statusLine.slice(0, 3)), fields),
      body: (chunk) => res.write(chunk),
      drain: (resume) => res.once('drain', resume),
      end: () => res.end(),
    });
  })
  .listen(listenPort, '127.0.0.1', () => console.log(`ready ${listenPort}`));
