/**
 * The proxy's upstream connection pools (src/http/upstream.ts) against raw TCP servers that
 * behave as an MMSC might: keep-alive reuse, the connection limit, an idle connection closed as it
 * is reused (retried only when safe), backpressure, chunked request bodies, and broken responses.
 */
import { createHook } from 'node:async_hooks';
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import { Readable } from 'node:stream';
import t from 'tap';
import type { ResponseHead } from '../../src/http/http1';
import { Rng } from '../helpers/rng';
import { UpstreamPool, dropFreeReadBuffers, type BodyFraming, type UpstreamRequest } from '../../src/http/upstream';

interface Server {
  port: number;
  /** Connections accepted so far. */
  accepted: number;
  /** Request heads seen (up to the blank line), in order. */
  heads: string[];
  close(): Promise<void>;
}

/**
 * A raw server: `answer(reqText, socket, n)` is called for every complete request head (+ its
 * Content-Length body, if any) with the count of requests on that connection so far.
 */
async function rawServer(answer: (req: string, sock: net.Socket, n: number, body: Buffer) => void): Promise<Server> {
  const s: Server = { port: 0, accepted: 0, heads: [], close: async () => {} };
  const socks = new Set<net.Socket>();
  const srv = net.createServer((sock) => {
    s.accepted++;
    socks.add(sock);
    sock.on('close', () => socks.delete(sock));
    sock.on('error', () => {});
    let buf = Buffer.alloc(0);
    let n = 0;
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buf.subarray(0, end).toString('latin1');
        const cl = /\r\ncontent-length: *(\d+)/i.exec(head);
        let bodyLen = cl ? Number(cl[1]) : 0;
        if (/\r\ntransfer-encoding: *chunked/i.test(head)) {
          const last = buf.indexOf('0\r\n\r\n', end + 4);
          if (last < 0) return;
          bodyLen = last + 5 - (end + 4);
        }
        if (buf.length < end + 4 + bodyLen) return;
        const body = buf.subarray(end + 4, end + 4 + bodyLen);
        buf = buf.subarray(end + 4 + bodyLen);
        s.heads.push(head);
        answer(head, sock, ++n, body);
      }
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  s.port = (srv.address() as net.AddressInfo).port;
  s.close = () =>
    new Promise<void>((r) => {
      for (const x of socks) x.destroy();
      srv.close(() => r());
    });
  return s;
}

interface Outcome {
  head?: ResponseHead;
  body: Buffer;
  error?: NodeJS.ErrnoException;
}

/** One request through `pool`, resolved when it ends or fails. */
function send(pool: UpstreamPool, method = 'GET', framing: BodyFraming = 'none', body?: Buffer[], onData?: (c: Buffer, req: UpstreamRequest) => boolean): Promise<Outcome> {
  return new Promise((resolve) => {
    const out: Outcome = { body: Buffer.alloc(0) };
    const headers: Array<[string, string]> = [['Host', 'mmsc']];
    if (framing === 'length') headers.push(['Content-Length', String(Buffer.concat(body ?? []).length)]);
    const req: UpstreamRequest = pool.request(method, '/mms', headers, framing, {
      upstreamHead: (h) => (out.head = h),
      upstreamData: (c) => {
        out.body = Buffer.concat([out.body, c]);
        return onData ? onData(c, req) : true;
      },
      upstreamEnd: () => resolve(out),
      upstreamFailed: (e) => {
        out.error = e;
        resolve(out);
      },
    });
    if (body) Readable.from(body).pipe(req.bodyWriter());
  });
}

const ok = (sock: net.Socket, text: string): void => {
  sock.write(`HTTP/1.1 200 OK\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`);
};

t.test('keep-alive: sequential requests share one connection', async (t) => {
  const srv = await rawServer((_h, sock, n) => ok(sock, `reply ${n}`));
  const pool = new UpstreamPool({ protocol: 'http:', host: '127.0.0.1', port: srv.port }, 4);
  for (let i = 1; i <= 5; i++) {
    const r = await send(pool);
    t.equal(r.body.toString(), `reply ${i}`);
  }
  t.equal(srv.accepted, 1, 'one connection for five requests');
  t.match(srv.heads[0], /^GET \/mms HTTP\/1\.1\r\nHost: mmsc$/);
  t.same(pool.stats, { open: 1, idle: 1, waiting: 0 });
  pool.close();
  await srv.close();
});

t.test('at most `max` connections: the rest wait their turn, all complete', async (t) => {
  const pending: Array<() => void> = [];
  const srv = await rawServer((_h, sock) => pending.push(() => ok(sock, 'x')));
  const pool = new UpstreamPool({ protocol: 'http:', host: '127.0.0.1', port: srv.port }, 2);
  const all = Promise.all(Array.from({ length: 5 }, () => send(pool)));
  await new Promise((r) => setTimeout(r, 100));
  t.equal(srv.accepted, 2, 'two connections');
  t.equal(pool.stats.waiting, 3, 'three requests queued');
  const drain = setInterval(() => pending.shift()?.(), 5);
  const res = await all;
  clearInterval(drain);
  t.same(
    res.map((r) => r.body.toString()),
    ['x', 'x', 'x', 'x', 'x'],
  );
  t.equal(srv.accepted, 2, 'still two');
  pool.close();
  await srv.close();
});

t.test('an idle connection the MMSC closed as we reused it: a GET is sent again on a new one, a POST is not', async (t) => {
  // the server answers the first request of each connection and drops the connection at the second
  const srv = await rawServer((_h, sock, n) => (n === 1 ? ok(sock, 'first') : sock.destroy()));
  const pool = new UpstreamPool({ protocol: 'http:', host: '127.0.0.1', port: srv.port }, 4);
  t.equal((await send(pool)).body.toString(), 'first');
  const again = await send(pool);
  t.equal(again.error, undefined, 'no error for the GET');
  t.equal(again.body.toString(), 'first', 'answered on a fresh connection');
  t.equal(srv.accepted, 2);
  const post = await send(pool, 'POST', 'length', [Buffer.from('m-send-req')]);
  t.ok(post.error, 'the POST on the reused connection fails');
  t.equal(srv.accepted, 2, 'and is not sent again');
  pool.close();
  await srv.close();
});

t.test('backpressure: no more body while the handler says so; resume() goes on', async (t) => {
  const big = Buffer.alloc(2 * 1024 * 1024, 0x61);
  const srv = await rawServer((_h, sock) => {
    sock.write(`HTTP/1.1 200 OK\r\nContent-Length: ${big.length}\r\n\r\n`);
    sock.write(big);
  });
  const pool = new UpstreamPool({ protocol: 'http:', host: '127.0.0.1', port: srv.port }, 1);
  let paused = false;
  let whilePaused = 0;
  let pauses = 0;
  const r = await send(pool, 'GET', 'none', undefined, (_c, req) => {
    if (paused) whilePaused++;
    if (pauses < 3) {
      pauses++;
      paused = true;
      setTimeout(() => {
        paused = false;
        req.resume();
      }, 30);
      return false;
    }
    return true;
  });
  t.equal(r.body.length, big.length, 'all of it in the end');
  t.equal(whilePaused, 0, 'nothing delivered while paused');
  t.equal(pauses, 3);
  pool.close();
  await srv.close();
});

t.test('request bodies: Content-Length as given, chunked re-framed', async (t) => {
  const bodies: Buffer[] = [];
  const srv = await rawServer((_h, sock, _n, body) => {
    bodies.push(Buffer.from(body));
    ok(sock, 'ok');
  });
  const pool = new UpstreamPool({ protocol: 'http:', host: '127.0.0.1', port: srv.port }, 1);
  const parts = [Buffer.from('hello '), Buffer.from('wap '), Buffer.from('world')];
  t.equal((await send(pool, 'POST', 'length', parts)).body.toString(), 'ok');
  t.equal((await send(pool, 'POST', 'chunked', parts)).body.toString(), 'ok');
  t.equal(bodies[0]!.toString(), 'hello wap world');
  t.equal(bodies[1]!.toString(), '6\r\nhello \r\n4\r\nwap \r\n5\r\nworld\r\n0\r\n\r\n');
  t.match(srv.heads[1], /\r\nTransfer-Encoding: chunked$/);
  t.equal(srv.accepted, 1, 'both on one connection');
  pool.close();
  await srv.close();
});

t.test('a response that cannot be framed fails the request and spends the connection', async (t) => {
  let n = 0;
  const srv = await rawServer((_h, sock) => {
    n++;
    if (n === 1) sock.write('HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n');
    else ok(sock, 'fine');
  });
  const pool = new UpstreamPool({ protocol: 'http:', host: '127.0.0.1', port: srv.port }, 1);
  const bad = await send(pool);
  t.equal(bad.error?.code, 'EUPSTREAMPROTO');
  t.equal(bad.head, undefined, 'nothing relayed');
  t.equal((await send(pool)).body.toString(), 'fine');
  t.equal(srv.accepted, 2, 'the next request had a new connection');
  pool.close();
  await srv.close();
});

t.test('refused connection: an error, nothing left behind', async (t) => {
  const srv = await rawServer(() => {});
  const port = srv.port;
  await srv.close();
  const pool = new UpstreamPool({ protocol: 'http:', host: '127.0.0.1', port }, 2);
  const r = await send(pool);
  t.equal(r.error?.code, 'ECONNREFUSED');
  await new Promise((r) => setTimeout(r, 20));
  t.same(pool.stats, { open: 0, idle: 0, waiting: 0 });
});

t.test('abort: a queued request leaves the queue; a sent one closes its connection', async (t) => {
  const srv = await rawServer(() => {});
  const pool = new UpstreamPool({ protocol: 'http:', host: '127.0.0.1', port: srv.port }, 1);
  const never = { upstreamHead() {}, upstreamData: () => true, upstreamEnd() {}, upstreamFailed() {} };
  const a = pool.request('GET', '/', [], 'none', never);
  const b = pool.request('GET', '/', [], 'none', never);
  t.equal(pool.stats.waiting, 1);
  b.abort();
  t.equal(pool.stats.waiting, 0);
  await new Promise((r) => setTimeout(r, 50));
  a.abort();
  await new Promise((r) => setTimeout(r, 50));
  t.same(pool.stats, { open: 0, idle: 0, waiting: 0 });
  await srv.close();
});

t.test('https: the MMSC certificate is verified; with its CA the request goes through on one connection', async (t) => {
  const dir = path.join(__dirname, '..', 'fixtures', 'tls');
  const key = fs.readFileSync(path.join(dir, 'mmsc.key'));
  const cert = fs.readFileSync(path.join(dir, 'mmsc.crt'));
  const srv = https.createServer({ key, cert }, (_req, res) => {
    res.writeHead(200, { 'content-length': '6' });
    res.end('secure');
  });
  let connections = 0;
  srv.on('secureConnection', () => connections++);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  const untrusted = new UpstreamPool({ protocol: 'https:', host: '127.0.0.1', port }, 2);
  const refused = await send(untrusted);
  t.equal(refused.error?.code, 'DEPTH_ZERO_SELF_SIGNED_CERT', 'a self-signed MMSC is not trusted by default');
  t.equal(refused.head, undefined);
  const trusted = new UpstreamPool({ protocol: 'https:', host: '127.0.0.1', port }, 2, 30_000, { ca: cert });
  t.equal((await send(trusted)).body.toString(), 'secure');
  t.equal((await send(trusted)).body.toString(), 'secure');
  t.equal(connections, 1, 'kept alive over TLS');
  untrusted.close();
  trusted.close();
  srv.closeAllConnections();
  await new Promise<void>((r) => srv.close(() => r()));
});

t.test('random MMSC faults under concurrency: every request ends exactly once, the pool stays within its bound and settles', async (t) => {
  // seeded choice per request: answer, answer chunked, reset before, reset mid-body, garbage, stall, close after answering
  const rng = new Rng(12345);
  const body = Buffer.alloc(20_000, 0x6d);
  const srv = await rawServer((_h, sock) => {
    switch (Math.floor(rng.next() * 7)) {
      case 0:
        sock.write(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`);
        sock.write(body);
        break;
      case 1:
        sock.write(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${body.length.toString(16)}\r\n`);
        sock.write(body);
        sock.write('\r\n0\r\n\r\n');
        break;
      case 2:
        sock.destroy();
        break;
      case 3:
        sock.write(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`);
        sock.write(body.subarray(0, 5000), () => sock.destroy());
        break;
      case 4:
        sock.write('SSH-2.0-OpenSSH_9.6\r\n\r\n');
        break;
      case 5:
        break; // stall: the request's timeout ends it
      default:
        sock.end(`HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok`);
    }
  });
  const max = 4;
  const pool = new UpstreamPool({ protocol: 'http:', host: '127.0.0.1', port: srv.port }, max);
  const n = 300;
  let ends = 0;
  let fails = 0;
  let twice = 0;
  let timeouts = 0;
  let peakOpen = 0;
  let peakWaiting = 0;
  const one = () =>
    new Promise<void>((resolve) => {
      let done = false;
      const finish = (kind: 'end' | 'fail') => {
        if (done) {
          twice++;
          return;
        }
        done = true;
        clearTimeout(deadline);
        if (kind === 'end') ends++;
        else fails++;
        resolve();
      };
      const req = pool.request('GET', '/mms', [['Host', 'mmsc']], 'none', {
        upstreamHead: () => {},
        upstreamData: () => true,
        upstreamEnd: () => finish('end'),
        upstreamFailed: () => finish('fail'),
      });
      peakOpen = Math.max(peakOpen, pool.stats.open);
      peakWaiting = Math.max(peakWaiting, pool.stats.waiting);
      // the exchange's deadline: a stalled MMSC is given up on, its connection closed
      const deadline = setTimeout(() => {
        timeouts++;
        req.abort();
        finish('fail');
      }, 300);
    });
  // eight phones at a time, 300 requests in all
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < n) {
        next++;
        await one();
      }
    }),
  );
  t.equal(ends + fails, n, `every request ended (${ends} answered, ${fails} failed, ${timeouts} timed out)`);
  t.equal(twice, 0, 'none ended twice');
  t.ok(ends > 0 && fails > 0, 'both outcomes happened');
  t.ok(peakOpen <= max + 1, `at most max (+1 for a retry) connections open (peak ${peakOpen})`);
  t.ok(peakWaiting <= 8, `the queue holds at most the requests in flight (peak ${peakWaiting})`);
  await new Promise((r) => setTimeout(r, 100));
  t.equal(pool.stats.waiting, 0, 'nobody left waiting');
  t.ok(pool.stats.idle <= pool.stats.open && pool.stats.open <= max, `settled: ${JSON.stringify(pool.stats)}`);
  pool.close();
  await srv.close();
});

t.test('lent read buffers: a chunk nobody holds is read over by later responses; a held one is not until released', async (t) => {
  // three responses of 200 KB, each a different octet, on one keep-alive connection
  const size = 200 * 1024;
  const srv = await rawServer((_h, sock, n) => {
    sock.write(`HTTP/1.1 200 OK\r\nContent-Length: ${size}\r\n\r\n`);
    sock.write(Buffer.alloc(size, 0x40 + n));
  });
  const pool = new UpstreamPool({ protocol: 'http:', host: '127.0.0.1', port: srv.port }, 1);

  /** One GET; `keep` decides per chunk whether to hold it. Returns the views kept and their releases. */
  const get = (keep: boolean) =>
    new Promise<{ views: Buffer[]; releases: Array<() => void>; stores: Set<ArrayBufferLike> }>((resolve, reject) => {
      const views: Buffer[] = [];
      const releases: Array<() => void> = [];
      const stores = new Set<ArrayBufferLike>();
      const req: UpstreamRequest = pool.request('GET', '/mms', [['Host', 'mmsc']], 'none', {
        upstreamHead: () => undefined,
        upstreamData: (c) => {
          stores.add(c.buffer);
          views.push(c);
          if (keep) {
            releases.push(req.hold());
            holds2.push(req.hold());
          }
          return true;
        },
        upstreamEnd: () => resolve({ views, releases, stores }),
        upstreamFailed: reject,
      });
    });

  const holds2: Array<() => void> = [];
  dropFreeReadBuffers(); // earlier tests' buffers: an empty free list, so that every release shows
  const first = await get(false);
  const second = await get(false);
  // nobody held the first response's chunks: its buffers were used again for the second
  t.ok([...second.stores].some((s) => first.stores.has(s)), 'read buffers are used again');
  t.not(first.views.map((v) => v.toString('latin1')).join('').includes('A'.repeat(64)), true, 'so a view kept without a hold may be overwritten (the reason hold() exists)');

  // the third response's chunks are held twice each (say, two writes); one of the two releases is
  // called twice, which must not count as two
  const third = await get(true);
  for (const r of third.releases) {
    r();
    r();
  }
  // the fourth response arrives while the third's chunks are still held once; it holds its own
  // chunks too, so that it needs a buffer per read and would take any that were wrongly free
  const later = await get(true);
  const heldText = Buffer.concat(third.views);
  t.equal(heldText.length, size);
  t.ok(heldText.every((o) => o === 0x43), "held chunks keep the third response's octets while the fourth is read");
  t.notOk([...later.stores].some((s) => third.stores.has(s)), 'no held buffer was read into');
  t.ok(Buffer.concat(later.views).every((o) => o === 0x44), 'the fourth response intact');
  for (const r of [...holds2, ...later.releases]) r();
  const fifth = await get(true); // holding, so it reads into more than one buffer
  t.ok([...fifth.stores].some((s) => third.stores.has(s) || later.stores.has(s)), 'released buffers are used again');
  for (const r of fifth.releases) r();
  t.ok(Buffer.concat(fifth.views).every((o) => o === 0x45), 'the fifth response intact');
  pool.close();
  await srv.close();
});

t.test('stall timeouts on a reused connection: the request\'s own fires; without one, the idle sweep leaves a busy connection alone', async (t) => {
  const stalls: Array<() => void> = [];
  const srv = await rawServer((head, sock) => {
    if (head.startsWith('GET /mms')) stalls.push(() => ok(sock, 'late'));
  });
  // idle connections close after 150 ms; the first request leaves the connection idle, the sweep armed
  const pool = new UpstreamPool({ protocol: 'http:', host: '127.0.0.1', port: srv.port }, 1, 150);
  const first = send(pool);
  await new Promise((r) => setTimeout(r, 30));
  stalls.shift()?.();
  t.equal((await first).body.toString(), 'late');
  // no timeout of its own: the MMSC answers after 400 ms (past the idle 150) and the request completes
  const second = send(pool);
  await new Promise((r) => setTimeout(r, 400));
  stalls.shift()?.();
  const r2 = await second;
  t.equal(r2.error, undefined, 'the idle sweep did not close a busy connection');
  t.equal(r2.body.toString(), 'late');
  t.equal(srv.accepted, 1, 'the same connection');
  // its own timeout (60 ms) on the reused connection fires once the MMSC is silent that long
  let fired = 0;
  const third = new Promise<number>((resolve) => {
    const req = pool.request('GET', '/mms', [['Host', 'mmsc']], 'none', {
      upstreamHead: () => undefined,
      upstreamData: () => true,
      upstreamEnd: () => resolve(fired),
      upstreamFailed: () => resolve(fired),
    });
    req.setTimeout(60, () => {
      fired++;
      req.abort();
      resolve(fired);
    });
  });
  t.equal(await third, 1, 'the request\'s stall timeout fired');
  t.equal(srv.accepted, 1, 'still one connection accepted (the stalled one is dropped)');
  pool.close();
  await srv.close();
});

t.test('a kept connection: a request that asks no stall timeout (the WSP bridge, whose deadline covers it) arms no timer; one that asks has it for its own life only', async (t) => {
  const srv = await rawServer((_h, sock) => ok(sock, 'x'));
  const pool = new UpstreamPool({ protocol: 'http:', host: '127.0.0.1', port: srv.port }, 1, 30_000);
  const one = (stall?: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const req = pool.request('GET', '/mms', [['Host', 'mmsc']], 'none', {
        upstreamHead: () => undefined,
        upstreamData: () => true,
        upstreamEnd: () => resolve(),
        upstreamFailed: reject,
      });
      if (stall !== undefined) req.setTimeout(stall, () => reject(new Error('stalled')));
    });
  await one(); // the connection is made, and the idle sweep armed when it went back to the pool
  let timers = 0;
  const hook = createHook({ init: (_id, type) => void (type === 'Timeout' && timers++) }).enable();
  for (let i = 0; i < 20; i++) await one();
  hook.disable();
  t.equal(timers, 0, 'no Timeout created over 20 requests on the kept connection');
  await one(40);
  await new Promise((r) => setTimeout(r, 120));
  t.same(pool.stats, { open: 1, idle: 1, waiting: 0 }, "a finished request's 40 ms stall timeout does not close the idle connection");
  await one();
  t.equal(srv.accepted, 1);
  pool.close();
  await srv.close();
});

t.test('idle connections are closed by the pool\'s sweep once idle that long, the oldest first; reuse starts the wait again', async (t) => {
  const srv = await rawServer((_h, sock) => ok(sock, 'x'));
  const pool = new UpstreamPool({ protocol: 'http:', host: '127.0.0.1', port: srv.port }, 2, 300);
  await Promise.all([send(pool), send(pool)]); // two connections
  t.same(pool.stats, { open: 2, idle: 2, waiting: 0 });
  await new Promise((r) => setTimeout(r, 150));
  t.equal((await send(pool)).error, undefined, 'reused at 150 ms: its idle wait starts again');
  await new Promise((r) => setTimeout(r, 230)); // ~380 ms after the first went idle, ~230 after the reused one
  t.same(pool.stats, { open: 1, idle: 1, waiting: 0 }, 'the one idle past 300 ms is closed, the reused one kept');
  await new Promise((r) => setTimeout(r, 250));
  t.same(pool.stats, { open: 0, idle: 0, waiting: 0 }, 'then the other');
  t.equal(srv.accepted, 2);
  pool.close();
  await srv.close();
});
