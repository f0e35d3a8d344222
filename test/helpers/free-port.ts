/**
 * Free ports for tests that must write a port into a config before the listener starts (the
 * quick start's conf/wapgw.yaml, the demo MMSC's PPG URL, the PPG's SMSC).
 *
 * A port the OS picks for `listen(0)` comes from the ephemeral range
 * (net.ipv4.ip_local_port_range, 32768-60999 by default), the same range every outgoing TCP
 * connection on the machine takes its source port from: between handing the number on and the
 * gateway binding it (the quick start test runs `npm ci` in between), any test's connection may
 * take it (seen as EADDRINUSE). So the ports here are drawn at random *below* that range, where
 * neither outgoing connections nor other tests' `listen(0)` go, and checked bindable on
 * 127.0.0.1. Only another random draw of the same number could still collide.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';

const LOWEST = 10_000;

/** The first port of the ephemeral range (32768 when it cannot be read). */
function ephemeralStart(): number {
  try {
    const first = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(first) && first > LOWEST + 1000 ? first : 32768;
  } catch {
    return 32768;
  }
}

function bindable(port: number, kind: 'tcp' | 'udp'): Promise<boolean> {
  return new Promise((resolve) => {
    if (kind === 'tcp') {
      const s = createServer();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    } else {
      const s = createSocket('udp4');
      s.once('error', () => {
        s.close();
        resolve(false);
      });
      s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)));
    }
  });
}

const handedOut = new Set<number>();

/** One free port on 127.0.0.1 below the ephemeral range, never the same twice in a process. */
export async function freePort(kind: 'tcp' | 'udp' = 'tcp'): Promise<number> {
  const top = ephemeralStart() - 1;
  for (let i = 0; i < 200; i++) {
    const port = LOWEST + Math.floor(Math.random() * (top - LOWEST + 1));
    if (handedOut.has(port)) continue;
    if (await bindable(port, kind)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`no free ${kind} port found between ${LOWEST} and ${top}`);
}

export async function freePorts(n: number, kind: 'tcp' | 'udp' = 'tcp'): Promise<number[]> {
  const ports: number[] = [];
  for (let i = 0; i < n; i++) ports.push(await freePort(kind));
  return ports;
}
