/**
 * Comments in src/ cite specifications or the repository's own docs/, never documents a person
 * who clones the project does not have (docs/architecture.md, first paragraph).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { ROOT, sourceFiles } from '../helpers/source-tree';

const files = sourceFiles();

/** Names of documents that live outside the repository. */
const OUTSIDE = /house[ -]?style|protocol-facts|peers\.md|design-wave|contract\.md|\.\.\/shared\b|\/work\//i;

t.test('no file in src/ cites a document outside the repository', async (t) => {
  const citing = files.filter((f) => OUTSIDE.test(f.text)).map((f) => f.path);
  t.same(citing, [], 'cite the specification or docs/ instead');
  t.ok(OUTSIDE.test(' (house style 4)') && OUTSIDE.test('protocol-facts §5.3') && OUTSIDE.test('see ../shared/x'), 'the pattern catches the known forms');
});

t.test('every docs/ file a comment cites exists', async (t) => {
  const cited = new Set<string>();
  for (const f of files) for (const m of f.text.matchAll(/\bdocs\/[\w.-]+\.md\b/g)) cited.add(m[0]);
  t.ok(cited.has('docs/architecture.md'), 'the architecture note is cited');
  for (const d of cited) t.ok(existsSync(join(ROOT, d)), `${d} exists`);
});
