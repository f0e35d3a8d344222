/**
 * HTTP <-> WSP status codes (WAP-230 Table 36). The table is data; the maps derive from it.
 * WSP packs the class in the high nibble (1xx..4xx -> 0x1_..0x4_, 5xx -> 0x6_) with the
 * rest in the low bits; 4xx runs on to 0x51 (417). A status with no row maps to its class
 * default (2xx -> 200, 3xx -> 300, 4xx -> 400, else 500), the way HTTP says an unknown
 * code is to be treated (RFC 9110 §15).
 */
export const STATUS_TABLE = [
  [100, 0x10], [101, 0x11],
  [200, 0x20], [201, 0x21], [202, 0x22], [203, 0x23], [204, 0x24], [205, 0x25], [206, 0x26],
  [300, 0x30], [301, 0x31], [302, 0x32], [303, 0x33], [304, 0x34], [305, 0x35], [307, 0x37],
  [400, 0x40], [401, 0x41], [402, 0x42], [403, 0x43], [404, 0x44], [405, 0x45], [406, 0x46],
  [407, 0x47], [408, 0x48], [409, 0x49], [410, 0x4a], [411, 0x4b], [412, 0x4c], [413, 0x4d],
  [414, 0x4e], [415, 0x4f], [416, 0x50], [417, 0x51],
  [500, 0x60], [501, 0x61], [502, 0x62], [503, 0x63], [504, 0x64], [505, 0x65],
] as const satisfies readonly (readonly [number, number])[];

const HTTP_TO_WSP = new Map<number, number>(STATUS_TABLE.map(([h, w]) => [h, w]));
const WSP_TO_HTTP = new Map<number, number>(STATUS_TABLE.map(([h, w]) => [w, h]));

/** The HTTP status the handset will see for an upstream status (unknown -> class default). */
export function normalizeHttpStatus(http: number): number {
  if (HTTP_TO_WSP.has(http)) return http;
  if (http >= 200 && http < 300) return 200;
  if (http >= 300 && http < 400) return 300;
  if (http >= 400 && http < 500) return 400;
  return 500;
}

export function httpToWspStatus(http: number): number {
  return HTTP_TO_WSP.get(normalizeHttpStatus(http)) as number;
}

export function wspToHttpStatus(wsp: number): number | undefined {
  return WSP_TO_HTTP.get(wsp);
}
