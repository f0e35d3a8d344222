/**
 * MMS encapsulation codec (OMA MMS ENC 1.0-1.3): tables, decodeMms/encodeMms, builders for
 * the common PDUs and the `wapgw decode` summary. Content-type values are the WSP codec's.
 */
export * from './tables';
export * from './types';
export { decodeMms, encodeMms, getField, getFields, isMultipart } from './codec';
export { decodeEncodedString, encodeEncodedString, toEncodedString } from './values';
export { decodeText, encodeText, CHARSETS as MMS_TEXT_CHARSETS } from './charset';
export * from './builders';
export { summarizeMms, interpretEnum, type MmsPartSummary } from './summary';
export { checkMms, isPlainNotificationInd, MANDATORY } from './check';
