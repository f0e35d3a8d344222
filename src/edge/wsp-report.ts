/**
 * Turns what the WSP server reports (src/wsp/server.ts WspNote, data) into the `wapgw_wsp_*`
 * and shared metrics and log lines: the server itself holds no registry and no logger. Counters
 * are tallies added when the registry is read and the sessions gauge is set at scrape time
 * (Metrics.tally, Metrics.onScrape): the notes come on every session event.
 */
import type { Logger } from '../core/logger';
import type { Metrics, Tally } from '../ops/metrics';
import type { WspNote, WspReporter } from '../wsp/server';

export function wspReporter(metrics: Metrics, logger: Logger): WspReporter {
  const decodeErrors = metrics.tallies(metrics.decodeErrors);
  const rateLimited = metrics.tally(metrics.rateLimited, { layer: 'wsp' });
  const sessionEvents = metrics.tallies(metrics.wspSessionEvents);
  const denied = metrics.tallies(metrics.accessDenied);
  let sessions = 0;
  metrics.onScrape(() => metrics.wspSessions.set(sessions));
  // the label builders are made in these functions, so that `note` captures nothing and a call
  // allocates no context (it runs on every session event)
  const decodeError = (layer: string): Tally => decodeErrors(layer, () => ({ layer }));
  // session events by name (a closed set): no label closure made per event
  const byEvent = new Map<string, Tally>();
  const sessionEvent = (event: string): Tally => {
    let t = byEvent.get(event);
    if (t === undefined) byEvent.set(event, (t = sessionEvents(event, () => ({ event }))));
    return t;
  };
  const deniedFor = (reason: string): Tally => denied(reason, () => ({ layer: 'wsp-cl', reason }));
  return {
    note(n: WspNote): void {
      switch (n.note) {
        case 'decode-error':
          decodeError(n.layer).n += n.count;
          return;
        case 'rate-limited':
          rateLimited.n++;
          return;
        case 'session-event':
          sessionEvent(n.event).n++;
          return;
        case 'sessions':
          sessions = n.count;
          return;
        case 'access-denied':
          deniedFor(n.reason).n++;
          return;
        case 'log':
          logger[n.level](n.fields, n.msg);
          return;
      }
    },
  };
}
