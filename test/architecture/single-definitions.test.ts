/**
 * Each protocol fact outside the WTP/WSP cores is written down once (docs/architecture.md,
 * "One definition per fact"). The patterns below find a copy by its content, not by its name,
 * so a second table under another name fails too.
 */
import t from 'tap';
import { filesMatching, sourceFiles } from '../helpers/source-tree';

const files = sourceFiles();

t.test('WAP-230 Table 36 (HTTP <-> WSP status) is one table in the WSP codec', async (t) => {
  // any literal pairing of 413 and 0x4d (Request Entity Too Large), in either order
  t.same(filesMatching(files, /\b413\s*,\s*0x4d\b|\b0x4d\s*,\s*413\b/i), ['src/codec/wsp/tables.ts']);
  t.same(filesMatching(files, /\b0x60\s*,\s*500\b|\b500\s*,\s*0x60\b/i), ['src/codec/wsp/tables.ts']);
  t.same(filesMatching(files, /function\s+httpToWspStatus\b/), ['src/codec/wsp/tables.ts']);
  t.same(filesMatching(files, /function\s+wspToHttpStatus\b/), ['src/codec/wsp/tables.ts']);
  t.same(filesMatching(files, /function\s+normalizeHttpStatus\b/), ['src/codec/wsp/tables.ts']);
});

t.test('RFC 9110 §7.6.1 hop-by-hop fields are one set in src/core/http.ts', async (t) => {
  for (const field of ['proxy-connection', 'keep-alive']) {
    t.same(filesMatching(files, new RegExp(`['"]${field}['"]`, 'i')), ['src/core/http.ts'], `'${field}' is listed once`);
  }
  // (other fields of the set are also WSP header names, Table 39, so they are not searched for)
  t.same(filesMatching(files, /\bHOP_BY_HOP\s*(:[^=]*)?=/), ['src/core/http.ts'], 'one HOP_BY_HOP definition');
});

t.test('the WSP <-> HTTP header mapping is the bridge\'s, once', async (t) => {
  t.same(filesMatching(files, /\b(wspHeadersToHttp|httpHeadersToWsp)\b/), [], 'the codec-level copies are gone');
  t.same(filesMatching(files, /function\s+toHttpRequestHeaders\b/), ['src/bridge/headers.ts']);
  t.same(filesMatching(files, /function\s+toWspReplyHeaders\b/), ['src/bridge/headers.ts']);
  // the UAProf rename toward HTTP (WAP-248 §9.2.3.3) is the bridge's alone
  t.same(filesMatching(files, /['"]X-Wap-Profile-Diff['"]|['"]x-wap-profile-diff['"]/), ['src/bridge/headers.ts']);
});

t.test('one vocabulary at the WTP -> WSP seam: the WAP-224 §5.3 primitive names, one transaction key', async (t) => {
  // the names the responder used before it spoke the port's vocabulary
  t.same(filesMatching(files, /['"](invokeInd|resultCnf|abortInd)['"]|\btxId\b|\bPeerKey\b/), [], 'no second name for a primitive or the key');
  // the primitives are defined once, by WTP, and WSP consumes them as they are
  t.same(filesMatching(files, /export type WtpIndication\b/), ['src/wtp/responder.ts']);
  t.ok(filesMatching(files, /case 'TR-Invoke\.ind'/).includes('src/wsp/server.ts'), 'the WSP server switches on the TR-* names');
  // the port no longer turns a peer key back into an address
  t.same(filesMatching(files, /function\s+peerOf\b/), []);
});
