/**
 * A reconcile run that stops while it writes its files (killed, a full disk, a file it cannot
 * replace) leaves no summary.json: that file is written last and now means the set beside it is
 * whole. Before, the previous run's summary stayed beside this run's crosswalk.json, so the
 * directory looked like a finished run of numbers it did not hold; and a file cut short by the
 * stop was left in place of the last whole one (each file is now written beside and renamed).
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { runReconcile } from '../../../src/cli/reconcile.js';

t.test('a run stopped while writing leaves no summary.json and no half file', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'reconcile-out-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const right = path.join(dir, 'registry.csv');
  writeFileSync(right, 'id,name,county\nR1,Kaumu Dispensary,Kitui\nR2,Kasikeu Health Centre,Makueni\n');
  const left = path.join(dir, 'emr.csv');
  writeFileSync(left, 'id,name,county\nL1,Kaumu Dispensary,Kitui\n');
  const out = path.join(dir, 'out');
  const quiet = { write: () => true } as unknown as NodeJS.WritableStream;
  runReconcile({ left, right, out }, quiet);
  t.ok(existsSync(path.join(out, 'summary.json')), 'the first run is whole');

  // the list grew; this run cannot replace review.csv (a directory stands in its place)
  writeFileSync(left, 'id,name,county\nL1,Kaumu Dispensary,Kitui\nL2,Kasikeu Health Centre,Makueni\n');
  rmSync(path.join(out, 'review.csv'));
  mkdirSync(path.join(out, 'review.csv'));
  writeFileSync(path.join(out, 'review.csv', 'x'), '');
  t.throws(
    () => runReconcile({ left, right, out }, quiet),
    { code: 'EISDIR', path: path.join(out, 'review.csv'), syscall: 'write' },
    'the run fails, naming the file it could not write (not the part beside it)',
  );
  t.notOk(existsSync(path.join(out, 'summary.json')), 'no summary.json: the set is not whole');
  const crosswalk = JSON.parse(readFileSync(path.join(out, 'crosswalk.json'), 'utf8')) as unknown[];
  t.equal(crosswalk.length, 2, 'crosswalk.json is whole (this run: L1 and L2)');
  t.same(
    readdirSync(out).filter(
      (f) => !['crosswalk.json', 'crosswalk.csv', 'crosswalk-bundle.json', 'review.csv'].includes(f),
    ),
    [],
    'no temporary file left behind',
  );
});
