// The origin side of the relay floors (bench/proxy/floor.js, bench/proxy/floor-raw.js): keep-alive
// sockets to the origin, one GET at a time on each, the response head parsed by hand and the body
// handed on as it is read (Content-Length responses only). No checks of any kind: a floor, not a
// proxy.
'use strict';
const net = require('node:net');

/**
 * @typedef {object} RelaySink
 * @property {(statusLine: string, fields: string[]) => void} head  the status line after "HTTP/1.1 " and [name, value, ...]
 * @property {(chunk: Buffer, written?: () => void) => boolean} body  false: wait for `drain` before more; `written`, when given, is called once the chunk is written
 * @property {(resume: () => void) => void} drain  call `resume` once the client can take more
 * @property {() => void} end
 */

/** 64 KB read buffers used again (`reuse`): free ones, and per buffer the writes still holding it. */
const free = /** @type {Buffer[]} */ ([]);
const take = () => free.pop() ?? Buffer.allocUnsafeSlow(64 * 1024);

/**
 * @param {number} originPort
 * @param {boolean} [reuse] read the origin into 64 KB buffers used again (net.Socket `onread`),
 *   each held until the client's socket has written it, as src/http/upstream.ts does; otherwise
 *   Node allocates a buffer per read
 */
function relayFloor(originPort, reuse = false) {
  /** @type {net.Socket[]} */
  const idle = [];
  /** @type {WeakMap<net.Socket, (d: Buffer, release?: () => void) => void>} */
  const readers = new WeakMap();

  /** @param {(s: net.Socket) => void} cb */
  function socketFor(cb) {
    const s = idle.pop();
    if (s) return cb(s);
    /** @type {net.Socket} */
    const n = reuse
      ? net.connect({
          port: originPort,
          host: '127.0.0.1',
          onread: {
            buffer: take,
            callback: (nread, buf) => {
              let released = false;
              readers.get(n)?.(/** @type {Buffer} */ (buf).subarray(0, nread), () => {
                if (!released) free.push(/** @type {Buffer} */ (buf));
                released = true;
              });
              return true;
            },
          },
        })
      : net.connect(originPort, '127.0.0.1');
    n.setNoDelay(true);
    n.once('connect', () => cb(n));
  }

  /** GET `path` from the origin and relay the response into `sink`. @param {string} path @param {RelaySink} sink */
  return function relayGet(path, sink) {
    socketFor((s) => {
      s.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${originPort}\r\nX-MSISDN: 31611111111\r\n\r\n`, 'latin1');
      /** @type {Buffer | undefined} */
      let pending;
      let headDone = false;
      let left = 0;
      /** @param {Buffer} d @param {() => void} [release] when given, `d` is lent: release once written */
      const onData = (d, release) => {
        if (!headDone) {
          pending = pending ? Buffer.concat([pending, d]) : reuse ? Buffer.from(d) : d;
          release?.();
          release = undefined;
          const k = pending.indexOf('\r\n\r\n');
          if (k < 0) return;
          const lines = pending.toString('latin1', 0, k).split('\r\n');
          /** @type {string[]} */
          const fields = [];
          for (const line of lines.slice(1)) {
            const j = line.indexOf(':');
            const name = line.slice(0, j);
            const value = line.slice(j + 1).trim();
            fields.push(name, value);
            if (name.toLowerCase() === 'content-length') left = Number(value);
          }
          headDone = true;
          sink.head(lines[0].slice(9), fields);
          d = pending.subarray(k + 4);
          pending = undefined;
        }
        left -= d.length;
        const ok = d.length === 0 || sink.body(d, release);
        if (d.length === 0) release?.();
        if (left <= 0) {
          if (reuse) readers.delete(s);
          else s.removeListener('data', onData);
          idle.push(s);
          sink.end();
          return;
        }
        if (!ok) {
          s.pause();
          sink.drain(() => s.resume());
        }
      };
      if (reuse) readers.set(s, onData);
      else s.on('data', onData);
    });
  };
}

module.exports = { relayFloor };
