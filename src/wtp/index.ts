/**
 * WTP responder (WAP-224), pure: no sockets, no timers, no clock. One `WtpResponder` per bearer
 * (the connection-oriented port 9201).
 *
 * ## Driving it (src/edge)
 *
 *   const wtp = new WtpResponder({ config, report });   // report: src/edge/wtp-report.ts
 *   // each datagram: decodeDatagram(buf) from src/codec/wtp, then for each PDU
 *   act(wtp.receive(pdu, peer, clock.now(), pduBytes));
 *   // a datagram that does not decode (read the TID from octets 1-2 if there are 3 octets)
 *   act(wtp.receiveMalformed(peer, tidOrUndefined, clock.now(), buf.length));
 *   // the one timer driver: sleep until wtp.nextDeadline(), then
 *   act(wtp.tick(clock.now()));
 *   // re-arm after every call: nextDeadline() may have moved earlier.
 *
 * `peer` is the initiator's `Peer` (address, port, family; src/core/peer.ts); the same object
 * comes back in actions. `txn` is the one transaction key (a number; `responder.txnOf(peer, tid)`). `now` is
 * monotonic ms.
 *
 * ## Actions (data; carry them out in order)
 *
 *   { kind: 'send', peer, pdus }      encodeWtp each PDU, one datagram each, to `peer`.
 *   { kind: 'TR-Invoke.ind', txn, peer, tid, tcl, uack, data }
 *                                     TR-Invoke.ind: `data` is the whole WSP PDU (a segmented
 *                                     Invoke is reassembled first and never passed on truncated).
 *                                     Exactly once per transaction, whatever the handset resends.
 *   { kind: 'TR-Result.cnf', txn, peer }
 *                                     TR-Result.cnf: the handset acknowledged the Result.
 *   { kind: 'TR-Abort.ind', txn, peer, user, abortType, reason }
 *                                     TR-Abort.ind: the transaction is gone (peer Abort,
 *                                     NORESPONSE, PROTOERR, CAPTEMPEXCEEDED...). Cancel upstream work.
 *
 * ## The user side (src/wsp)
 *
 *   wtp.invokeRes(txn, now)          TR-Invoke.res. Class 2 Invokes come with U/P = 1 from most
 *                                     handsets (fakewap always): call this as soon as the method is
 *                                     accepted, or the transaction is aborted NORESPONSE after
 *                                     ackExpiryMax x ackIntervalMs. After it, a slow Result is
 *                                     covered by one hold-on Ack (timer A) and the handset stops
 *                                     retransmitting; the responder then waits for the user without
 *                                     a limit of its own (WSP answers 504 at mmsc.timeoutMs).
 *                                     For class 1 it sends the Ack that ends the transaction.
 *   wtp.maxResultSize(txn, {maxSegmentSize?})
 *                                     the largest Result this client can receive (256 segments of
 *                                     the largest allowed size, or one datagram when the handset
 *                                     does not do SAR: its Invoke had GTR = TTR = 1). Check it and
 *                                     answer a clear error status (413) instead of a bigger body.
 *   wtp.resultReq(txn, data, now, {maxSegmentSize?})
 *                                     TR-Result.req: `data` is the whole WSP Reply/ConnectReply.
 *                                     Segment size = max(wtp.sar.segmentSize, ceil(len / 256)),
 *                                     never above the client's limit (the MRU Option TPI of its
 *                                     Invoke, minus 4, and `maxSegmentSize` if WSP knows one, e.g.
 *                                     fakewap takes at most 1500 data octets per packet). So 1 MB
 *                                     goes out as 256 x 4096 octets when the client allows it.
 *                                     Groups of wtp.sar.groupSize (fewer when the Invoke's Max
 *                                     Group Option TPI asks: fakewap says 4200 octets, so 3 x 1400),
 *                                     each acked before the next; a Negative Ack gets exactly the
 *                                     listed packets again, timer R the whole group.
 *                                     A result that cannot fit is answered with Abort
 *                                     MESSAGETOOLARGE and a TR-Abort.ind.
 *   wtp.abortReq(txn, reason, now)   TR-Abort.req: user Abort with a WSP reason (0xE0...).
 *
 * Class 0 Invokes produce a TR-Invoke.ind and nothing else (no transaction is kept).
 *
 * ## Behaviour worth knowing
 *
 *   - TID verification (tid-cache.ts): TIDnew, an out-of-window TID, and an initiator we have no
 *     cache entry for (unlike Kannel) are verified with Ack(TIDve); the Invoke is held until
 *     Ack(TIDok); an Abort or no answer after maxRetransmissions x retryIntervalMs ends it
 *     (Abort INVALIDTID on timeout).
 *   - Duplicates and RID retransmissions never produce a second TR-Invoke.ind: before the Result
 *     they are ignored (or answered with the hold-on Ack); after it, the current Result group
 *     is replayed (at most once per ackIntervalMs); a finished transaction stays in
 *     WAIT_TIMEOUT for waitTimeoutMs; after that the TID cache forces verification. A first
 *     transmission (RID = 0) reusing the TID of a finished transaction is a new transaction
 *     (initiators that wrap their TIDs quickly, like fakewap under load), verified when its TID
 *     is not ahead of the cached one.
 *   - A segmented Invoke is acked group by group (Ack with PSN TPI), a hole is asked for with a
 *     Negative Ack after wtp.sar.nackDelayMs, more than wsp.maxMessageSize is Abort
 *     MESSAGETOOLARGE, and the message is indicated only when every packet is there.
 *   - Anti-amplification: toward a peer not verified yet we never send more octets than it sent.
 *   - Every table is bounded (BoundedMap in src/core/bounded.ts, max + expiry on the given clock). Metrics: see ops/metrics.
 */
export { WtpResponder, silentReporter, NO_TXN, type TxId, type WtpAction, type WtpIndication, type WtpNote, type WtpReporter, type WtpResponderDeps, type ResultOptions } from './responder';
export { STATES, EVENTS, ROWS, step, type WtpState, type WtpEventType, type Tx } from './machine';
export { chooseSegmentSize, maxMessageFor, MAX_PACKETS } from './sar';
export { createWtpPort, WtpDatagramPort, type WtpOutput, type WtpPort } from './port';
