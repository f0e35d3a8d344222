/**
 * The one-pass reader of the common push-message (readCommonPush, src/ppg/pap.ts) against the
 * general path (decodePapGeneral: the XML parser, then the message rules), on generated
 * documents and on random mutations of them:
 *
 * - whenever the reader gives a document, the general path gives the same one;
 * - whenever the general path refuses a document, the reader declines it (so the refusal and its
 *   reason come from the general path), and decodePap (reader first) refuses it the same way;
 * - the plain documents (the shape the reader is for, with no exotic part) are all read by it:
 *   it does not simply decline everything.
 */
import t from 'tap';
import { isDeepStrictEqual } from 'node:util';
import { PapError, decodePap, decodePapGeneral, readCommonPush, type PapDocument } from '../../src/ppg/pap';
import { seeded } from '../helpers/rng';

type Outcome = { doc: PapDocument } | { code: number; message: string };

function outcome(f: () => PapDocument): Outcome {
  try {
    return { doc: f() };
  } catch (err) {
    if (!(err instanceof PapError)) throw err;
    return { code: err.papCode, message: err.message };
  }
}

class Gen {
  /** Set when the document got a part the reader is not meant to read (it must then decline or agree). */
  exotic = false;
  constructor(private readonly r: () => number) {}
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.r() * xs.length)] as T;
  }
  chance(p: number): boolean {
    return this.r() < p;
  }
  /** Mostly a plain choice; with probability p an exotic one (flagged). */
  plainOr<T>(plain: readonly T[], exotic: readonly T[], p = 0.08): T {
    if (this.chance(p)) {
      this.exotic = true;
      return this.pick(exotic);
    }
    return this.pick(plain);
  }
  ws(): string {
    return this.pick(['', ' ', '\n', '\r\n', '\t', '  \n  ', '\n\t\t']);
  }
  ws1(): string {
    return this.pick([' ', '\n', '\r\n', '\t', '  \n  ']);
  }
  q(v: string): string {
    return this.chance(0.2) ? `'${v.replace(/'/g, '&apos;')}'` : `"${v}"`;
  }
  attrs(list: Array<[string, string]>): string {
    const shuffled = [...list].sort(() => this.r() - 0.5);
    if (shuffled.length > 0 && this.chance(0.03)) {
      this.exotic = true;
      shuffled.push(shuffled[0] as [string, string]); // a duplicate attribute
    }
    return shuffled.map(([k, v]) => `${this.ws1()}${k}${this.pick(['=', '=', ' = '])}${this.q(v)}`).join('');
  }

  decl(): string {
    return this.plainOr(
      ['', '<?xml version="1.0"?>', '<?xml version="1.0" encoding="UTF-8"?>', "<?xml version='1.0'?>\n"],
      ['\ufeff<?xml version="1.0"?>', ' <?xml version="1.0"?>', '<?xml-stylesheet href="x"?>', '<?xmlfoo?>', '<?xml version="1.0"', '<!-- c -->'],
    );
  }
  doctype(): string {
    const sys = this.pick([' "http://www.wapforum.org/DTD/pap_1.0.dtd"', '\n          "http://www.wapforum.org/DTD/pap_1.0.dtd"', '', " 'sys'"]);
    return this.plainOr(
      [
        '',
        `<!DOCTYPE pap PUBLIC "-//WAPFORUM//DTD PAP//EN"${sys}>`,
        `<!DOCTYPE pap PUBLIC "-//WAPFORUM//DTD PAP 1.0//EN"${sys}>`,
        `<!DOCTYPE pap PUBLIC "-//WAPFORUM//DTD PAP 2.0//EN"${sys}>`,
        `<!DOCTYPE pap PUBLIC '-//WAPFORUM//DTD PAP 2.0//EN'${sys} >`,
      ],
      [
        '<!DOCTYPE pap PUBLIC "-//WAPFORUM//DTD PAP 3.0//EN" "x">',
        '<!DOCTYPE pap SYSTEM "pap.dtd">',
        '<!DOCTYPE pap PUBLIC "-//WAPFORUM//DTD PAP//EN" [<!ENTITY x "y">]>',
        '<!DOCTYPE pap PUBLIC "-//WAPFORUM//DTD PAP//EN""sys">',
        '<!DOCTYPE 1pap PUBLIC "-//WAPFORUM//DTD PAP//EN">',
        '<!DOCTYPE papPUBLIC "-//WAPFORUM//DTD PAP//EN">',
        '<!DOCTYPE pap PUBLIC "-//WAPFORUM//DTD PAP//EN"><!DOCTYPE pap PUBLIC "x">',
      ],
    );
  }
  address(prev: string[]): string {
    const plain = ['WAPPUSH=+4917012345678/TYPE=PLMN@ppg.example.com', 'WAPPUSH=+49-170-1234567/TYPE=plmn', 'WAPPUSH=127.0.0.1/TYPE=IPv4', 'WAPPUSH=2001:DB8::1/TYPE=IPv6@x', `WAPPUSH=+3584082${Math.floor(this.r() * 100000)}/TYPE=PLMN`];
    const odd = ['WAPPUSH=john/TYPE=USER', 'WAPPUSH=12/TYPE=PLMN', '+4917012345', 'WAPPUSH=%zz/TYPE=PLMN', '', 'WAPPUSH=1.2.3.4/TYPE=IPv6', ...prev];
    const v = this.plainOr(plain, odd, 0.1);
    prev.push(v);
    const attr = this.chance(0.03) ? (this.exotic = true) && ` address-value=${this.q(v)} foo="1"` : ` address-value=${this.q(v)}`;
    const form = this.plainOr(['/>', '></address>', '>\n    </address>', ' />'], ['>x</address>', '><!-- c --></address>', '><address/></address>'], 0.05);
    return `<address${attr}${form}`;
  }
  qos(): string {
    const list: Array<[string, string]> = [];
    if (this.chance(0.7)) list.push(['priority', this.plainOr(['high', 'medium', 'low', 'LOW'], ['urgent'])]);
    if (this.chance(0.7)) list.push(['delivery-method', this.plainOr(['unconfirmed', 'preferconfirmed', 'confirmed', 'notspecified', 'Unconfirmed'], ['sometimes'])]);
    if (this.chance(0.5)) list.push(['network', this.pick(['GSM', 'gsm', 'CDMA'])]);
    if (this.chance(0.5)) list.push(['network-required', this.plainOr(['true', 'false'], ['yes', 'TRUE'])]);
    if (this.chance(0.5)) list.push(['bearer', this.pick(['SMS', 'sms', 'GPRS'])]);
    if (this.chance(0.5)) list.push(['bearer-required', this.plainOr(['true', 'false'], ['1'])]);
    if (this.chance(0.03)) {
      this.exotic = true;
      list.push(['colour', 'red']);
    }
    const form = this.pick(['/>', '></quality-of-service>', '>\n    </quality-of-service>']);
    return `<quality-of-service${this.attrs(list)}${form}`;
  }
  pushMessage(): string {
    const list: Array<[string, string]> = [['push-id', this.plainOr([`p${Math.floor(this.r() * 1e6)}@pi.example`, 'x', 'a b c', 'id with > in it'], ['', 'a&amp;b', 'tab\there', 'line\nend', 'a&#x41;'])]];
    if (this.chance(0.3)) list.push(['deliver-after-timestamp', this.plainOr(['2001-02-28T06:45:00Z', '2030-01-01T00:00:00Z'], ['2001-02-30T06:45:00Z', 'tomorrow'])]);
    if (this.chance(0.3)) list.push(['deliver-before-timestamp', this.plainOr(['2031-02-28T06:45:00Z', '2029-12-31T23:59:59Z'], ['2031-13-01T00:00:00Z'])]);
    if (this.chance(0.3)) list.push(['progress-notes-requested', this.plainOr(['false', 'true'], ['no'])]);
    if (this.chance(0.15)) list.push(['replace-push-id', this.pick(['old@pi', ''])]);
    if (this.chance(0.15)) list.push(['replace-method', this.plainOr(['pending-only', 'all', 'ALL'], ['some'])]);
    if (this.chance(0.15)) list.push(['source-reference', this.pick(['MMSC-1', ''])]);
    if (this.chance(0.15)) list.push(['ppg-notify-requested-to', this.plainOr(['http://pi.example/notify', 'https://pi.example:8443/n?a=b'], ['ftp://x/', 'not a url'])]);
    if (this.chance(0.03)) {
      this.exotic = true;
      list.push(['foo', 'bar']);
    }
    const kids: string[] = [];
    const prev: string[] = [];
    const n = this.chance(0.03) ? ((this.exotic = true), 0) : 1 + Math.floor(this.r() * (this.chance(0.2) ? 3 : 1));
    for (let i = 0; i < n; i++) kids.push(this.address(prev));
    if (this.chance(0.6)) kids.push(this.qos());
    if (this.chance(0.03)) {
      this.exotic = true;
      kids.push(this.qos());
    }
    if (this.chance(0.05)) {
      this.exotic = true;
      kids.splice(Math.floor(this.r() * (kids.length + 1)), 0, this.pick(['<!-- note -->', '<progress-note stage="x"/>', '<foo/>', 'text', '<![CDATA[x]]>', '<?pi x?>']));
    }
    const kidsXml = kids.map((k) => this.ws() + k).join('') + this.ws();
    return `<push-message${this.attrs(list)}>${kidsXml}</push-message${this.pick(['', ' ', '\n'])}>`;
  }
  document(): string {
    this.exotic = false;
    const head = this.decl() + this.ws() + this.doctype() + this.ws();
    const pap = this.plainOr(['<pap>', '<pap product-name="Bench PI">', '<pap\n>'], ['<pap foo="1">', '<pap/>', '<pap:pap>']);
    let msg: string;
    if (this.chance(0.08)) {
      this.exotic = true;
      msg = this.pick([
        '<cancel-message push-id="a"><address address-value="WAPPUSH=+4917012345678/TYPE=PLMN"/></cancel-message>',
        '<statusquery-message push-id="a"/>',
        '<ccq-message query-id="q"><address address-value="WAPPUSH=+4917012345678/TYPE=PLMN"/></ccq-message>',
      ]);
    } else msg = this.pushMessage();
    if (this.chance(0.02)) {
      this.exotic = true;
      msg += this.pushMessage();
    }
    const tail = this.plainOr(['', '\n', '\r\n', '  \n'], ['<!-- end -->', 'x', '<pap/>', '<?pi?>']);
    const close = pap.startsWith('<pap/') ? '' : pap.startsWith('<pap:') ? '</pap:pap>' : '</pap>';
    return `${head}${pap}${this.ws()}${msg}${this.ws()}${close}${tail}`;
  }
}

const MUTANTS = ['<', '>', '"', "'", '&', '/', '=', ' ', 'a', '\n', '-', '?', '!', '\u00e9', '\u0000'];

function mutate(r: () => number, s: string): string {
  const i = Math.floor(r() * (s.length + 1));
  const c = MUTANTS[Math.floor(r() * MUTANTS.length)] as string;
  switch (Math.floor(r() * 4)) {
    case 0:
      return s.slice(0, i) + s.slice(i + 1);
    case 1:
      return s.slice(0, i) + c + s.slice(i);
    case 2:
      return s.slice(0, i) + c + s.slice(i + 1);
    default:
      return s.slice(0, i);
  }
}

t.test('the one-pass reader and the general path agree on generated documents', async (t) => {
  const r = seeded(0x5eed12);
  const g = new Gen(r);
  let read = 0;
  let plain = 0;
  let plainAccepted = 0;
  let refused = 0;
  let mutantsRead = 0;
  const problems: string[] = [];
  // a per-document assertion would print thousands of passing lines: disagreements are collected
  const check = (xml: string, maxAddresses: number, isPlain: boolean): void => {
    const general = outcome(() => decodePapGeneral(xml, { maxAddresses }));
    const fast = readCommonPush(xml, maxAddresses);
    const full = outcome(() => decodePap(xml, { maxAddresses }));
    if (fast !== undefined) {
      read++;
      if (!('doc' in general)) problems.push(`reader read what the general path refuses (${general.code} ${general.message}): ${JSON.stringify(xml)}`);
      else if (!isDeepStrictEqual(fast, general.doc)) problems.push(`different documents: ${JSON.stringify(xml)}`);
    }
    if (!('doc' in general)) refused++;
    if (!isDeepStrictEqual(full, general)) problems.push(`decodePap differs from the general path: ${JSON.stringify(xml)}`);
    if (isPlain && 'doc' in general) {
      plainAccepted++;
      if (fast === undefined) problems.push(`plain document declined: ${JSON.stringify(xml)}`);
    }
  };
  for (let i = 0; i < 4000; i++) {
    const xml = g.document();
    const maxAddresses = g.pick([1, 2, 3, 1000]);
    if (!g.exotic) plain++;
    check(xml, maxAddresses, !g.exotic);
    // and a few mutations of each
    for (let k = 0; k < 2; k++) {
      const before = read;
      check(mutate(r, xml), maxAddresses, false);
      if (read > before) mutantsRead++;
    }
  }
  t.same(problems, [], 'no disagreement');
  t.ok(plain > 1000, `plain documents generated: ${plain}`);
  t.ok(plainAccepted > 1000 && read >= plainAccepted, `the reader read ${read} documents, every plain one the general path accepts (${plainAccepted})`);
  t.ok(refused > 1000, `the general path refused ${refused}: the refusals were exercised`);
  t.ok(mutantsRead > 300, `mutated documents the reader still read (and agreed on): ${mutantsRead}`);
});

t.test('the reader reads Kannel\'s sample push-message and declines what it does not understand', async (t) => {
  const kannel = `<?xml version="1.0"?>
<!DOCTYPE pap PUBLIC "-//WAPFORUM//DTD PAP//EN"
          "http://www.wapforum.org/DTD/pap_1.0.dtd">
<pap>
  <push-message push-id="9fjeo39jf084@pi.com"
  deliver-after-timestamp="2001-02-28T06:45:00Z"
  progress-notes-requested="false">
    <address address-value="WAPPUSH=+358408201681/TYPE=PLMN@ppg.carrier.com">
    </address>
    <quality-of-service
    priority="low"
    delivery-method="unconfirmed"
    network-required="true"
    network="gsm"
    bearer-required="true"
    bearer="sms">
    </quality-of-service>
  </push-message>
</pap>
`;
  const doc = readCommonPush(kannel, 1000);
  t.ok(doc, 'read');
  t.same(doc, decodePapGeneral(kannel), 'as the general path reads it');
  t.equal(doc?.version, '1.0');
  const m = doc?.message;
  t.equal(m?.kind === 'push-message' && m.qos?.network, 'gsm');
  // an internal subset, an entity reference: declined, and the general path's rules apply
  const xxe = kannel.replace('"http://www.wapforum.org/DTD/pap_1.0.dtd">', '"x" [<!ENTITY e SYSTEM "file:///etc/passwd">]>');
  t.equal(readCommonPush(xxe, 1000), undefined, 'a DTD internal subset is declined');
  const x = outcome(() => decodePap(xxe));
  t.ok('code' in x && x.code === 2000 && /DOCTYPE with an internal subset/.test(x.message), 'and refused by the XML parser');
  const ent = kannel.replace('push-id="9fjeo39jf084@pi.com"', 'push-id="&e;"');
  t.equal(readCommonPush(ent, 1000), undefined, 'an entity reference is declined');
  const y = outcome(() => decodePap(ent));
  t.ok('code' in y && /entity reference/.test(y.message), 'and refused by the XML parser');
  t.equal(readCommonPush(kannel.replace('push-id="9fjeo39jf084@pi.com"', 'push-id="a&amp;b"'), 1000), undefined, 'the predefined entities are the general parser\'s too');
  t.equal((decodePap(kannel.replace('push-id="9fjeo39jf084@pi.com"', 'push-id="a&amp;b"')).message as { pushId: string }).pushId, 'a&b');
});
