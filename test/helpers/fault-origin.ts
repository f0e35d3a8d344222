/**
 * A misbehaving MMSC on 127.0.0.1 (raw TCP, so it can break HTTP on purpose), for fault tests.
 * `mode` decides what each request gets: 'ok' (200, 2 octets), 'slow' (never answers),
 * 'reset' (headers promising 1000 octets, 10 of them, then a TCP reset), 'garbage' (bytes that
 * are not HTTP, then close), '5xx' (503 with a body), 'down' (call down(): the port is closed;
 * up() listens again on the same port). Counts requests and open sockets.
 */
import net from 'node:net';

export type FaultMode = 'ok' | 'slow' | 'reset' | 'garbage' | '5xx';

export interface FaultOrigin {
  url: string;
  port: number;
  mode: FaultMode;
  requests: number;
  readonly openSockets: number;
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

export async function startFaultOrigin(): Promise<FaultOrigin> {
  const sockets = new Set<net.Socket>();
  const o = {
    url: '',
    port: 0,
    mode: 'ok' as FaultMode,
    requests: 0,
    get openSockets() {
      return sockets.size;
    },
  } as FaultOrigin;
  const onConn = (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    let buf = '';
    s.on('data', (d) => {
      buf += d.toString('latin1');
      // one request per head (bodies of POSTs are ignored: tests use GET)
      while (buf.includes('\r\n\r\n')) {
        buf = buf.slice(buf.indexOf('\r\n\r\n') + 4);
        o.requests++;
        switch (o.mode) {
          case 'ok':
            s.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok');
            break;
          case 'slow':
            break;
          case 'reset':
            s.write('HTTP/1.1 200 OK\r\nContent-Type: application/vnd.wap.mms-message\r\nContent-Length: 1000\r\n\r\n0123456789');
            setTimeout(() => s.resetAndDestroy(), 20);
            break;
          case 'garbage':
            s.end(Buffer.from('\x00\xff\xfeNOT HTTP AT ALL\r\n\r\n\x01\x02', 'latin1'));
            break;
          case '5xx':
            s.write('HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 4\r\n\r\nbusy');
            break;
        }
      }
    });
  };
  let server = net.createServer(onConn);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  o.port = (server.address() as net.AddressInfo).port;
  o.url = `http://127.0.0.1:${o.port}`;
  o.down = async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  };
  o.up = async () => {
    server = net.createServer(onConn);
    await new Promise<void>((r) => server.listen(o.port, '127.0.0.1', r));
  };
  o.close = async () => {
    for (const s of sockets) s.destroy();
    if (server.listening) await new Promise<void>((r) => server.close(() => r()));
  };
  return o;
}
