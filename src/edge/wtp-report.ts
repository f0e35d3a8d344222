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

type Finished = Extract<WtpNote, { note: 'transaction' }>;
type Outcome = Finished['outcome'];
type Tcl = Finished['tcl'];

export function wtpReporter(metrics: Metrics, logger: Logger): WtpReporter {
  const log = logger.child({ component: 'wtp' });
  const transactions = metrics.tallies(metrics.wtpTransactions);
  const verifications = metrics.tallies(metrics.wtpTidVerifications);
  const duplicates: Tally = metrics.tally(metrics.wtpDuplicates, {});
  const aborts = metrics.tallies(metrics.wtpAborts);
  const nacks = metrics.tallies(metrics.wtpNacks);
  const retransmissions = metrics.tallies(metrics.wtpRetransmissions);
  const segments = metrics.tallies(metrics.wtpSarSegments);
  // The finished transactions' tallies by class, then outcome (both closed sets): no key string
  // built per transaction. The label builders are made only in the functions that make a tally,
  // so that `note` itself captures nothing and a call allocates no context (it runs on every step).
  const byClass: Array<Map<Outcome, Tally>> = [new Map(), new Map(), new Map()];
  const newTransactionTally = (tcl: Tcl, outcome: Outcome): Tally => {
    const t = transactions(`${tcl}/${outcome}`, () => ({ class: String(tcl), outcome }));
    (byClass[tcl] as Map<Outcome, Tally>).set(outcome, t);
    return t;
  };
  const one = <L extends string>(tallies: (key: string, labels: () => Record<L, string>) => Tally, label: L, value: string): Tally =>
    tallies(value, () => ({ [label]: value }) as Record<L, string>);
  const abortTally = (direction: string, reason: string): Tally => aborts(`${direction}/${reason}`, () => ({ direction, reason }));
  let active = 0;
  metrics.onScrape(() => metrics.wtpActiveTransactions.set(active));
  return {
    get debug() {
      return log.isLevelEnabled('debug');
    },
    note(n: WtpNote): void {
      switch (n.note) {
        case 'transaction':
          ((byClass[n.tcl] as Map<Outcome, Tally>).get(n.outcome) ?? newTransactionTally(n.tcl, n.outcome)).n++;
          return;
        case 'active':
          active = n.transactions;
          return;
        case 'verification':
          one(verifications, 'outcome', n.outcome).n++;
          return;
        case 'duplicate':
          duplicates.n++;
          return;
        case 'abort':
          abortTally(n.direction, n.reason).n++;
          return;
        case 'nack':
          one(nacks, 'direction', n.direction).n++;
          return;
        case 'retransmission':
          one(retransmissions, 'pdu', n.pdu).n++;
          return;
        case 'segment':
          one(segments, 'direction', n.direction).n++;
          return;
        case 'log':
          log[n.level](n.fields, n.msg);
          return;
      }
    },
  };
}
