/**
 * 3GPP-RAT-Type (TS 29.061 §16.4.7.2, sub-attribute 21, one octet) by name. Values 0-255 follow
 * the RAT Type of TS 29.274 §8.17 (Table 8.17-1); 101-105 are the non-3GPP accesses TS 29.061
 * lists for this attribute. The number is what goes to the MMSC (X-WAP-3GPP-RAT-TYPE, and the
 * identity signature); the name is for people: logs and admin /subscribers.
 */
export const RAT_TYPES = [
  [1, 'UTRAN'],
  [2, 'GERAN'],
  [3, 'WLAN'],
  [4, 'GAN'],
  [5, 'HSPA-Evolution'],
  [6, 'EUTRAN'],
  [7, 'Virtual'],
  [8, 'EUTRAN-NB-IoT'],
  [9, 'LTE-M'],
  [10, 'NR'],
  [101, 'IEEE-802.16e'],
  [102, '3GPP2-eHRPD'],
  [103, '3GPP2-HRPD'],
  [104, '3GPP2-1xRTT'],
  [105, '3GPP2-UMB'],
] as const;

const BY_CODE: ReadonlyMap<number, string> = new Map(RAT_TYPES);

/** The name of a RAT type code; `unknown-N` for a code the table lacks; undefined for none. */
export function ratTypeName(code: number | undefined): string | undefined {
  if (code === undefined) return undefined;
  return BY_CODE.get(code) ?? `unknown-${code}`;
}
