/**
 * Hand-built MMS PDUs (OMA-MMS-ENC 1.2) for tests of the demo MMSC and lifecycle, annotated
 * byte by byte. Field octets are the assigned code | 0x80 (protocol-facts §3.3).
 */
const z = (s: string): Buffer => Buffer.concat([Buffer.from(s, 'latin1'), Buffer.from([0])]);

/** m-send-req with an insert-address-token From, one To, a Subject and a one-part multipart.mixed body. */
export function sendReq(tid = 'T-0001', text = 'hello'): Buffer {
  const data = Buffer.from(text, 'utf8');
  return Buffer.concat([
    Buffer.from([0x8c, 0x80]), // X-Mms-Message-Type: m-send-req
    Buffer.from([0x98]), z(tid), // X-Mms-Transaction-Id
    Buffer.from([0x8d, 0x92]), // X-Mms-MMS-Version: 1.2
    Buffer.from([0x89, 0x01, 0x81]), // From: insert-address-token
    Buffer.from([0x97]), z('+15550000009/TYPE=PLMN'), // To
    Buffer.from([0x96]), z('demo'), // Subject
    Buffer.from([0x81]), z('+15550000010/TYPE=PLMN'), // Bcc (not carried into m-retrieve-conf)
    Buffer.from([0x84, 0xa3]), // Content-Type: application/vnd.wap.multipart.mixed (0x23)
    Buffer.from([0x01]), // multipart: 1 entry
    Buffer.from([0x01, data.length]), // HeadersLen 1, DataLen
    Buffer.from([0x83]), // part Content-Type: text/plain (0x03)
    data,
  ]);
}

/** m-notifyresp-ind, X-Mms-Status Retrieved. */
export function notifyRespInd(tid = 'T-0002'): Buffer {
  return Buffer.concat([Buffer.from([0x8c, 0x83, 0x98]), z(tid), Buffer.from([0x8d, 0x92, 0x95, 0x81])]);
}

/** m-acknowledge-ind. */
export function acknowledgeInd(tid = 'T-0003'): Buffer {
  return Buffer.concat([Buffer.from([0x8c, 0x85, 0x98]), z(tid), Buffer.from([0x8d, 0x92])]);
}

/** Reads the Text-string value after the first occurrence of `field` in the header block. */
export function textField(pdu: Buffer, field: number, from = 0): string | undefined {
  const i = pdu.indexOf(field, from);
  if (i < 0) return undefined;
  const nul = pdu.indexOf(0, i + 1);
  return nul < 0 ? undefined : pdu.toString('latin1', i + 1, nul);
}
