/**
 * `reconcile` given files it cannot use says so in one line and exits 1: a --left that is not
 * there, an --out that is a file, a list whose stray quote swallows the rows after it. Before,
 * a missing file printed a stack trace through commander, and a CSV row like
 * `L1,=HYPERLINK("http://x","a")` (a quote inside an unquoted cell) silently merged the next
 * record into it: the list reconciled one facility short, with no word of it. A short row (fewer
 * cells than the header) is still taken, as documented. A directory given as a list, a JSON list
 * cut short or holding a null printed a stack trace (EISDIR, SyntaxError, TypeError) before.
 * Separate processes, as a data manager runs them.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { reconcileCli } from '../../support/reconcile-cli.js';

const reconcile = (args: string[]) => reconcileCli(args);

t.test('files reconcile cannot use: one line, exit 1', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'reconcile-bad-files-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string) => {
    writeFileSync(path.join(dir, name), text);
    return path.join(dir, name);
  };
  const right = file('registry.csv', 'id,name\nR1,Kaumu Dispensary\nR2,Kasikeu Health Centre\n');
  const left = file('emr.csv', 'id,name\nL1,Kaumu Dispensary\n');
  const aFile = file('a-file', 'not a directory');
  const cases: [string, string[], RegExp][] = [
    [
      'a --left not there',
      ['--left', path.join(dir, 'nope.csv'), '--right', right, '--out', path.join(dir, 'o1')],
      /nope\.csv.*no such file/i,
    ],
    ['an --out that is a file', ['--left', left, '--right', right, '--out', aFile], /a-file/],
    [
      'a stray quote that swallows the next row',
      [
        '--left',
        file('quotes.csv', 'id,name\nL1,=HYPERLINK("http://x","a")\nL2,Kasikeu\n'),
        '--right',
        right,
        '--out',
        path.join(dir, 'o2'),
      ],
      /quotes\.csv: line 2: .*quote/i,
    ],
    [
      'a row with more cells than the header',
      [
        '--left',
        file('extra.csv', 'id,name\nL1,Kaumu, Dispensary\nL2,Kasikeu\n'),
        '--right',
        right,
        '--out',
        path.join(dir, 'o3'),
      ],
      /extra\.csv: .*row 1.*3 cells.*2 columns/i,
    ],
    // a directory fails in read(2), whose error names no file: it printed EISDIR and a stack
    [
      'a --left that is a directory',
      ['--left', dir, '--right', right, '--out', path.join(dir, 'o5')],
      /cannot read .*directory/,
    ],
    [
      'a JSON list cut short',
      ['--left', file('cut.json', '[{"id":"L1","name":'), '--right', right, '--out', path.join(dir, 'o6')],
      /cut\.json: not valid JSON/,
    ],
    [
      'a JSON list with an entry that is no object',
      [
        '--left',
        file('nulls.json', '[{"id":"L1","name":"Kaumu"}, null]'),
        '--right',
        right,
        '--out',
        path.join(dir, 'o7'),
      ],
      /nulls\.json: entry 2 is null, not a facility object/,
    ],
  ];
  for (const [what, args, said] of cases) {
    const r = await reconcile(args);
    t.equal(r.code, 1, `${what}: exit 1`);
    t.match(r.stderr, said, `${what}: says what and where`);
    t.notMatch(r.stderr, /\n\s+at /, `${what}: no stack trace`);
    t.equal(r.stderr.trim().split('\n').length, 1, `${what}: one line`);
  }

  const short = await reconcile([
    '--left',
    file('short.csv', 'id,name,county\nL1,Kaumu Dispensary\nL2,Kasikeu,Makueni\n'),
    '--right',
    right,
    '--out',
    path.join(dir, 'o4'),
  ]);
  t.equal(short.code, 0, 'a short row is taken');
  t.equal(JSON.parse(short.stdout).left, 2, 'both records reconciled');
  t.match(readFileSync(path.join(dir, 'o4', 'crosswalk.csv'), 'utf8'), /\nshort,L2,/);
});

t.test('--full without --store is a usage error naming --store, nothing written', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'reconcile-full-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, 'emr.csv'), 'id,name\nL1,Kaumu Dispensary\n');
  writeFileSync(path.join(dir, 'registry.csv'), 'id,name\nR1,Kaumu Dispensary\n');
  const out = path.join(dir, 'out');
  const r = await reconcile([
    '--left',
    path.join(dir, 'emr.csv'),
    '--right',
    path.join(dir, 'registry.csv'),
    '--out',
    out,
    '--full',
  ]);
  t.equal(r.code, 1, 'exit 1');
  t.match(r.stderr, /--full.*--store/, 'says --full needs --store');
  t.equal(r.stdout, '', 'no summary');
  t.throws(() => readFileSync(path.join(out, 'crosswalk.csv')), 'no crosswalk written');
});
