/**
 * writeWhole (the reconcile CLI's output files) keeps what a plain write did: a symbolic link is
 * written through, not replaced by a file; the file keeps its mode (a review.csv a data manager made
 * group-readable only stays so); a part left by another run is not taken for this write's.
 */
import {
  chmodSync,
  lstatSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { writeWhole } from '../../../src/cli/whole-file.js';

function scratch(t: Test): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'whole-file-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

t.test('a symbolic link is written through and stays a link', async (t) => {
  const dir = scratch(t);
  const kept = path.join(dir, 'shared-review.csv');
  writeFileSync(kept, 'old\n');
  const link = path.join(dir, 'review.csv');
  symlinkSync(kept, link);
  writeWhole(link, 'new\n');
  t.ok(lstatSync(link).isSymbolicLink(), 'review.csv is still the link');
  t.equal(readFileSync(kept, 'utf8'), 'new\n', 'the file it names holds the new text');
  t.same(readdirSync(dir).sort(), ['review.csv', 'shared-review.csv'], 'no part left behind');
});

t.test('the file keeps its mode', async (t) => {
  const dir = scratch(t);
  const file = path.join(dir, 'review.csv');
  writeFileSync(file, 'old\n');
  chmodSync(file, 0o640);
  writeWhole(file, 'new\n');
  t.equal(statSync(file).mode & 0o7777, 0o640, 'mode 640 kept');
  t.equal(readFileSync(file, 'utf8'), 'new\n');
});

t.test("another run's part beside the file is left alone", async (t) => {
  const dir = scratch(t);
  const file = path.join(dir, 'crosswalk.json');
  const others = path.join(dir, '.crosswalk.json.part');
  writeFileSync(others, 'another run, half written');
  writeWhole(file, '[]\n');
  t.equal(readFileSync(file, 'utf8'), '[]\n');
  t.equal(readFileSync(others, 'utf8'), 'another run, half written', "the other run's part is untouched");
});

t.test('a new file is written whole', async (t) => {
  const dir = scratch(t);
  const file = path.join(dir, 'summary.json');
  writeWhole(file, '{}\n');
  t.equal(readFileSync(file, 'utf8'), '{}\n');
  t.same(readdirSync(dir), ['summary.json']);
});
