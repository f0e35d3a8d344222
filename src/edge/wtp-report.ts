/**
 * Turns what the WTP responder reports (src/wtp/responder.ts WtpNote, data) into the
 * `wapgw_wtp_*` metrics and log lines: the responder itself holds no registry and no logger.
 * The notes come on every protocol step, so the counters are tallies (plain numbers added to
 * the prom-client counters when the registry is read, Metrics.tally) and the active-transactions
 * gauge is set at scrape time.
 */
import type { Logger } from '../core/logger';
import type { Metrics, Tally } from '../ops/metrics';
import type { WtpNote, WtpReporter } from '../wtp';

export function wtpReporter(metrics: Metrics, logger: Logger): WtpReporter {
  const log = logger.child({ component: 'wtp' });
  const transactions = metrics.tallies(metrics.wtpTransactions);
  const verifications = metrics.tallies(metrics.wtpTidVerifications);
  const duplicates: Tally = metrics.tally(metrics.wtpDuplicates, {});
  const aborts = metrics.tallies(metrics.wtpAborts);
  const nacks = metrics.tallies(metrics.wtpNacks);
  const retransmissions = metrics.tallies(metrics.wtpRetransmissions);
  const segments = metrics.tallies(metrics.wtpSarSegments);
  let active = 0;
  metrics.onScrape(() => metrics.wtpActiveTransactions.set(active));
  return {
    get debug() {
      return log.isLevelEnabled('debug');
    },
    note(n: WtpNote): void {
      switch (n.note) {
        case 'transaction':
          transactions(`${n.tcl}/${n.outcome}`, () => ({ class: String(n.tcl), outcome: n.outcome })).n++;
          return;
        case 'active':
          active = n.transactions;
          return;
        case 'verification':
          verifications(n.outcome, () => ({ outcome: n.outcome })).n++;
          return;
        case 'duplicate':
          duplicates.n++;
          return;
        case 'abort':
          aborts(`${n.direction}/${n.reason}`, () => ({ direction: n.direction, reason: n.reason })).n++;
          return;
        case 'nack':
          nacks(n.direction, () => ({ direction: n.direction })).n++;
          return;
        case 'retransmission':
          retransmissions(n.pdu, () => ({ pdu: n.pdu })).n++;
          return;
        case 'segment':
          segments(n.direction, () => ({ direction: n.direction })).n++;
          return;
        case 'log':
          log[n.level](n.fields, n.msg);
          return;
      }
    },
  };
}
