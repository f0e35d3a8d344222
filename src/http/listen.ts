/**
 * Listening on a TCP port: resolves with the real address (port 0 picks one) or rejects with the
 * listen error. For every server of the gateway (node:http's and src/http/server.ts's alike).
 */
import type { AddressInfo, Server } from 'node:net';

export function listenTcp(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise<AddressInfo>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}
