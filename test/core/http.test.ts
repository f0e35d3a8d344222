/**
 * HTTP facts shared by the parsers (src/core/http.ts): OWS is SP and HTAB only (RFC 9110 §5.6.3),
 * and the one-pass field-line reader agrees with a split-and-check reading on every generated head.
 */
import fc from 'fast-check';
import t from 'tap';
import { FIELDS_BAD_NAME, FIELDS_BAD_VALUE, FIELDS_OBS_FOLD, FIELDS_OK, FORBIDDEN_IN_VALUE, TOKEN, isFieldValue, isToken, fieldLines, listHas, listMembers, lowerFieldName, parseFieldLines, trimOws } from '../../src/core/http';

t.test('trimOws drops SP and HTAB only: CR, FF, VT and NBSP stay part of the value', async (t) => {
  t.equal(trimOws(' \t a b \t '), 'a b');
  t.equal(trimOws('\f3'), '\f3');
  t.equal(trimOws('3\r'), '3\r');
  t.equal(trimOws('3\xa0'), '3\xa0');
  t.equal(trimOws('\v'), '\v');
  t.equal(trimOws('   '), '');
  const same = 'no-ows';
  t.equal(trimOws(same), same);
});

/** The field lines as the parsers read them before parseFieldLines: split at CR LF, then checked joined. */
function reference(text: string): string[] | undefined {
  const raw: string[] = [];
  let names = '';
  let values = '';
  for (const line of text === '' ? [] : text.split('\r\n')) {
    if (line.charCodeAt(0) === 32 || line.charCodeAt(0) === 9) return undefined;
    const colon = line.indexOf(':');
    if (colon <= 0) return undefined;
    const value = trimOws(line.slice(colon + 1));
    names += line.slice(0, colon);
    values += value;
    raw.push(line.slice(0, colon), value);
  }
  if (names.length > 0 && !TOKEN.test(names)) return undefined;
  if (FORBIDDEN_IN_VALUE.test(values)) return undefined;
  return raw;
}

t.test('parseFieldLines reads every generated head as the split-and-check reading does: the same fields, the same refusals', async (t) => {
  const unit = fc.constantFrom('a', 'B', '-', ':', ' ', '\t', '\r', '\n', '\r\n', '\x01', '\x7f', '\xa0', '\f', 'é', '"', '(');
  let ok = 0;
  fc.assert(
    fc.property(fc.array(fc.string({ unit, maxLength: 12 }), { maxLength: 5 }), (lines) => {
      const text = lines.join('\r\n');
      // the parsers hand it over framed: a prefix (the start line) before `from`
      const framed = `GET / HTTP/1.1\r\n${text}`;
      const raw: string[] = [];
      const fault = parseFieldLines(Buffer.from(framed, 'latin1'), 0, framed, 16, framed.length, raw);
      const want = reference(text);
      if (want === undefined) return fault !== FIELDS_OK;
      ok++;
      return fault === FIELDS_OK && raw.length === want.length && raw.every((x, i) => x === want[i]);
    }),
    { numRuns: 5000, seed: 0x5e45 },
  );
  t.ok(ok > 200, `5000 heads agree (${ok} of them well-formed)`);
});

t.test('parseFieldLines names its fault', async (t) => {
  const read = (text: string) => parseFieldLines(Buffer.from(text, 'latin1'), 0, text, 0, text.length, []);
  t.equal(read('Host: x\r\nX-A: b'), FIELDS_OK);
  t.equal(read('Host: x\r\n c'), FIELDS_OBS_FOLD, 'obs-fold');
  t.equal(read(' Host: x'), FIELDS_OBS_FOLD, 'whitespace before the first field');
  t.equal(read('Host : x'), FIELDS_BAD_NAME, 'space before the colon');
  t.equal(read(': x'), FIELDS_BAD_NAME, 'empty name');
  t.equal(read('Host'), FIELDS_BAD_NAME, 'no colon');
  t.equal(read('Host: a\rb'), FIELDS_BAD_VALUE, 'a bare CR');
  t.equal(read('Host: a\nb'), FIELDS_BAD_VALUE, 'a bare LF');
  t.equal(read('Host: \f3'), FIELDS_BAD_VALUE, 'a form feed');
  const raw: string[] = [];
  const lines = 'X-A: \t b c \t\r\nEmpty:\r\nL: \xa0';
  t.equal(parseFieldLines(Buffer.from(`GET / HTTP/1.1\r\n${lines}`, 'latin1'), 16, lines, 0, 26, raw), FIELDS_OK, 'the octets read from an offset');
  t.same(raw, ['X-A', 'b c', 'Empty', '', 'L', '\xa0'], 'OWS trimmed, NBSP and empty values kept');
});

t.test('listMembers: every field of that name, split at commas, lower case, empty members dropped', async (t) => {
  t.same(listMembers(['Connection', 'Keep-Alive, X-A', 'connection', ' close ,', 'Other', 'close'], 'connection'), ['keep-alive', 'x-a', 'close']);
});

t.test('listHas says what listMembers(...).includes says, for generated field lists', async (t) => {
  const name = fc.constantFrom('Connection', 'connection', 'CONNECTION', 'Other', 'Connectio');
  const value = fc.string({ unit: fc.constantFrom('close', 'Close', 'keep-alive', ',', ' ', '\t', 'x', 'c') , maxLength: 6 });
  fc.assert(
    fc.property(fc.array(fc.tuple(name, value), { maxLength: 4 }), fc.constantFrom('close', 'keep-alive'), (fields, member) => {
      const raw = fields.flat();
      return listHas(raw, 'connection', member) === listMembers(raw, 'connection').includes(member);
    }),
    { numRuns: 3000, seed: 0x5e46 },
  );
  t.ok(listHas(['Connection', 'close'], 'connection', 'close'), 'the value alone');
  t.ok(listHas(['X', 'y', 'connection', 'x-a, Close '], 'connection', 'close'), 'a member of a list, any case');
  t.notOk(listHas(['Connection', 'closed'], 'connection', 'close'), 'not a prefix');
  t.pass('3000 lists agree');
});

t.test('isToken and isFieldValue say what TOKEN and FORBIDDEN_IN_VALUE say, above U+00FF too', async (t) => {
  const unit = fc.constantFrom('a', 'Z', '-', '!', ' ', '\t', ':', '\r', '\n', '\x00', '\x7f', '\x80', '\xff', '\u010a', '\u0130', '\ud83d\ude00', '"');
  fc.assert(
    fc.property(fc.string({ unit, maxLength: 8 }), (x) => isToken(x) === TOKEN.test(x) && isFieldValue(x) === !FORBIDDEN_IN_VALUE.test(x)),
    { numRuns: 5000, seed: 0x5e47 },
  );
  // a head is written as latin1, which keeps a character's low octet: U+010A would be LF
  t.notOk(isFieldValue('a\u010d\u010aX-Evil: 1'), 'U+010D U+010A is not CR LF in disguise');
  t.ok(FORBIDDEN_IN_VALUE.test('\u010a'), 'nor for the regex the bridge and the server use');
  t.ok(isFieldValue('caf\xe9 \t'), 'obs-text and HTAB are fine');
});

t.test('lowerFieldName is toLowerCase: for the spellings it answers with a constant, for other cases of them, and for any name', async (t) => {
  const common = ['Content-Type', 'Content-Length', 'Date', 'Server', 'Connection', 'Keep-Alive', 'Transfer-Encoding', 'ETag', 'Last-Modified', 'Cache-Control', 'Accept-Ranges', 'Via'];
  for (const n of common) {
    t.equal(lowerFieldName(n), n.toLowerCase(), n);
    t.equal(lowerFieldName(n.toUpperCase()), n.toLowerCase());
    t.equal(lowerFieldName(n.toLowerCase()), n.toLowerCase());
    t.equal(lowerFieldName((' ' + n).slice(1)), n.toLowerCase(), 'a string made at run time, as a parsed head gives');
  }
  fc.assert(fc.property(fc.string(), (s) => lowerFieldName(s) === s.toLowerCase()));
});

t.test('fieldLines: a line per value in order; what cannot be sent left out and the first such name told; leaveOut names left out in any case', async (t) => {
  t.same(fieldLines({ Accept: ['a/b', 'c/d'], 'X-One': '1' }), { text: 'Accept: a/b\r\nAccept: c/d\r\nX-One: 1\r\n', bad: undefined });
  t.same(fieldLines({ 'X-Bad': 'a\r\nInjected: 1', 'Bad Name': 'v', Ok: 'y', 'X-Late': ['ok', 'n\x00'] }), { text: 'Ok: y\r\nX-Late: ok\r\n', bad: 'X-Bad' });
  t.same(fieldLines({ x_wap_session_id: '9', 'X-Trace': 't', Keep: 'k' }, new Set(['x-wap-session-id', 'x-trace'])), { text: 'Keep: k\r\n', bad: undefined }, 'left out silently, `_` read as `-`');
});
