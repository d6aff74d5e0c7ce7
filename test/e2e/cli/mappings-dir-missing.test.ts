/**
 * A mapping directory that is not there (a typo in MAPPINGS_DIR or `check-mappings --dir`) or is a
 * file is said once, naming it: it used to be reported as each of the seven mapping files
 * unreadable (`products.json: / cannot be read (ENOENT)` at start-up; seven INVALID entries from
 * check-mappings), which reads as files missing from a directory that is fine. Separate
 * processes, as an operator runs them.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { cliToEnd, serveEnv, tempDir } from '../../support/minimal-env-cli.js';

t.test('check-mappings --dir that is not a directory: one line, exit 1', async (t) => {
  const dir = tempDir(t, 'mappings-dir-missing');
  const missing = path.join(dir, 'site-mappings');
  const gone = await cliToEnd(['check-mappings', '--dir', missing]);
  t.equal(gone.code, 1, 'not there: exit 1');
  t.equal(gone.stderr, `mapping directory ${missing} does not exist (ENOENT)\n`);
  t.equal(gone.stdout, '', 'no report of seven unreadable files');
  const aFile = path.join(dir, 'products.json');
  writeFileSync(aFile, '{}');
  const file = await cliToEnd(['check-mappings', '--dir', aFile, '--json']);
  t.equal(file.code, 1, 'a file: exit 1');
  t.equal(file.stderr, `mapping directory ${aFile} is not a directory\n`);
  t.same(
    JSON.parse(file.stdout),
    { dir: aFile, problem: `${aFile} is not a directory`, files: [] },
    '--json: the refusal as JSON on stdout, for a script to read',
  );
});

t.test('serve with MAPPINGS_DIR not there: one configuration line naming the setting', async (t) => {
  const dir = tempDir(t, 'mappings-dir-serve');
  const missing = path.join(dir, 'site-mappings');
  const outcome = await cliToEnd(['serve'], await serveEnv({ DATA_DIR: dir, MAPPINGS_DIR: missing }));
  t.equal(outcome.code, 1, 'exit 1');
  t.equal(
    outcome.stderr.trim(),
    `configuration error: mappings.dir (MAPPINGS_DIR): ${missing} does not exist (ENOENT)`,
  );
});

t.test('reconcile --mappings-dir not there: one configuration line naming the option', async (t) => {
  const dir = tempDir(t, 'mappings-dir-reconcile');
  const list = path.join(dir, 'facilities.csv');
  writeFileSync(list, 'id,name\nF1,Mberewa Health Centre\n');
  const missing = path.join(dir, 'site-mappings');
  const args = ['reconcile', '--left', list, '--right', list, '--out', path.join(dir, 'out')];
  const outcome = await cliToEnd([...args, '--mappings-dir', missing]);
  t.equal(outcome.code, 1, 'exit 1');
  t.equal(
    outcome.stderr.trim(),
    `configuration error: --mappings-dir (MAPPINGS_DIR): ${missing} does not exist (ENOENT)`,
  );
});
