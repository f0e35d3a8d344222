/**
 * For tests of gateways sharing a Redis store (workers, the HA pair): a gateway config using
 * the store and RADIUS on loopback, Accounting-Requests over UDP, requests through the proxy.
 */
import { createSocket } from 'node:dgram';
import http from 'node:http';
import { acct, type AcctOptions } from './radius';
import { writeTestConfig } from './gateway-process';

export const SECRET = 'ha-secret';

/** A test config: store redis at `url`, RADIUS on, subscribers required. */
export function sharedStoreConfig(dir: string, url: string, mmsc: string, over: Record<string, Record<string, unknown>> = {}): string {
  return writeTestConfig(dir, {
    mmsc: { url: mmsc },
    subscribers: { store: 'redis', redis: { url, keyPrefix: 'ha:', heartbeatMs: 50, livenessMs: 300, commandTimeoutMs: 300, connectTimeoutMs: 500 } },
    radius: { enabled: true, bind: '127.0.0.1', port: 0, clients: [{ address: '127.0.0.1', secret: SECRET }] },
    demoMmsc: { enabled: false },
    log: { level: 'info', accessLog: true },
    ...over,
  });
}

let ids = 0;
/** Sends one Accounting-Request; resolves true when answered within `ms`, false when not. */
export async function radiusSend(port: number, o: Partial<AcctOptions> & Pick<AcctOptions, 'status'>, ms = 1500): Promise<boolean> {
  const pkt = acct({ secret: SECRET, identifier: ids++ & 0xff, nasIp: '127.0.0.1', ...o });
  const s = createSocket('udp4');
  try {
    return await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), ms);
      s.on('message', (m) => {
        if (m[1] === pkt[1] && m[0] === 5) {
          clearTimeout(timer);
          resolve(true);
        }
      });
      s.send(pkt, port, '127.0.0.1');
    });
  } finally {
    s.close();
  }
}

/** GET through the proxy in absolute form, on a new connection; resolves with the status. */
export function proxyGet(proxyPort: number, url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: proxyPort, method: 'GET', path: url, agent: false, headers: { 'x-msisdn': '19999999999' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.setTimeout(5000, () => req.destroy(new Error('proxy request timed out')));
    req.on('error', reject);
    req.end();
  });
}
