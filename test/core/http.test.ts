/**
 * HTTP facts shared by the parsers (src/core/http.ts): OWS is SP and HTAB only (RFC 9110 §5.6.3),
 * and the field-value slicer agrees with the plain trim on every line.
 */
import fc from 'fast-check';
import t from 'tap';
import { fieldValue, listMembers, trimOws } from '../../src/core/http';

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

t.test('fieldValue(line, colon) is trimOws of what follows the colon, for any line', async (t) => {
  fc.assert(
    fc.property(fc.string({ unit: fc.constantFrom(' ', '\t', 'a', ':', '\r', '\f', '\xa0', 'b') }), fc.string({ unit: fc.constantFrom(' ', '\t', 'x', 'y') }), (tail, name) => {
      const line = `${name}:${tail}`;
      const colon = line.indexOf(':');
      return fieldValue(line, colon) === trimOws(line.slice(colon + 1));
    }),
    { numRuns: 2000, seed: 0x5e45 },
  );
  t.pass('2000 lines agree');
});

t.test('listMembers: every field of that name, split at commas, lower case, empty members dropped', async (t) => {
  t.same(listMembers(['Connection', 'Keep-Alive, X-A', 'connection', ' close ,', 'Other', 'close'], 'connection'), ['keep-alive', 'x-a', 'close']);
});
