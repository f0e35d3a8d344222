/**
 * Turns what the WSP server reports (src/wsp/server.ts WspNote, data) into the `wapgw_wsp_*`
 * and shared metrics and log lines: the server itself holds no registry and no logger.
 */
import type { Logger } from '../core/logger';
import type { Metrics } from '../ops/metrics';
import type { WspNote, WspReporter } from '../wsp/server';

export function wspReporter(metrics: Metrics, logger: Logger): WspReporter {
  return {
    note(n: WspNote): void {
      switch (n.note) {
        case 'decode-error':
          metrics.decodeErrors.inc({ layer: n.layer }, n.count);
          return;
        case 'rate-limited':
          metrics.rateLimited.inc({ layer: 'wsp' });
          return;
        case 'session-event':
          metrics.wspSessionEvents.inc({ event: n.event });
          return;
        case 'sessions':
          metrics.wspSessions.set(n.count);
          return;
        case 'access-denied':
          metrics.accessDenied.inc({ layer: 'wsp-cl', reason: n.reason });
          return;
        case 'log':
          logger[n.level](n.fields, n.msg);
          return;
      }
    },
  };
}
