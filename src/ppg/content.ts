/**
 * What the PPG makes of a PAP content entity (WAP-247 §8.2, WAP-249 §6.3 "transformation"):
 *
 * - `application/vnd.wap.mms-message`: passed through unchanged after checking that it decodes
 *   and is a PDU a phone takes by push (OMA MMS ENC 1.3 §6: m-notification-ind, m-delivery-ind,
 *   m-read-orig-ind) with its mandatory fields; X-Wap-Application-Id defaults to mms.ua (4).
 * - SI / SL XML (WAP-167, WAP-168): compiled to SIC / SLC (WBXML, src/codec/wbxml).
 * - Already compiled SIC / SLC and the other WAP binary push types: passed through.
 * - Anything else: refused, PAP 3006 (Transformation Failure), with the type named.
 *
 * The application id comes from the content entity's X-Wap-Application-Id only (never from a
 * header of the initiator's HTTP request); a registered name goes by number (OMNA push
 * application ids, mms.ua = 4). Pure.
 */
import { checkMms, decodeMms, isPlainNotificationInd } from '../codec/mms';
import { compilePushContent } from '../codec/wbxml';
import type { ContentEntity } from './multipart';
import { PapError } from './pap';
import { PUSH_APP_ID } from './wsp-push';

export interface PushContent {
  contentType: string;
  applicationId?: number | string;
  body: Buffer;
}

const MMS = 'application/vnd.wap.mms-message';
/** MMS PDUs a phone accepts by push (OMA MMS ENC 1.3 §6.2, §6.6, §6.7.2). */
const MMS_PUSHABLE = new Set(['m-notification-ind', 'm-delivery-ind', 'm-read-orig-ind']);

/** Binary WAP content pushed as it is (WAP-230 Appendix A content types a push may carry). */
const PASS_THROUGH = new Set([
  'application/vnd.wap.sic',
  'application/vnd.wap.slc',
  'application/vnd.wap.wmlc',
  'application/vnd.wap.coc',
  'application/vnd.wap.sia',
  'application/vnd.wap.connectivity-wbxml',
  'application/vnd.wap.emn+wbxml',
  'application/vnd.syncml.notification',
]);

/** X-Wap-Application-Id text -> a number for registered names, else the URI as given. */
export function applicationIdOf(value: string | undefined): number | string | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (/^\d{1,9}$/.test(v)) return Number(v);
  const name = v.replace(/^x-wap-application:/i, '').toLowerCase();
  const n = (PUSH_APP_ID as Record<string, number>)[name];
  if (n !== undefined) return n;
  if (!/^[\x21-\x7e]{1,200}$/.test(v)) throw new PapError(2000, `X-Wap-Application-Id "${v.slice(0, 60)}" is not a number or URI`);
  return v;
}

export function preparePushContent(c: ContentEntity | undefined): PushContent {
  if (!c) throw new PapError(2000, 'a push-message needs a content entity (the second part of the multipart/related body)');
  if (c.body.length === 0) throw new PapError(2000, 'the content entity is empty');
  const appId = applicationIdOf(c.applicationId);
  const withApp = (p: PushContent): PushContent => (appId === undefined ? p : { ...p, applicationId: appId });
  if (c.mediaType === MMS) {
    // the m-notification-ind as MMSCs write it is checked without a decode; anything else is decoded and judged
    if (isPlainNotificationInd(c.body)) return { contentType: MMS, applicationId: appId ?? PUSH_APP_ID['mms.ua'], body: c.body };
    let type: string | number;
    let problems: string[];
    try {
      // a check only: the PDU is pushed as it came, never re-encoded
      const pdu = decodeMms(c.body, { exact: false });
      type = pdu.type;
      problems = checkMms(pdu);
    } catch (err) {
      throw new PapError(2000, `the content entity is not an MMS PDU: ${(err as Error).message}`);
    }
    if (typeof type !== 'string' || !MMS_PUSHABLE.has(type)) {
      throw new PapError(2000, `${String(type)} is not an MMS PDU a phone takes by push (m-notification-ind, m-delivery-ind, m-read-orig-ind)`);
    }
    if (problems.length > 0) throw new PapError(2000, `the ${type} is malformed: ${problems.join('; ')}`);
    return { contentType: MMS, applicationId: appId ?? PUSH_APP_ID['mms.ua'], body: c.body };
  }
  let compiled: { contentType: string; body: Buffer } | undefined;
  try {
    compiled = compilePushContent(c.contentType, c.body);
  } catch (err) {
    throw new PapError(3006, `cannot compile the ${c.mediaType} content: ${(err as Error).message}`);
  }
  if (compiled) return withApp(compiled);
  if (PASS_THROUGH.has(c.mediaType)) return withApp({ contentType: c.mediaType, body: c.body });
  throw new PapError(3006, `content type ${c.mediaType} cannot be pushed (MMS, SI, SL and compiled WAP types can)`);
}
