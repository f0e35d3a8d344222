/**
 * Turns what the WSP server reports (src/wsp/server.ts WspNote, data) into the `wapgw_wsp_*`
 * and shared metrics and log lines: the server itself holds no registry and no logger. Counters
 * are tallies added when the registry is read and the sessions gauge is set at scrape time
 * (Metrics.tally, Metrics.onScrape): the notes come on every session event.
 */
import type { Logger } from '../core/logger';
import type { Metrics } from '../ops/metrics';
import type { WspNote, WspReporter } from '../wsp/server';

export function wspReporter(metrics: Metrics, logger: Logger): WspReporter {
  const decodeErrors = metrics.tallies(metrics.decodeErrors);
  const rateLimited = metrics.tally(metrics.rateLimited, { layer: 'wsp' });
  const sessionEvents = metrics.tallies(metrics.wspSessionEvents);
  const denied = metrics.tallies(metrics.accessDenied);
  let sessions = 0;
  metrics.onScrape(() => metrics.wspSessions.set(sessions));
  return {
    note(n: WspNote): void {
      switch (n.note) {
        case 'decode-error':
          decodeErrors(n.layer, () => ({ layer: n.layer })).n += n.count;
          return;
        case 'rate-limited':
          rateLimited.n++;
          return;
        case 'session-event':
          sessionEvents(n.event, () => ({ event: n.event })).n++;
          return;
        case 'sessions':
          sessions = n.count;
          return;
        case 'access-denied':
          denied(n.reason, () => ({ layer: 'wsp-cl', reason: n.reason })).n++;
          return;
        case 'log':
          logger[n.level](n.fields, n.msg);
          return;
      }
    },
  };
}
