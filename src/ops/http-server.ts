/**
 * Start and graceful stop of a node:http server. `listenHttp` resolves with the real address
 * (port 0 picks one) or rejects with the listen error. `drainHttpServer` (SIGTERM drain): stop
 * accepting, let requests in flight finish, drop keep-alive connections as soon as they go idle,
 * and cut whatever is left at the deadline (ms since epoch).
 */
import type { Server } from 'node:http';

export { listenTcp as listenHttp } from '../http/listen';

export async function drainHttpServer(server: Server, deadline: number): Promise<void> {
  if (!server.listening) return;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  // Connections that finish their request during the drain become idle: close them promptly.
  const sweep = setInterval(() => server.closeIdleConnections(), 50);
  const cut = setTimeout(() => server.closeAllConnections(), Math.max(0, deadline - Date.now()));
  try {
    await closed;
  } finally {
    clearInterval(sweep);
    clearTimeout(cut);
  }
}
