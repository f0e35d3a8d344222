/**
 * Free TCP ports for tests that must write a port into a config before the listener starts
 * (the demo MMSC's PPG URL, the PPG's SMSC): the OS picks each (port 0), we close it and hand
 * the number on. A tiny race with other processes remains; every port is on 127.0.0.1.
 */
import { createServer } from 'node:net';

export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: n }, () => new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
      const s = createServer();
      s.once('error', reject);
      s.listen(0, '127.0.0.1', () => resolve(s));
    })),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  return ports;
}
