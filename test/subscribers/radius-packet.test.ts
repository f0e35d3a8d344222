import { createHash } from 'node:crypto';
import fc from 'fast-check';
import radius from 'radius';
import t from 'tap';
import { configSchema } from '../../src/config/schema';
import { DecodeError } from '../../src/core/errors';
import { silentLogger } from '../../src/core/logger';
import { Metrics } from '../../src/ops/metrics';
import { extractAccounting } from '../../src/subscribers/accounting';
import { ensure3gppDictionary } from '../../src/subscribers/radius-dictionary';
import {
  attributes,
  encodeAccountingResponse,
  parseFramedIpv6Prefix,
  resignRequest,
  sliceToLength,
  verifyAccountingResponse,
  verifyMessageAuthenticator,
  verifyRequestAuthenticator,
} from '../../src/subscribers/radius-packet';
import { RadiusAccountingServer } from '../../src/subscribers/radius-server';
import { SubscriberTable } from '../../src/subscribers/table';
import { acct } from '../helpers/radius';

/*
 * Golden vector: an Accounting-Request sent by FreeRADIUS 3 radclient (freeradius-utils, Debian)
 * with secret "s3cret", captured on a UDP socket here:
 *   printf 'Acct-Status-Type = Start\nAcct-Session-Id = "abc"\nFramed-IP-Address = 10.0.0.5\n
 *   Calling-Station-Id = "15551234"\n3GPP-IMSI = "001010000000001"\n3GPP-RAT-Type = EUTRAN\n
 *   3GPP-Session-Stop-Indicator = 0xff\nFramed-IPv6-Prefix = 2001:db8:1:2::/64\n
 *   Message-Authenticator = 0x00\nNAS-IP-Address = 127.0.0.1\n' | radclient -x host:port acct s3cret
 */
const RADCLIENT_START_HEX = (
  '04 96 0084 8ea479e1729f3b7b8a2a8c9c86d5c5a1' + // Accounting-Request, Id 150, Length 132, authenticator
    '2806 00000001' + // Acct-Status-Type Start
    '2c05 616263' + // Acct-Session-Id "abc"
    '0806 0a000005' + // Framed-IP-Address 10.0.0.5
    '1f0a 3135353531323334' + // Calling-Station-Id
    '1a17 000028af 0111 303031303130303030303030303031' + // VSA 10415: 3GPP-IMSI
    '1a09 000028af 1503 06' + // 3GPP-RAT-Type (one octet) EUTRAN
    '1a09 000028af 0b03 ff' + // 3GPP-Session-Stop-Indicator
    '6114 0040 20010db8000100020000000000000000' + // Framed-IPv6-Prefix /64 (radclient sends all 16 octets)
    '5012 91a4774d905f1bd78b3c8b6078576aa0' + // Message-Authenticator
    '0406 7f000001' // NAS-IP-Address
).replace(/ /g, '');
const RADCLIENT_START = Buffer.from(RADCLIENT_START_HEX, 'hex');

t.test('a radclient packet: authenticator and Message-Authenticator verify, attributes decode', async (t) => {
  t.ok(verifyRequestAuthenticator(RADCLIENT_START, 's3cret'));
  t.notOk(verifyRequestAuthenticator(RADCLIENT_START, 's3creT'));
  t.equal(verifyMessageAuthenticator(RADCLIENT_START, 's3cret'), true);
  t.equal(verifyMessageAuthenticator(RADCLIENT_START, 'other'), false);
  t.equal(verifyMessageAuthenticator(acct({ secret: 'x', status: 'Start' }), 'x'), undefined, 'absent');
  t.same(
    attributes(RADCLIENT_START).map((a) => a.type),
    [40, 44, 8, 31, 26, 26, 26, 97, 80, 4],
  );
  ensure3gppDictionary();
  const r = extractAccounting(radius.decode_without_secret({ packet: RADCLIENT_START }), '127.0.0.1');
  t.match(r, {
    status: 'start',
    nas: '127.0.0.1',
    sessionId: 'abc',
    ipv4: '10.0.0.5',
    ipv6Key: '2001:db8:1:2::/64',
    msisdn: '15551234',
    imsi: '001010000000001',
    ratType: 6,
    sessionStopIndicator: true,
    warnings: [],
  });
});

t.test('re-signing for a downstream server', async (t) => {
  const copy = resignRequest(RADCLIENT_START, 'downstream', 7);
  t.equal(copy[1], 7, 'own Identifier');
  t.ok(verifyRequestAuthenticator(copy, 'downstream'));
  t.equal(verifyMessageAuthenticator(copy, 'downstream'), true);
  t.notOk(verifyRequestAuthenticator(copy, 's3cret'));
  t.ok(verifyRequestAuthenticator(RADCLIENT_START, 's3cret'), 'the original is untouched');
  t.same(copy.subarray(20, 20 + 80), RADCLIENT_START.subarray(20, 20 + 80), 'attributes unchanged');
});

t.test('responses: Proxy-State echoed in order, authenticator verifiable', async (t) => {
  const req = acct({ secret: 'k', identifier: 9, status: 'Stop', attrs: [['Proxy-State', Buffer.from('a')], ['Proxy-State', Buffer.from('bb')]] });
  const resp = encodeAccountingResponse(req, 'k');
  t.equal(resp[0], 5);
  t.equal(resp[1], 9);
  t.same(resp.subarray(20), Buffer.from([33, 3, 0x61, 33, 4, 0x62, 0x62]));
  t.ok(radius.verify_response({ request: req, response: resp, secret: 'k' }), 'npm radius agrees');
  t.ok(verifyAccountingResponse(req, resp, 'k'));
  t.notOk(verifyAccountingResponse(req, resp, 'K'));
  t.notOk(verifyAccountingResponse(req, resp.subarray(0, 10), 'k'));
  t.ok(resp.length <= req.length, 'never larger than the request');
});

t.test('Length and attribute framing', async (t) => {
  const pkt = acct({ secret: 'k', status: 'Start', framedIp: '10.0.0.1' });
  t.equal(sliceToLength(Buffer.concat([pkt, Buffer.alloc(9)])).length, pkt.length, 'padding cut');
  t.throws(() => sliceToLength(pkt.subarray(0, 19)), DecodeError);
  const long = Buffer.from(pkt);
  long.writeUInt16BE(5000, 2);
  t.throws(() => sliceToLength(long), DecodeError);
  const short = Buffer.from(pkt);
  short.writeUInt16BE(19, 2);
  t.throws(() => sliceToLength(short), DecodeError);
  const over = Buffer.from(pkt);
  over[21] = 200;
  t.throws(() => attributes(over), { code: 'ERR_RADIUS_DECODE' });
});

t.test('Framed-IPv6-Prefix (RFC 3162 §2.3)', async (t) => {
  t.same(parseFramedIpv6Prefix(Buffer.from('00402001' + '0db80001' + '0002', 'hex')), { address: '2001:db8:1:2:0:0:0:0', length: 64 }, 'only the prefix octets sent');
  t.same(parseFramedIpv6Prefix(Buffer.from('003820010db8000102ff', 'hex')), { address: '2001:db8:1:200:0:0:0:0', length: 56 }, 'bits past the length cleared');
  t.same(parseFramedIpv6Prefix(Buffer.from('0000', 'hex')), { address: '0:0:0:0:0:0:0:0', length: 0 });
  t.throws(() => parseFramedIpv6Prefix(Buffer.from('0081' + '00'.repeat(16), 'hex')), DecodeError, 'length > 128');
  t.throws(() => parseFramedIpv6Prefix(Buffer.from('00402001', 'hex')), DecodeError, 'too few octets for /64');
  t.throws(() => parseFramedIpv6Prefix(Buffer.from('00', 'hex')), DecodeError);
});

t.test('the 3GPP dictionary survives other users of the module-global radius state', async (t) => {
  ensure3gppDictionary();
  radius.unload_dictionaries();
  ensure3gppDictionary();
  ensure3gppDictionary();
  const pkt = acct({ secret: 'k', status: 'Start', ratType: 2, imsi: '001010000000009' });
  const d = radius.decode({ packet: pkt, secret: 'k' });
  t.same(d.attributes['Vendor-Specific']['3GPP-RAT-Type'], Buffer.from([2]), 'RAT-Type is one octet (byte), no throw');
  t.equal(d.attributes['Vendor-Specific']['3GPP-IMSI'], '001010000000009');
});

t.test('random datagrams from a known client never throw and never bind', async (t) => {
  const config = configSchema.parse({ radius: { enabled: true, clients: [{ address: '127.0.0.1', secret: 'k' }] } });
  const table = new SubscriberTable({ maxEntries: 100 });
  const server = new RadiusAccountingServer({ config: config.radius, table, metrics: new Metrics(), logger: silentLogger() });
  const from = { address: '127.0.0.1', port: 1 };
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 0, maxLength: 300 }), (bytes) => {
      const r = server.handle(Buffer.from(bytes), from);
      return r.outcome !== 'ok' && r.outcome !== 'error' && r.reply === undefined;
    }),
    { numRuns: 2000 },
  );
  // correctly signed packets with random attribute bytes: handled (ok or malformed), never 'error'
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 0, maxLength: 200 }), fc.integer({ min: 0, max: 255 }), (attrs, id) => {
      const pkt = Buffer.concat([Buffer.from([4, id, 0, 0]), Buffer.alloc(16), Buffer.from(attrs)]);
      pkt.writeUInt16BE(pkt.length, 2);
      createHash('md5').update(pkt).update('k').digest().copy(pkt, 4);
      const r = server.handle(pkt, from);
      return r.outcome !== 'error';
    }),
    { numRuns: 2000 },
  );
  t.pass('no exceptions');
});
