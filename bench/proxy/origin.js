// Fast benchmark origin: serves preallocated buffers (GET /300k, GET /small, POST anything -> small).
// Usage: node bench/proxy/origin.js PORT   (prints "ready PORT" when listening)
'use strict';
const http = require('node:http');
const big = Buffer.alloc(300 * 1024, 0x61);
const small = Buffer.from('ok'.repeat(64));
const server = http.createServer((req, res) => {
  const body = (req.url ?? '').endsWith('/300k') ? big : small;
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/vnd.wap.mms-message', 'content-length': body.length });
    res.end(body);
  });
});
server.keepAliveTimeout = 60000;
server.listen(Number(process.argv[2] || 0), '127.0.0.1', () => console.log(`ready ${/** @type {import('node:net').AddressInfo} */ (server.address()).port}`));
