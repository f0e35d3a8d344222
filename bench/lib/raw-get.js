// @ts-check
/**
 * The floor benchmarks' HTTP client (bench/wsp/floor.js, bench/wsp/floor-fakewap.js): one
 * keep-alive HTTP/1.1 GET of `path` per call, written raw on a pooled loopback connection. The
 * origin's answer (a head and a small body) is one read on loopback: counted, not parsed. The
 * least a GET can cost a Node process, to compare the gateway's upstream client with.
 */
'use strict';
const net = require('node:net');

/**
 * @param {number} port the origin's port on 127.0.0.1
 * @param {string} path
 * @returns {(done: () => void) => void} sends one GET; `done` runs when its answer was read
 */
function rawGetter(port, path) {
  const req = `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: floor\r\n\r\n`;
  /** @type {{ sock: net.Socket, cb: (() => void) | undefined }[]} */
  const idle = [];
  return (cb) => {
    const c = idle.pop();
    if (c) {
      c.cb = cb;
      c.sock.write(req, 'latin1');
      return;
    }
    const sock = net.connect(port, '127.0.0.1');
    sock.setNoDelay(true);
    /** @type {{ sock: net.Socket, cb: (() => void) | undefined }} */
    const conn = { sock, cb };
    sock.on('data', () => {
      const f = conn.cb;
      if (!f) return;
      conn.cb = undefined;
      idle.push(conn);
      f();
    });
    sock.write(req, 'latin1');
  };
}

module.exports = { rawGetter };
