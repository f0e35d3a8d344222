/**
 * WSP codec (WAP-230): pure Buffer <-> object functions; every failure is a DecodeError
 * (`ERR_WSP_DECODE`, with the offset) or an EncodeError (`ERR_WSP_ENCODE`).
 *
 *   decodeWsp(buf, { connectionless })           -> WspPdu        (pdu.ts, §8.2; TID octet first on 9200)
 *   encodeWsp(pdu, { connectionless, encodingVersion })
 *   decodeContentType(reader) / encodeContentType(writer, ct, version)   (content-type.ts, §8.4.2.24)
 *   decodeHeaders(buf) / encodeHeaders(list, version)                     (headers.ts, §8.4)
 *   httpToHeaderList(obj)                                                 (HTTP-style object -> header list)
 *   decodeMultipart(buf) / encodeMultipart(parts, version)                (multipart.ts, §8.5)
 *   httpToWspStatus / wspToHttpStatus, and the value tables               (tables.ts, Tables 34-42)
 *
 * `version` is the peer's Encoding-Version ('1.1'..'1.5', default '1.2'): a code that does not
 * exist in it goes as text. Decoded values keep their octets (`raw`), which encoding reuses while
 * the value is unchanged, so a PDU passed on unchanged keeps the sender's exact form.
 */
export * from './tables';
export * from './values';
export * from './content-type';
export * from './headers';
export * from './multipart';
export * from './pdu';
