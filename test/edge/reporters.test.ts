// The WTP and WSP reporters (src/edge/wtp-report.ts, wsp-report.ts): every note lands on its own
// counter child with its labels, each child counted apart, whatever order the notes come in.
import t from 'tap';
import { Metrics } from '../../src/ops/metrics';
import { silentLogger } from '../../src/core/logger';
import { wtpReporter } from '../../src/edge/wtp-report';
import { wspReporter } from '../../src/edge/wsp-report';

t.test('WTP notes: transactions by class and outcome, and the other counters by their labels', async (t) => {
  const m = new Metrics();
  const r = wtpReporter(m, silentLogger());
  for (let i = 0; i < 3; i++) r.note({ note: 'transaction', tcl: 2, outcome: 'completed' });
  r.note({ note: 'transaction', tcl: 0, outcome: 'completed' });
  r.note({ note: 'transaction', tcl: 2, outcome: 'noresponse' });
  r.note({ note: 'transaction', tcl: 1, outcome: 'completed' });
  r.note({ note: 'verification', outcome: 'ok' });
  r.note({ note: 'verification', outcome: 'ok' });
  r.note({ note: 'verification', outcome: 'failed' });
  r.note({ note: 'abort', direction: 'sent', reason: 'NORESPONSE' });
  r.note({ note: 'abort', direction: 'received', reason: 'user-0xea' });
  r.note({ note: 'nack', direction: 'received' });
  r.note({ note: 'retransmission', pdu: 'Result' });
  r.note({ note: 'segment', direction: 'out' });
  r.note({ note: 'segment', direction: 'out' });
  r.note({ note: 'duplicate' });
  r.note({ note: 'active', transactions: 9 });
  const text = await m.registry.metrics();
  t.match(text, /wapgw_wtp_transactions_total\{class="2",outcome="completed"\} 3\n/);
  t.match(text, /wapgw_wtp_transactions_total\{class="0",outcome="completed"\} 1\n/);
  t.match(text, /wapgw_wtp_transactions_total\{class="1",outcome="completed"\} 1\n/);
  t.match(text, /wapgw_wtp_transactions_total\{class="2",outcome="noresponse"\} 1\n/);
  t.match(text, /wapgw_wtp_tid_verifications_total\{outcome="ok"\} 2\n/);
  t.match(text, /wapgw_wtp_tid_verifications_total\{outcome="failed"\} 1\n/);
  t.match(text, /wapgw_wtp_aborts_total\{direction="sent",reason="NORESPONSE"\} 1\n/);
  t.match(text, /wapgw_wtp_aborts_total\{direction="received",reason="user-0xea"\} 1\n/);
  t.match(text, /wapgw_wtp_negative_acks_total\{direction="received"\} 1\n/);
  t.match(text, /wapgw_wtp_retransmissions_total\{pdu="Result"\} 1\n/);
  t.match(text, /wapgw_wtp_sar_segments_total\{direction="out"\} 2\n/);
  t.match(text, /wapgw_wtp_duplicate_invokes_total 1\n/);
  t.match(text, /wapgw_wtp_transactions_active 9\n/);
});

t.test('WSP notes: decode errors by layer, session events by event, denials, sessions', async (t) => {
  const m = new Metrics();
  const r = wspReporter(m, silentLogger());
  r.note({ note: 'decode-error', layer: 'wtp', count: 2 });
  r.note({ note: 'decode-error', layer: 'wsp', count: 1 });
  r.note({ note: 'decode-error', layer: 'wtp', count: 1 });
  r.note({ note: 'session-event', event: 'connect' });
  r.note({ note: 'session-event', event: 'connect' });
  r.note({ note: 'session-event', event: 'disconnect' });
  r.note({ note: 'access-denied', reason: 'amplification' });
  r.note({ note: 'sessions', count: 4 });
  const text = await m.registry.metrics();
  t.match(text, /wapgw_decode_errors_total\{layer="wtp"\} 3\n/);
  t.match(text, /wapgw_decode_errors_total\{layer="wsp"\} 1\n/);
  t.match(text, /wapgw_wsp_session_events_total\{event="connect"\} 2\n/);
  t.match(text, /wapgw_wsp_session_events_total\{event="disconnect"\} 1\n/);
  t.match(text, /wapgw_access_denied_total\{layer="wsp-cl",reason="amplification"\} 1\n/);
  t.match(text, /wapgw_wsp_sessions 4\n/);
});
