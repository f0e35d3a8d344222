/**
 * A lossy UDP relay on 127.0.0.1 between handsets and a gateway port, for end-to-end loss tests
 * over real sockets: each handset (address:port) gets its own upstream socket, so the gateway
 * sees one peer per handset. Datagrams both ways are lost with probability `loss` and delivered
 * twice with probability `duplicate` (the copy up to 50 ms late), from a seeded generator;
 * `drop(dir, datagram)` drops chosen datagrams on top (targeted loss).
 */
import dgram from 'node:dgram';
import { Rng } from './lossy-link';

export interface LossyRelayOptions {
  targetPort: number;
  loss?: number;
  duplicate?: number;
  seed?: number;
  drop?: (dir: 'up' | 'down', datagram: Buffer) => boolean;
}

export interface LossyRelay {
  port: number;
  stats: { up: number; down: number; lost: number; duplicated: number };
  close(): void;
}

export async function startLossyRelay(o: LossyRelayOptions): Promise<LossyRelay> {
  const rng = new Rng(o.seed ?? 1);
  const stats = { up: 0, down: 0, lost: 0, duplicated: 0 };
  const timers = new Set<NodeJS.Timeout>();
  let closed = false;
  const front = dgram.createSocket('udp4');
  const peers = new Map<string, dgram.Socket>();
  const pass = (dir: 'up' | 'down', m: Buffer, send: () => void) => {
    if (o.drop?.(dir, m) || rng.chance(o.loss ?? 0)) {
      stats.lost++;
      return;
    }
    send();
    if (rng.chance(o.duplicate ?? 0)) {
      stats.duplicated++;
      const t = setTimeout(() => {
        timers.delete(t);
        if (!closed) send();
      }, Math.floor(rng.next() * 50));
      timers.add(t);
    }
  };
  front.on('message', (m, rinfo) => {
    const key = `${rinfo.address}:${rinfo.port}`;
    let up = peers.get(key);
    if (!up) {
      const sock = dgram.createSocket('udp4');
      up = sock;
      peers.set(key, sock);
      sock.on('error', () => undefined);
      sock.on('message', (d) => {
        stats.down++;
        pass('down', d, () => front.send(d, rinfo.port, rinfo.address));
      });
      sock.bind(0, '127.0.0.1');
    }
    stats.up++;
    const u = up;
    pass('up', m, () => u.send(m, o.targetPort, '127.0.0.1'));
  });
  front.on('error', () => undefined);
  await new Promise<void>((r) => front.bind(0, '127.0.0.1', r));
  return {
    port: front.address().port,
    stats,
    close: () => {
      closed = true;
      for (const t of timers) clearTimeout(t);
      for (const s of peers.values()) s.close();
      front.close();
    },
  };
}
