import t from 'tap';
import { papCode } from '../helpers/pap-code';
import { readFileSync } from 'node:fs';
import {
  PAP_CODES,
  PapError,
  decodePap,
  encodePap,
  formatPapTime,
  parsePapAddress,
  parsePapTime,
  papCodeName,
  type PapMessage,
  type PushMessage,
} from '../../src/ppg/pap';

const PAP2 = '<!DOCTYPE pap PUBLIC "-//WAPFORUM//DTD PAP 2.0//EN" "http://www.wapforum.org/DTD/pap_2.0.dtd">';


t.test('status code table (WAP-247 §9.13/9.14)', async (t) => {
  const m = new Map<number, string>(PAP_CODES);
  t.equal(m.get(1001), 'Accepted for Processing');
  t.equal(m.get(2002), 'Address Error');
  t.equal(m.get(2007), 'Duplicate Push ID');
  t.equal(m.get(2008), 'Cancellation Not Possible');
  t.equal(m.get(3010), 'Required Bearer Not Available');
  t.equal(m.get(4001), 'Service Unavailable');
  t.equal(papCodeName(5028), 'Mobile Client Aborted', 'OTA abort codes fall in 5xxx');
  t.equal(new Set(PAP_CODES.map(([c]) => c)).size, PAP_CODES.length, 'no code twice');
});

t.test('addresses (WAP-249 §7.1)', async (t) => {
  t.same(parsePapAddress('WAPPUSH=+358408201681/TYPE=PLMN@ppg.carrier.com'), {
    value: 'WAPPUSH=+358408201681/TYPE=PLMN@ppg.carrier.com', type: 'PLMN', client: '+358408201681', ppg: 'ppg.carrier.com',
  });
  t.equal(parsePapAddress('WAPPUSH=+49-170-1234567/TYPE=plmn').client, '+491701234567', 'separators dropped, type case-insensitive');
  t.same(parsePapAddress('WAPPUSH=127.0.0.1/TYPE=IPv4').client, '127.0.0.1');
  t.same(parsePapAddress('WAPPUSH=2001:DB8::1/TYPE=IPv6@x').client, '2001:db8::1');
  for (const [bad, why] of [
    ['+4917012345', /WAPPUSH=/],
    ['WAPPUSH=john/TYPE=USER', /TYPE=USER/],
    ['WAPPUSH=abc/TYPE=PLMN', /phone number/],
    ['WAPPUSH=1.2.3/TYPE=IPv4', /IPv4/],
    ['WAPPUSH=1.2.3.4/TYPE=IPv6', /IPv6/],
    ['WAPPUSH=1.2.3.4/TYPE=X25', /not supported/],
  ] as const) {
    try {
      parsePapAddress(bad);
      t.fail(`accepted ${bad}`);
    } catch (e) {
      t.equal((e as PapError).papCode, 2002, bad);
      t.equal((e as PapError).code, 'ERR_PAP_2002');
      t.match((e as Error).message, why);
    }
  }
});

t.test('timestamps', async (t) => {
  const ms = parsePapTime('2001-02-28T06:45:00Z', 'x');
  t.equal(ms, Date.UTC(2001, 1, 28, 6, 45, 0));
  t.equal(formatPapTime(ms), '2001-02-28T06:45:00Z');
  t.equal(papCode(() => parsePapTime('2001-02-30T06:45:00Z', 'x')), 2000, 'no Feb 30');
  t.equal(papCode(() => parsePapTime('2001-02-28 06:45:00', 'x')), 2000);
});

t.test("Kannel's sample PAP 1.0 documents", async (t) => {
  for (const f of ['smstestppg.txt', 'iptestppg.txt']) {
    const path = `/usr/lib/kannel/test/${f}`;
    let xml: string;
    try {
      xml = readFileSync(path, 'utf8');
    } catch {
      // the same documents inline when kannel-extras is absent
      xml = `<?xml version="1.0"?>\n<!DOCTYPE pap PUBLIC "-//WAPFORUM//DTD PAP//EN" "http://www.wapforum.org/DTD/pap_1.0.dtd">\n<pap><push-message push-id="9fjeo39jf084@pi.com" deliver-after-timestamp="2001-02-28T06:45:00Z" progress-notes-requested="false"><address address-value="${f.startsWith('sms') ? 'WAPPUSH=+358408201681/TYPE=PLMN@ppg.carrier.com' : 'WAPPUSH=213.243.140.102/TYPE=IPv4@ppg.carrier.com'}"></address><quality-of-service priority="low" delivery-method="unconfirmed" network-required="true" network="GSM" bearer-required="true" bearer="${f.startsWith('sms') ? 'sms' : 'CSD'}"></quality-of-service></push-message></pap>`;
    }
    const doc = decodePap(xml);
    t.equal(doc.version, '1.0', f);
    const m = doc.message as PushMessage;
    t.equal(m.kind, 'push-message');
    t.equal(m.pushId, '9fjeo39jf084@pi.com');
    t.equal(m.deliverAfter, Date.UTC(2001, 1, 28, 6, 45));
    t.equal(m.progressNotesRequested, false);
    t.equal(m.addresses.length, 1);
    t.equal(m.addresses[0]?.type, f.startsWith('sms') ? 'PLMN' : 'IPv4');
    t.equal(m.qos?.priority, 'low');
    t.equal(m.qos?.deliveryMethod, 'unconfirmed');
    t.equal(m.qos?.networkRequired, true);
  }
});

t.test('PAP 2.0 push-message with several addresses', async (t) => {
  const xml = `<?xml version="1.0"?>
${PAP2}
<pap product-name="mmsc 1">
  <push-message push-id="mmsc-123@mmsc.op" deliver-before-timestamp="2030-01-01T00:00:00Z"
      deliver-after-timestamp="2029-12-31T00:00:00Z" source-reference="mmsc"
      ppg-notify-requested-to="http://mmsc.op/ppgnotify" replace-push-id="mmsc-122@mmsc.op" replace-method="pending-only">
    <address address-value="WAPPUSH=+4917012345/TYPE=PLMN@ppg.op"/>
    <address address-value="WAPPUSH=10.1.2.3/TYPE=IPv4@ppg.op"/>
    <quality-of-service delivery-method="unconfirmed" network="GSM" network-required="true" bearer="SMS" bearer-required="true"/>
  </push-message>
</pap>`;
  const doc = decodePap(xml);
  t.equal(doc.version, '2.0');
  t.equal(doc.productName, 'mmsc 1');
  const m = doc.message as PushMessage;
  t.same(m.addresses.map((a) => [a.type, a.client]), [['PLMN', '+4917012345'], ['IPv4', '10.1.2.3']]);
  t.equal(m.deliverBefore, Date.UTC(2030, 0, 1));
  t.equal(m.ppgNotifyRequestedTo, 'http://mmsc.op/ppgnotify');
  t.equal(m.replacePushId, 'mmsc-122@mmsc.op');
  t.equal(m.qos?.bearer, 'SMS');
  // round trip: encode and decode again gives the same message
  const again = decodePap(encodePap(m, '2.0'));
  t.same(again.message, m);
});

t.test('bad documents answer the right code with a reason', async (t) => {
  const wrap = (inner: string, dt = PAP2) => `<?xml version="1.0"?>\n${dt}\n<pap>${inner}</pap>`;
  const cases: Array<[string, string, number, RegExp]> = [
    ['no push-id', wrap('<push-message><address address-value="WAPPUSH=+123456/TYPE=PLMN"/></push-message>'), 2000, /push-id/],
    ['no address', wrap('<push-message push-id="a"/>'), 2000, /address/],
    ['an element named like an Object.prototype member', wrap('<push-message push-id="a"><address address-value="WAPPUSH=+123456/TYPE=PLMN"/><constructor a="1"/></push-message>'), 2000, /unknown element <constructor>/],
    ['unknown attribute', wrap('<push-message push-id="a" colour="red"><address address-value="WAPPUSH=+123456/TYPE=PLMN"/></push-message>'), 2000, /colour/],
    ['bad address', wrap('<push-message push-id="a"><address address-value="WAPPUSH=x/TYPE=PLMN"/></push-message>'), 2002, /phone number/],
    ['two same addresses', wrap('<push-message push-id="a"><address address-value="WAPPUSH=+123456/TYPE=PLMN"/><address address-value="WAPPUSH=+123456/TYPE=PLMN@p"/></push-message>'), 2000, /twice/],
    ['bad enum', wrap('<push-message push-id="a"><address address-value="WAPPUSH=+123456/TYPE=PLMN"/><quality-of-service priority="urgent"/></push-message>'), 2000, /priority/],
    ['after >= before', wrap('<push-message push-id="a" deliver-before-timestamp="2020-01-01T00:00:00Z" deliver-after-timestamp="2020-01-02T00:00:00Z"><address address-value="WAPPUSH=+123456/TYPE=PLMN"/></push-message>'), 2000, /deliver-after/],
    ['notify not http', wrap('<push-message push-id="a" ppg-notify-requested-to="file:///etc/passwd"><address address-value="WAPPUSH=+123456/TYPE=PLMN"/></push-message>'), 2000, /http/],
    ['not pap', '<?xml version="1.0"?><html/>', 2000, /<pap>/],
    ['two messages', wrap('<cancel-message push-id="a"/><cancel-message push-id="b"/>'), 2000, /exactly one/],
    ['version 3', wrap('<cancel-message push-id="a"/>', '<!DOCTYPE pap PUBLIC "-//WAPFORUM//DTD PAP 3.0//EN" "x">'), 3002, /version/],
    ['not XML', 'this is not xml', 2000, /well-formed/],
    ['entity expansion', `<?xml version="1.0"?><!DOCTYPE pap [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><pap><cancel-message push-id="&b;"/></pap>`, 2000, /well-formed/],
    ['external entity', `<?xml version="1.0"?><!DOCTYPE pap [<!ENTITY x SYSTEM "file:///etc/passwd">]><pap><cancel-message push-id="&x;"/></pap>`, 2000, /well-formed/],
    ['undeclared entity', wrap('<cancel-message push-id="&x;"/>'), 2000, /well-formed/],
  ];
  for (const [name, xml, code, why] of cases) {
    try {
      decodePap(xml);
      t.fail(`${name}: accepted`);
    } catch (e) {
      t.ok(e instanceof PapError, `${name}: a PapError`);
      t.equal((e as PapError).papCode, code, name);
      t.match((e as Error).message, why, name);
    }
  }
  t.equal(papCode(() => decodePap(wrap('<push-message push-id="a">' + '<address address-value="WAPPUSH=+1234567/TYPE=PLMN"/>'.repeat(3) + '</push-message>'), { maxAddresses: 2 })), 3005, 'address limit');
  t.equal(papCode(() => decodePap(wrap(' '.repeat(2000)), { maxBytes: 1000 })), 2000, 'size limit');
});

t.test('every message and response round-trips (both versions)', async (t) => {
  const msgs: PapMessage[] = [
    { kind: 'cancel-message', pushId: 'p1', addresses: [parsePapAddress('WAPPUSH=+12345678/TYPE=PLMN')] },
    { kind: 'statusquery-message', pushId: 'p1', addresses: [] },
    { kind: 'ccq-message', queryId: 'q1', appId: 'x-wap-application:mms.ua', address: parsePapAddress('WAPPUSH=+12345678/TYPE=PLMN') },
    { kind: 'resultnotification-response', pushId: 'p1', address: 'WAPPUSH=+12345678/TYPE=PLMN', result: { code: 1000, desc: 'OK' } },
    { kind: 'push-response', pushId: 'p1', senderAddress: 'http://ppg', senderName: 'wapgw', replyTime: Date.UTC(2026, 11, 7, 12), result: { code: 1001, desc: 'Accepted for Processing' } },
    { kind: 'cancel-response', pushId: 'p1', results: [{ code: 1000, desc: 'cancelled', addresses: ['WAPPUSH=+12345678/TYPE=PLMN'] }, { code: 2008, desc: 'no', addresses: ['WAPPUSH=+12345679/TYPE=PLMN'] }] },
    { kind: 'statusquery-response', pushId: 'p1', results: [{ code: 1000, desc: 'OK', messageState: 'pending', eventTime: Date.UTC(2026, 0, 1), addresses: ['WAPPUSH=+12345678/TYPE=PLMN'] }] },
    { kind: 'ccq-response', queryId: 'q1', code: 3004, desc: 'Capability Matching Not Supported', address: 'WAPPUSH=+12345678/TYPE=PLMN' },
    { kind: 'resultnotification-message', pushId: 'p1', senderName: 'wapgw', receivedTime: Date.UTC(2026, 0, 1), eventTime: Date.UTC(2026, 0, 2), messageState: 'expired', code: 4000, desc: 'Service Failure', address: 'WAPPUSH=+12345678/TYPE=PLMN' },
    { kind: 'badmessage-response', code: 2000, desc: 'Bad Request', badMessageFragment: '<x a="&"/>' },
  ];
  for (const v of ['1.0', '2.0'] as const) {
    for (const m of msgs) {
      const xml = encodePap(m, v);
      const back = decodePap(xml);
      t.equal(back.version, v);
      t.same(back.message, m, `${m.kind} ${v}`);
    }
  }
});

t.test('push-response golden (what the PPG sends)', async (t) => {
  const xml = encodePap({ kind: 'push-response', pushId: '9fjeo39jf084@pi.com', senderName: 'wapgw', replyTime: Date.UTC(2026, 11, 7, 13, 0, 0), result: { code: 1001 } }, '1.0');
  t.equal(
    xml,
    '<?xml version="1.0"?>\n<!DOCTYPE pap PUBLIC "-//WAPFORUM//DTD PAP//EN" "http://www.wapforum.org/DTD/pap_1.0.dtd">\n' +
      '<pap><push-response push-id="9fjeo39jf084@pi.com" sender-name="wapgw" reply-time="2026-12-07T13:00:00Z">' +
      '<response-result code="1001" desc="Accepted for Processing"/></push-response></pap>\n',
  );
  // the push-response is written directly (not through the general encoder): escapes and every optional attribute
  t.equal(
    encodePap({ kind: 'push-response', pushId: 'a<&"\'b\u0001', senderAddress: 'http://ppg/?a=1&b=2', senderName: 'w "g"', result: { code: 4000, desc: 'x > y' } }, '2.0'),
    '<?xml version="1.0"?>\n<!DOCTYPE pap PUBLIC "-//WAPFORUM//DTD PAP 2.0//EN" "http://www.wapforum.org/DTD/pap_2.0.dtd">\n' +
      '<pap><push-response push-id="a&lt;&amp;&quot;&apos;b" sender-address="http://ppg/?a=1&amp;b=2" sender-name="w &quot;g&quot;">' +
      '<response-result code="4000" desc="x &gt; y"/></push-response></pap>\n',
  );
  t.match(encodePap({ kind: 'push-response', pushId: 'p', result: { code: 1001 } }, '2.0', 'wapgw 1'), '<pap product-name="wapgw 1"><push-response push-id="p">', 'with a product-name: the general encoder');
  const esc = encodePap({ kind: 'badmessage-response', code: 2000, desc: 'a "quoted" <tag> & \u0001ctl' });
  t.match(esc, 'desc="a &quot;quoted&quot; &lt;tag&gt; &amp; ctl"', 'escaped, control characters dropped');
});

t.test('the push-response template writes what the general encoder writes', async (t) => {
  let n = 0;
  for (const version of ['1.0', '2.0'] as const) {
    for (const senderName of [undefined, 'wapgw', 'a "b" & <c>']) {
      for (const [code, desc] of [[1001, undefined], [1001, 'Accepted for Processing'], [2007, 'push-id "x" was already used'], [3000, 'x > y']] as const) {
        for (const pushId of ['p1@pi.example', 'a<&"\'b', '']) {
          for (const replyTime of [Date.UTC(2026, 11, 7, 13, 0, 0), Date.UTC(2026, 11, 7, 13, 0, 0) + 999, Date.UTC(2026, 11, 7, 13, 0, 1), 0]) {
            const m: PapMessage = { kind: 'push-response', pushId, replyTime, result: desc === undefined ? { code } : { code, desc } };
            if (senderName !== undefined) m.senderName = senderName;
            const general = encodePap(m, version, 'X').replace('<pap product-name="X">', '<pap>');
            if (encodePap(m, version) !== general) t.fail(`differs: ${JSON.stringify(m)} ${version}`);
            n++;
          }
        }
      }
    }
  }
  t.equal(n, 288, 'every combination compared');
});
