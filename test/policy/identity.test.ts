import t from 'tap';
import { parseConfig } from '../../src/config/load';
import {
  IdentityHeaders,
  canonicalIdentityString,
  headerKey,
  signIdentity,
  verifySignature,
  type HeaderList,
} from '../../src/policy/identity';
import type { Subscriber } from '../../src/subscribers/types';

const sub: Subscriber = {
  key: '10.1.2.3',
  msisdn: '31611111111',
  imsi: '204080000000001',
  imeisv: '3534530012345601',
  sgsnAddress: '192.0.2.10',
  ratType: 6,
  source: 'radius',
  since: 0,
};

const names = (h: HeaderList) => h.map(([n]) => n.toLowerCase());

t.test('every client copy of every identity header is removed', async (t) => {
  const id = new IdentityHeaders(parseConfig({}).identity);
  const spoofed: HeaderList = [
    ['Accept', '*/*'],
    ['X-MSISDN', '1'],
    ['x-msisdn', '2'],
    ['X_MSISDN', '3'],
    ['x_Msisdn', '4'],
    ['X-WAP-Network-Client-MSISDN', '5'],
    ['X_WAP_NETWORK_CLIENT_MSISDN', '6'],
    ['x-wap-network-client-ip', '6.6.6.6'],
    ['X-Wap_Network-Client-Ip', '6.6.6.7'],
    ['X-IMSI', '999'],
    ['X-WAP-3GPP-SGSN-ADDRESS', '6.6.6.6'],
    ['x-wap-3gpp-rat-type', '1'],
    ['X-Up-Calling-Line-ID', '7'],
    ['x_up_subno', '8'],
    ['X-Nokia-MSISDN', '9'],
    ['X-WAP-3GPP-IMSI', '10'],
    ['X-WAP-Client-IP', '6.6.6.6'],
    ['X-Forwarded-For', '6.6.6.6'],
    ['Forwarded', 'for=6.6.6.6'],
    ['X-WAPGW-Signature', 'v1;t=1;sig=00'],
    ['x_wapgw_signature', 'forged'],
    ['User-Agent', 'Android-Mms/2.0'],
    ['X-MSISDN-Extra', 'kept: not an identity header name'],
  ];
  const out = id.strip(spoofed);
  t.same(out, [
    ['Accept', '*/*'],
    ['User-Agent', 'Android-Mms/2.0'],
    ['X-MSISDN-Extra', 'kept: not an identity header name'],
  ]);
  for (const [n] of spoofed.slice(1, -2)) t.ok(id.isIdentityHeader(n), n);
  t.notOk(id.isIdentityHeader('Accept'));
});

t.test('authoritative values are added, once per configured name', async (t) => {
  const id = new IdentityHeaders(parseConfig({ identity: { imeisvHeaders: ['X-IMEISV'] } }).identity);
  const out = id.apply([['x-msisdn', '666'], ['Accept', '*/*']], '10.1.2.3', sub, 0);
  t.same(out, [
    ['Accept', '*/*'],
    ['X-WAP-Network-Client-IP', '10.1.2.3'],
    ['X-WAP-Network-Client-MSISDN', '31611111111'],
    ['X-MSISDN', '31611111111'],
    ['X-IMSI', '204080000000001'],
    ['X-IMEISV', '3534530012345601'],
    ['X-WAP-3GPP-SGSN-ADDRESS', '192.0.2.10'],
    ['X-WAP-3GPP-RAT-TYPE', '6'],
  ]);
  t.equal(names(out).filter((n) => n === 'x-msisdn').length, 1, 'exactly one X-MSISDN: ours');
});

t.test('the headers remembered per binding follow the address, a new binding and the signing second', async (t) => {
  const id = new IdentityHeaders(parseConfig({}).identity);
  const first = id.apply([['Accept', '*/*']], '10.1.2.3', sub, 0);
  t.same(id.apply([], '10.1.2.3', sub, 0), first.slice(1), 'the same binding and address: the same headers');
  const other = id.apply([], '10.9.9.9', sub, 0);
  t.equal(other.find(([n]) => n === 'X-WAP-Network-Client-IP')?.[1], '10.9.9.9', 'another address: its own');
  const rebound = id.apply([], '10.1.2.3', { ...sub, msisdn: '31622222222' }, 0);
  t.equal(rebound.find(([n]) => n === 'X-MSISDN')?.[1], '31622222222', 'a new binding object: its own values');
  const signed = new IdentityHeaders(parseConfig({ identity: { signingSecret: 'a-secret-of-enough-length-123456' } }).identity);
  const sig = (ms: number) => signed.apply([], '10.1.2.3', sub, ms).find(([n]) => /signature/i.test(n))?.[1];
  t.equal(sig(1000), sig(1999), 'signed: the same within a second');
  t.not(sig(1000), sig(2000), 'signed: a new signature in the next second');
  const mutated = id.apply([], '10.1.2.3', sub, 0);
  mutated.push(['X-Extra', '1']);
  t.notOk(id.apply([], '10.1.2.3', sub, 0).some(([n]) => n === 'X-Extra'), 'a caller adding to its list does not change the next one');
});

t.test('without a subscriber: remembered per address (and signing second) too', async (t) => {
  const id = new IdentityHeaders(parseConfig({}).identity);
  const a = id.apply([['Accept', '*/*']], '10.1.2.3', undefined, 0);
  t.same(a, [['Accept', '*/*'], ['X-WAP-Network-Client-IP', '10.1.2.3']]);
  t.same(id.apply([], '10.1.2.3', undefined, 5000), [['X-WAP-Network-Client-IP', '10.1.2.3']], 'the same address: the same headers');
  t.same(id.apply([], '10.4.4.4', undefined, 0), [['X-WAP-Network-Client-IP', '10.4.4.4']], 'another address: its own');
  t.equal(id.apply([], '10.1.2.3', sub, 0).find(([n]) => n === 'X-MSISDN')?.[1], sub.msisdn, 'once bound, the binding decides');
  const signed = new IdentityHeaders(parseConfig({ identity: { signingSecret: 'a-secret-of-enough-length-123456' } }).identity);
  const sig = (ms: number) => signed.apply([], '10.1.2.3', undefined, ms).find(([n]) => /signature/i.test(n))?.[1];
  t.equal(sig(1000), sig(1999), 'signed: the same within a second');
  t.not(sig(1000), sig(2000), 'signed: a new signature in the next second');
  for (let i = 0; i < 5000; i++) id.apply([], `10.8.${i >> 8}.${i & 0xff}`, undefined, 0);
  t.same(id.apply([], '10.8.0.1', undefined, 0), [['X-WAP-Network-Client-IP', '10.8.0.1']], 'past the bound the kept ones are forgotten, the answer stays right');
});

t.test('unknown values are not sent; no subscriber: only the client IP', async (t) => {
  const id = new IdentityHeaders(parseConfig({}).identity);
  t.same(id.apply([['X-IMSI', '1']], '10.9.9.9', undefined, 0), [['X-WAP-Network-Client-IP', '10.9.9.9']]);
  const partial = id.apply([], '10.1.2.3', { key: '10.1.2.3', msisdn: '316', source: 'static', since: 0 }, 0);
  t.same(names(partial), ['x-wap-network-client-ip', 'x-wap-network-client-msisdn', 'x-msisdn']);
  // IMEISV has no header by default: not sent even when known
  t.notOk(names(id.apply([], '10.1.2.3', sub, 0)).some((n) => n.includes('imeisv')));
});

t.test('configurable names; values that could break the header line are dropped', async (t) => {
  const id = new IdentityHeaders(
    parseConfig({ identity: { msisdnHeaders: ['X-Operator-MSISDN'], clientIpHeaders: [], imsiHeaders: [], sgsnAddressHeaders: [], ratTypeHeaders: [] } }).identity,
  );
  t.same(id.apply([['X-Operator_MSISDN', 'x'], ['x-msisdn', 'renamed, still stripped'], ['Accept', '*/*']], '10.1.2.3', sub, 0), [
    ['Accept', '*/*'],
    ['X-Operator-MSISDN', '31611111111'],
  ]);
  const bad = new IdentityHeaders(parseConfig({}).identity);
  const out = bad.apply([], '10.1.2.3', { ...sub, msisdn: '316\r\nX-Evil: 1' }, 0);
  t.notOk(names(out).includes('x-msisdn'), 'CR/LF value never put on the wire');
});

t.test('headerKey', async (t) => {
  t.equal(headerKey('X_WAP_Network-Client_IP'), 'x-wap-network-client-ip');
});

t.test('signature: canonical string, sign, verify', async (t) => {
  const secret = 'a-secret-of-16-chars-or-more';
  const id = new IdentityHeaders(parseConfig({ identity: { signingSecret: secret } }).identity);
  const now = 1_764_000_000_123;
  const out = id.apply([['X-WAPGW-Signature', 'forged']], '10.1.2.3', sub, now);
  const sigs = out.filter(([n]) => n.toLowerCase() === 'x-wapgw-signature');
  t.equal(sigs.length, 1, 'the client copy is gone, ours is there');
  const value = sigs[0]![1];
  t.match(value, /^v1;t=1764000000;sig=[0-9a-f]{64}$/);
  const fields = { ip: '10.1.2.3', msisdn: '31611111111', imsi: '204080000000001', sgsn: '192.0.2.10', rat: '6' };
  t.equal(
    canonicalIdentityString(fields, 1764000000),
    'wapgw-identity-v1\nt=1764000000\nip=10.1.2.3\nmsisdn=31611111111\nimsi=204080000000001\nimeisv=\nsgsn=192.0.2.10\nrat=6',
  );
  t.equal(value, signIdentity(secret, fields, 1764000000));
  t.ok(verifySignature(secret, value, fields, { nowSeconds: 1764000010 }));
  t.notOk(verifySignature(secret, value, { ...fields, msisdn: '31699999999' }, { nowSeconds: 1764000010 }), 'value changed');
  t.notOk(verifySignature(secret, value, { ...fields, imeisv: '1' }, { nowSeconds: 1764000010 }), 'value added');
  t.notOk(verifySignature('another-secret-0000', value, fields, { nowSeconds: 1764000010 }), 'wrong secret');
  t.notOk(verifySignature(secret, value, fields, { nowSeconds: 1764000000 + 301 }), 'too old');
  t.ok(verifySignature(secret, value, fields, { nowSeconds: 1764000000 + 3000, maxSkewSeconds: 3600 }), 'skew configurable');
  t.notOk(verifySignature(secret, value.replace(/t=\d+/, 't=1764000001'), fields, { nowSeconds: 1764000000 }), 'timestamp is signed');
  t.notOk(verifySignature(secret, 'garbage', fields, { nowSeconds: 1764000000 }));
  // known-answer vector, so an MMSC implementation in another language can check itself
  t.equal(
    signIdentity('0123456789abcdef', { ip: '10.0.0.1', msisdn: '31600000000' }, 1700000000),
    `v1;t=1700000000;sig=${require('node:crypto').createHmac('sha256', '0123456789abcdef').update('wapgw-identity-v1\nt=1700000000\nip=10.0.0.1\nmsisdn=31600000000\nimsi=\nimeisv=\nsgsn=\nrat=').digest('hex')}`,
  );
});

t.test('property: any case/underscore spelling of any identity name, any count, is stripped', async (t) => {
  const fc = await import('fast-check');
  const cfg = parseConfig({ identity: { imeisvHeaders: ['X-IMEISV'] } }).identity;
  const id = new IdentityHeaders(cfg);
  const all = [
    ...cfg.clientIpHeaders, ...cfg.msisdnHeaders, ...cfg.imsiHeaders, ...cfg.imeisvHeaders,
    ...cfg.sgsnAddressHeaders, ...cfg.ratTypeHeaders, ...cfg.stripHeaders, cfg.signatureHeader,
  ];
  const spelling = fc
    .tuple(fc.constantFrom(...all), fc.array(fc.boolean(), { minLength: 40, maxLength: 40 }), fc.array(fc.boolean(), { minLength: 40, maxLength: 40 }))
    .map(([name, upper, underscore]) =>
      [...name].map((c, i) => (c === '-' && underscore[i] ? '_' : upper[i] ? c.toUpperCase() : c.toLowerCase())).join(''),
    );
  const other = fc.constantFrom('Accept', 'User-Agent', 'x-wap-profile', 'Content-Type', 'X-Msisdn-Hint');
  fc.assert(
    fc.property(fc.array(fc.oneof(spelling.map((n) => [n, 'spoof'] as [string, string]), other.map((n) => [n, 'keep'] as [string, string])), { maxLength: 30 }), (headers) => {
      const out = id.apply(headers, '10.0.0.1', { key: '10.0.0.1', msisdn: '316', source: 'static', since: 0 }, 0);
      const kept = headers.filter(([, v]) => v === 'keep');
      // every client value that survived is one we meant to keep, in order; ours follow
      return (
        JSON.stringify(out.slice(0, kept.length)) === JSON.stringify(kept) &&
        out.slice(kept.length).every(([, v]) => v !== 'spoof' && v !== 'keep')
      );
    }),
    { numRuns: 500 },
  );
  t.pass('500 random header lists');
});
