/**
 * %Datetime (WAP-167 §8.2.2, used by SI's `created` and `si-expires`): the text form is
 * `YYYY-MM-DDThh:mm:ssZ` (UTC); the compiled form is OPAQUE data holding the fourteen digits
 * as seven octets of packed BCD (two digits an octet, first digit in the high nibble:
 * 1999-06-25T15:23:15Z -> 19 99 06 25 15 23 15), trailing octets that are zero omitted.
 */

const TEXT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$/;

function validParts(y: number, mo: number, d: number, h: number, mi: number, s: number): boolean {
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59) return false;
  const days = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  return d <= days;
}

/** The OPAQUE octets for a %Datetime, or undefined when `text` is not one. */
export function encodeDatetime(text: string): Buffer | undefined {
  const m = TEXT.exec(text);
  if (!m) return undefined;
  const n = m.slice(1).map(Number) as [number, number, number, number, number, number];
  if (!validParts(...n)) return undefined;
  const digits = m.slice(1).join('');
  const out: number[] = [];
  for (let i = 0; i < 14; i += 2) out.push((Number(digits[i]) << 4) | Number(digits[i + 1]));
  while (out.length > 0 && out[out.length - 1] === 0) out.pop();
  return Buffer.from(out);
}

/** The text form of %Datetime octets (missing trailing octets are zero), or undefined if invalid. */
export function decodeDatetime(octets: Buffer): string | undefined {
  if (octets.length === 0 || octets.length > 7) return undefined;
  let digits = '';
  for (let i = 0; i < 7; i++) {
    const o = i < octets.length ? (octets[i] as number) : 0;
    const hi = o >> 4;
    const lo = o & 0x0f;
    if (hi > 9 || lo > 9) return undefined;
    digits += `${hi}${lo}`;
  }
  const text = `${digits.slice(0, 4)}-${digits.slice(4, 6)}-${digits.slice(6, 8)}T${digits.slice(8, 10)}:${digits.slice(10, 12)}:${digits.slice(12, 14)}Z`;
  return encodeDatetime(text) ? text : undefined;
}
