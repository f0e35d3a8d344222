/**
 * Shared pieces of the robustness scripts (bench/robustness/*.js): start wapgw (node dist/cli.js)
 * with a temp config on ephemeral loopback ports, a counting origin (stand-in MMSC), fakewap,
 * /proc sampling (RSS, open fds), the captured corpus and a seeded mutator.
 * Plain CommonJS so the scripts run with `node` after `npm run build`.
 */
'use strict';
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { stringify } = require('yaml');

const ROOT = path.resolve(__dirname, '..', '..');
const { FAKEWAP, runFakewap, spawnGateway } = require('../lib/common');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function args(defaults) {
  const out = { ...defaults };
  const a = process.argv.slice(2);
  for (let i = 0; i < a.length; i++) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(a[i]);
    if (!m) continue;
    const key = m[1].replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    let v = m[2];
    if (v === undefined) v = a[i + 1] !== undefined && !a[i + 1].startsWith('--') ? a[++i] : 'true';
    out[key] = typeof defaults[key] === 'number' ? Number(v) : v === 'true' ? true : v === 'false' ? false : v;
  }
  return out;
}

/** mulberry32 */
function rng(seed) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n) => Math.floor(next() * n), pick: (arr) => arr[Math.floor(next() * arr.length)] };
}

/**
 * A stand-in MMSC on 127.0.0.1: counts requests per method and per body hash, answers
 * `GET ?size=N` with N octets. `mode` changes its behaviour for fault tests.
 */
function origin() {
  const o = { requests: 0, posts: 0, postBodies: new Map(), mode: 'ok', delayMs: 0, sockets: new Set() };
  const srv = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      o.requests++;
      const body = Buffer.concat(chunks);
      if (req.method === 'POST') {
        o.posts++;
        const key = require('node:crypto').createHash('sha256').update(body).digest('hex');
        o.postBodies.set(key, (o.postBodies.get(key) || 0) + 1);
      }
      const answer = () => {
        const u = new URL(req.url ?? '/', 'http://x');
        const n = Math.min(Number(u.searchParams.get('size') || 40), 2000000);
        const type = u.searchParams.get('type') || 'text/plain';
        res.writeHead(200, { 'content-type': type, 'content-length': n });
        res.end(Buffer.alloc(n, 0x41));
      };
      if (o.delayMs) setTimeout(answer, o.delayMs);
      else answer();
    });
  });
  srv.keepAliveTimeout = 60000;
  srv.on('connection', (s) => {
    o.sockets.add(s);
    s.on('close', () => o.sockets.delete(s));
  });
  o.server = srv;
  o.close = () => {
    for (const s of o.sockets) s.destroy();
    return new Promise((r) => srv.close(() => r(undefined)));
  };
  return new Promise((r) =>
    srv.listen(0, '127.0.0.1', () => {
      o.port = /** @type {import('node:net').AddressInfo} */ (srv.address()).port;
      o.url = `http://127.0.0.1:${o.port}`;
      r(o);
    }),
  );
}

/** Starts `node dist/cli.js start -c TMP/wapgw.yaml`; resolves once `started` is logged. */
async function startWapgw(config, opts = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wapgw-robust-'));
  const base = {
    wsp: { bind: '127.0.0.1', connectionlessPort: 0, connectionOrientedPort: 0, connectionlessMaxAmplification: 0, maxSessionsPerSource: 100000 },
    proxy: { enabled: false, bind: '127.0.0.1', port: 0, allowedNetworks: ['127.0.0.0/8'], requireSubscriber: false },
    admin: { bind: '127.0.0.1', port: 0 },
    log: { level: 'info', accessLog: false },
  };
  for (const [k, v] of Object.entries(config)) base[k] = { ...(base[k] || {}), ...v };
  const file = path.join(dir, 'wapgw.yaml');
  fs.writeFileSync(file, stringify(base));
  /** @type {{ dir: string, lines: any[], stderr: string, listeners: any[], [key: string]: any }} */
  const gw = { dir, lines: [], stderr: '', listeners: [] };
  const keep = (j) => {
    if (opts.keepLines !== false && gw.lines.length < 20000) gw.lines.push(j);
  };
  // launched as shipped (npm start, systemd): package.json config.gatewayNodeFlags
  const { child, listeners, stderr } = await spawnGateway(file, { cwd: ROOT, timeoutMs: 15000, onLine: keep });
  gw.child = child;
  gw.listeners = listeners;
  Object.defineProperty(gw, 'stderr', { get: stderr, enumerable: true });
  const port = (name) => gw.listeners.find((l) => l.listener === name || l.name === name)?.port;
  gw.cl = port('wsp-connectionless');
  gw.co = port('wsp-connection-oriented');
  gw.admin = gw.listeners.find((l) => l.component === 'admin')?.port;
  gw.proxy = gw.listeners.find((l) => l.component === 'proxy')?.port;
  gw.radius = gw.listeners.find((l) => l.component === 'radius' || l.component === 'subscribers')?.port;
  gw.alive = () => child.exitCode === null && child.signalCode === null;
  gw.stop = async () => {
    if (!gw.alive()) return;
    child.kill('SIGTERM');
    await Promise.race([new Promise((r) => child.once('exit', r)), sleep(8000)]);
    if (gw.alive()) child.kill('SIGKILL');
  };
  return gw;
}

function adminGet(gw, p) {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port: gw.admin, path: p, timeout: 5000 }, (res) => {
      const c = [];
      res.on('data', (d) => c.push(d));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(c).toString() }));
    });
    req.on('error', (e) => resolve({ status: 0, body: String(e) }));
    req.on('timeout', () => req.destroy(new Error('timeout')));
  });
}

/** Sum of a Prometheus metric's samples whose labels contain `match` (e.g. 'layer="wsp"'). */
function metric(text, name, match = '') {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== ' ' && rest[0] !== '{') continue;
    if (match && !rest.includes(match)) continue;
    sum += Number(line.split(' ').pop());
  }
  return sum;
}

const rssMb = (pid) => {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
};
const fdCount = (pid) => {
  try {
    return fs.readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return NaN;
  }
};

/** Runs fakewap; counts 200 OK replies and other statuses. */
const fakewap = runFakewap;
const hasFakewap = () => fs.existsSync(FAKEWAP);

/** Every UDP payload of the Kannel captures: {dst: 'cl'|'co'|'reply', bytes}. */
function corpus() {
  const dirs = ['/work/shared/interop/kannel', path.join(ROOT, 'test/fixtures/captures')];
  const out = [];
  const seen = new Set();
  for (const d of dirs) {
    if (!fs.existsSync(d)) continue;
    for (const f of fs.readdirSync(d)) {
      if (!f.endsWith('.payloads.csv')) continue;
      for (const line of fs.readFileSync(path.join(d, f), 'utf8').split('\n')) {
        const [, src, dst, hex] = line.trim().split(',');
        if (!hex || seen.has(hex)) continue;
        seen.add(hex);
        const bytes = Buffer.from(hex, 'hex');
        if (bytes.length > 1500) continue;
        out.push({ dst: dst === '9200' ? 'cl' : dst === '9201' ? 'co' : src === '9200' ? 'reply-cl' : 'reply-co', bytes });
      }
    }
  }
  return out;
}

/**
 * Held-out mutations (the codec tests use bit flips and truncations of single PDUs; these add
 * field swaps, splices of two datagrams, duplicated regions, hostile uintvars, header-bit flips
 * and random TIDs on top).
 */
function mutator(seed) {
  const r = rng(seed);
  const ops = {
    bitflip(b) {
      const c = Buffer.from(b);
      const n = 1 + r.int(4);
      for (let i = 0; i < n && c.length; i++) c[r.int(c.length)] ^= 1 << r.int(8);
      return c;
    },
    truncate(b) {
      return b.subarray(0, r.int(b.length + 1));
    },
    insert(b) {
      const at = r.int(b.length + 1);
      const ins = Buffer.from(Array.from({ length: 1 + r.int(8) }, () => r.pick([0x00, 0x7f, 0x80, 0xff, r.int(256)])));
      return Buffer.concat([b.subarray(0, at), ins, b.subarray(at)]);
    },
    swap(b) {
      if (b.length < 4) return b;
      const c = Buffer.from(b);
      const len = 1 + r.int(Math.min(8, c.length >> 1));
      const i = r.int(c.length - len + 1);
      const j = r.int(c.length - len + 1);
      const tmp = Buffer.from(c.subarray(i, i + len));
      c.copy(c, i, j, j + len);
      tmp.copy(c, j);
      return c;
    },
    splice(b, other) {
      return Buffer.concat([b.subarray(0, r.int(b.length + 1)), other.subarray(r.int(other.length + 1))]);
    },
    duplicate(b) {
      if (!b.length) return b;
      const i = r.int(b.length);
      const len = 1 + r.int(Math.min(32, b.length - i));
      return Buffer.concat([b.subarray(0, i + len), b.subarray(i, i + len), b.subarray(i + len)]);
    },
    uintvar(b) {
      // a hostile length: 0xff 0xff 0xff 0xff 0x7f somewhere after the first octets
      const at = Math.min(b.length, 1 + r.int(Math.max(1, b.length - 1)));
      return Buffer.concat([b.subarray(0, at), Buffer.from([0x8f, 0xff, 0xff, 0xff, 0x7f]), b.subarray(at + 1)]);
    },
    tid(b) {
      // random TID (WTP octets 1-2) and TIDnew/RID/GTR/TTR bits
      const c = Buffer.from(b);
      if (c.length >= 3) {
        c[1] = r.int(256);
        c[2] = r.int(256);
      }
      if (c.length) c[0] ^= r.int(8);
      return c;
    },
    random(b) {
      return Buffer.from(Array.from({ length: r.int(64) }, () => r.int(256)));
    },
  };
  const names = Object.keys(ops);
  return (b, other) => {
    let c = b;
    const rounds = 1 + r.int(3);
    for (let k = 0; k < rounds; k++) c = ops[r.pick(names)](c, other);
    return c;
  };
}

/**
 * A lossy UDP relay between handsets and a gateway port: each handset (address:port) gets its
 * own upstream socket (so the gateway sees one peer per handset); datagrams both ways are lost
 * with probability `loss`, delivered twice with `duplicate`, held back 20-60 ms (reordered)
 * with `reorder`, all from a seeded generator.
 */
async function lossyRelay({ targetPort, loss = 0, duplicate = 0, reorder = 0, seed = 1 }) {
  const dgram = require('node:dgram');
  const r = rng(seed);
  const stats = { up: 0, down: 0, lost: 0, duplicated: 0, reordered: 0 };
  const front = dgram.createSocket('udp4');
  const peers = new Map();
  const impair = (send) => {
    if (r.next() < loss) {
      stats.lost++;
      return;
    }
    const copies = r.next() < duplicate ? 2 : 1;
    if (copies === 2) stats.duplicated++;
    for (let i = 0; i < copies; i++) {
      const safe = () => {
        try {
          send();
        } catch {
          // relay closed meanwhile
        }
      };
      if (i > 0 || r.next() < reorder) {
        if (i === 0) stats.reordered++;
        setTimeout(safe, 20 + r.int(40));
      } else safe();
    }
  };
  front.on('message', (m, rinfo) => {
    const key = `${rinfo.address}:${rinfo.port}`;
    let up = peers.get(key);
    if (!up) {
      up = dgram.createSocket('udp4');
      peers.set(key, up);
      up.on('error', () => {});
      up.on('message', (d) => {
        stats.down++;
        impair(() => front.send(d, rinfo.port, rinfo.address));
      });
      up.bind(0, '127.0.0.1'); // sends before 'listening' are queued by dgram
    }
    stats.up++;
    impair(() => up.send(m, targetPort, '127.0.0.1'));
  });
  front.on('error', () => {});
  await new Promise((res) => front.bind(0, '127.0.0.1', () => res(undefined)));
  return {
    port: front.address().port,
    stats,
    close: () => {
      for (const u of peers.values()) u.close();
      front.close();
    },
  };
}

module.exports = {
  lossyRelay, ROOT, FAKEWAP, sleep, args, rng, origin, startWapgw, adminGet, metric, rssMb, fdCount, fakewap, hasFakewap, corpus, mutator };
