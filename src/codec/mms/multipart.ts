/**
 * The WSP multipart body of MMS PDUs (MMS ENC §7.1 "Message body", WAP-230 §8.5): decoded and
 * encoded by the WSP codec (src/codec/wsp/multipart.ts), whose parts keep their exact octets.
 * MMS has no Encoding-Version negotiation, so bodies are written with every well-known code
 * the WSP tables know (MMS_WSP_ENCODING_VERSION): Content-ID (0x40, WSP 1.3) goes as a
 * well-known field as handsets expect, never as an application header.
 */
import { Reader, Writer } from '../bytes';
import { decodeMultipart as decodeWspMultipart, writeMultipart } from '../wsp/multipart';
import { MAX_ENCODING_VERSION } from '../wsp/tables';
import type { MmsPart } from './types';

export const MMS_WSP_ENCODING_VERSION = MAX_ENCODING_VERSION;

export function decodeMultipart(r: Reader): MmsPart[] {
  return decodeWspMultipart(r);
}

export function encodeMultipart(w: Writer, parts: readonly MmsPart[]): void {
  writeMultipart(w, parts, MMS_WSP_ENCODING_VERSION);
}
