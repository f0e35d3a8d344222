/**
 * Turns what the WTP responder reports (src/wtp/responder.ts WtpNote, data) into the
 * `wapgw_wtp_*` metrics and log lines: the responder itself holds no registry and no logger.
 */
import type { Logger } from '../core/logger';
import type { Metrics } from '../ops/metrics';
import type { WtpNote, WtpReporter } from '../wtp';

export function wtpReporter(metrics: Metrics, logger: Logger): WtpReporter {
  const log = logger.child({ component: 'wtp' });
  return {
    get debug() {
      return log.isLevelEnabled('debug');
    },
    note(n: WtpNote): void {
      switch (n.note) {
        case 'transaction':
          metrics.wtpTransactions.inc({ class: String(n.tcl), outcome: n.outcome });
          return;
        case 'active':
          metrics.wtpActiveTransactions.set(n.transactions);
          return;
        case 'verification':
          metrics.wtpTidVerifications.inc({ outcome: n.outcome });
          return;
        case 'duplicate':
          metrics.wtpDuplicates.inc();
          return;
        case 'abort':
          metrics.wtpAborts.inc({ direction: n.direction, reason: n.reason });
          return;
        case 'nack':
          metrics.wtpNacks.inc({ direction: n.direction });
          return;
        case 'retransmission':
          metrics.wtpRetransmissions.inc({ pdu: n.pdu });
          return;
        case 'segment':
          metrics.wtpSarSegments.inc({ direction: n.direction });
          return;
        case 'log':
          log[n.level](n.fields, n.msg);
          return;
      }
    },
  };
}
