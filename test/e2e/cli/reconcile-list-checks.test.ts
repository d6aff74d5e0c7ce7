/**
 * A data manager's facility lists as they come out of spreadsheets, through the real CLI: what
 * reconcile used to take without a word and get wrong is refused in one line naming the file, the
 * line and the column, exit 1, nothing written to --out and nothing to the stored crosswalk (both
 * store engines). Before: a Latin-1 file reconciled `H\ufffdpital` (no match), two rows with one
 * id landed on one crosswalk key, a blank id became `row-3` beside real ids, a blank name went to
 * no-match as if decided, and a --mapping naming an id column the file lacks gave every record a
 * row number. What the CSV reader takes right is still taken: a BOM with CRLF, semicolons, a line
 * break inside a quoted name, rows of bare separators (`;;`, no records: they were refused as
 * records with no id). A UTF-16 file is said to be one (it was called a Latin-1 export); a
 * column the mapping reads named twice is refused (one was read without a word), a title line
 * above the header said to be one.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { reconcileCli } from '../../support/reconcile-cli.js';
import { fewAtOnce } from '../../support/few-at-once.js';
import { engineCases } from '../../support/outbox-engines.js';
import { openStore } from '../../../src/store/index.js';

const reconcile = (args: string[]) => reconcileCli(args);

const REGISTRY =
  'id,name,county\nR1,Kaumu Dispensary,Kitui\nR2,Kasikeu Health Centre,Makueni\nR3,Mutomo Hospital,Kitui\n';

/** name, file bytes, what the one line must say. */
const BAD: [string, string | Buffer, RegExp][] = [
  [
    'latin1.csv',
    Buffer.from('id,name,county\nL1,Kaumu Dispensary,Kitui\nL2,H\xf4pital Mutomo,Kitui\n', 'latin1'),
    /^error: latin1\.csv: line 3, column 5: byte 0xF4 is not UTF-8 .*nothing was read$/,
  ],
  [
    'dup.csv',
    // the quoted line breaks and the blank line count: the repeat is on line 7 of the file
    'id,name,county\nL1,"Kaumu\nDispensary\nNorth",Kitui\n\nL2,"Kasikeu ""HC""",Makueni\nL1,Mutomo,Kitui\n',
    /^error: dup\.csv: line 7, column id: id "L1" again \(first on line 2\); nothing was read$/,
  ],
  [
    'blankid.csv',
    'id,name,county\r\nL1,Kaumu Dispensary,Kitui\r\n ,Kasikeu Health Centre,Makueni\r\n',
    /^error: blankid\.csv: line 3, column id: no id .*nothing was read$/,
  ],
  [
    'blankname.csv',
    '\ufeffid;name;county\nL1;Kaumu Dispensary;Kitui\nL2;;Makueni\n',
    /^error: blankname\.csv: line 3, column name: no facility name; nothing was read$/,
  ],
  [
    'nested.json',
    '[{"id":"L1","name":"Kaumu Dispensary"},{"id":"L2","name":{"en":"Kasikeu Health Centre"}}]',
    /^error: nested\.json: entry 2, column name: an object, not a value .*nothing was read$/,
  ],
  [
    'dup.json',
    '[{"id":"L1","name":"Kaumu Dispensary"},{"id":"L1","name":"Kasikeu Health Centre"}]',
    /^error: dup\.json: entry 2, column id: id "L1" again \(first on entry 1\); nothing was read$/,
  ],
  [
    // a comma in an unquoted name, after a blank line and a quoted line break: named by its line
    'extra.csv',
    'id,name\n\nL0,"Kaumu\nDispensary"\nL1,Kasikeu, Health Centre\n',
    /^error: extra\.csv: line 5 \(row 2\): 3 cells for the 2 columns of the header .*nothing was read$/,
  ],
  ['noname.csv', 'id,county\nL1,Kitui\n', /^error: noname\.csv: line 1: no facility name column among id, county$/],
  [
    // the district's `Name` beside the facility's `name`: one was read without a word (the last)
    'twice.csv',
    'id,Name,name,county\nL1,Kaumu Dispensary,Kitui,Kitui\n',
    /^error: twice\.csv: line 1: columns 2 \("Name"\) and 3 \("name"\) are one column to the reader, .*rename all but the one to read; nothing was read$/,
  ],
  [
    // a repeated header: papaparse also wrote "Duplicate headers found and renamed." to stderr
    'repeated.csv',
    'id;name;name;county\nL1;Kaumu Dispensary;Kaumu;Kitui\n',
    /^error: repeated\.csv: line 1: columns 2 \("name"\) and 3 \("name"\) are one column to the reader/,
  ],
  [
    // a spreadsheet's title row above the header was listed as `Facility list June 2024, , _1`
    'title.csv',
    'Facility list June 2024;;\nid;name;county\nL1;Kaumu Dispensary;Kitui\n',
    /^error: title\.csv: line 1: no facility name column among "Facility list June 2024": is that a title\? The first line must be the header$/,
  ],
  [
    // Excel's "Unicode Text": it was called a Latin-1 or Windows export
    'unicode.txt',
    Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('id\tname\r\nL1\tKaumu Dispensary\r\n', 'utf16le')]),
    /^error: unicode\.txt: the file is UTF-16 \(Excel's "Unicode Text"\), not UTF-8; save the list as UTF-8 \(Excel: CSV UTF-8\); nothing was read$/,
  ],
  [
    // rows of bare separators are no records, and count as lines: the repeat is on line 6
    'dup-after-empty-rows.csv',
    'id;name;county\r\nL1;Kaumu Dispensary;Kitui\r\n;;\r\n ; ;\r\nL2;"Kasikeu\r\nHC";Makueni\r\nL1;Mutomo;Kitui\r\n',
    /^error: dup-after-empty-rows\.csv: line 7, column id: id "L1" again \(first on line 2\); nothing was read$/,
  ],
  [
    // a position in the wrong column (or a typo) was dropped without a word, its distance evidence lost
    'coords.csv',
    'id;name;latitude;longitude\r\nL1;Kaumu Dispensary;1 14 S;38 07 E\r\nL2;Kasikeu HC;37 30 E;1 54 E\r\n',
    /^error: coords\.csv: line 3, column latitude: "37 30 E" is not a latitude \(E is not a hemisphere of a latitude\): write it as .*nothing was read$/,
  ],
  [
    // every bad cell at once (the first alone was one rerun per cell); UTM metres were taken as degrees
    'cells.csv',
    'id;name;latitude;longitude\r\nL1;Kaumu Dispensary;1 14 S;38 07 E\r\nL2;;9856321;412345\r\n',
    /^error: cells\.csv: 3 cells cannot be taken; nothing was read\n {2}line 3, column name: no facility name\n {2}line 3, column latitude: "9856321" is not a latitude \(it looks like projected metres, as UTM gives, not degrees\): .*\n {2}line 3, column longitude: "412345" is not a longitude \(it looks like projected metres/,
  ],
];

t.test('lists reconcile would take wrong: refused naming file, line and column, nothing written', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'reconcile-list-checks-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const right = path.join(dir, 'registry.csv');
  writeFileSync(right, REGISTRY);
  for (const [name, bytes] of BAD) writeFileSync(path.join(dir, name), bytes);
  // each list its own run and --out, a few at once; checked in order
  const refused = await fewAtOnce(BAD, ([name]) =>
    reconcile(['--left', path.join(dir, name), '--right', right, '--out', path.join(dir, `out-${name}`)]),
  );
  for (const [i, [name, , said]] of BAD.entries()) {
    const out = path.join(dir, `out-${name}`);
    const r = refused[i];
    t.equal(r.code, 1, `${name}: exit 1`);
    t.match(r.stderr.trim(), said, `${name}: one line naming file, line and column`);
    t.equal(r.stdout, '', `${name}: no summary`);
    t.notOk(existsSync(out), `${name}: nothing written`);
  }
  // the same as the registry list (--right), where the label would otherwise be `registry`
  const r = await reconcile(['--left', right, '--right', path.join(dir, 'dup.csv'), '--out', path.join(dir, 'o-r')]);
  t.equal(r.code, 1);
  t.match(r.stderr, /^error: dup\.csv: line 7, column id/, 'the registry list is checked the same');

  writeFileSync(path.join(dir, 'map.json'), JSON.stringify({ id: 'facility_code', name: 'name' }));
  writeFileSync(path.join(dir, 'emr.csv'), 'id,name,county\nL1,Kaumu Dispensary,Kitui\n');
  const mapped = await reconcile([
    ...['--left', path.join(dir, 'emr.csv'), '--right', right],
    ...['--mapping', path.join(dir, 'map.json'), '--out', path.join(dir, 'o-m')],
  ]);
  t.equal(mapped.code, 1, 'a --mapping id column the file lacks: exit 1');
  t.match(mapped.stderr, /^error: emr\.csv: the id column "facility_code" is not in the header \(id, name, county\)/);
});

t.test('what the CSV reader takes right is still taken', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'reconcile-list-ok-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const right = path.join(dir, 'registry.csv');
  writeFileSync(right, REGISTRY);
  const lists: [string, string][] = [
    ['bom-crlf.csv', '\ufeffid,name,county\r\nL1,Kaumu Dispensary,Kitui\r\nL2,Kasikeu Health Centre,Makueni\r\n'],
    ['semicolons.csv', 'id;name;county\nL1;Kaumu Dispensary;Kitui\nL2;Kasikeu Health Centre;Makueni\n'],
    ['quoted.csv', 'id,name,county\nL1,"Kaumu\nDispensary",Kitui\nL2,"Kasikeu Health Centre",Makueni\n'],
    // blank header cells (a deleted column) and a repeated column the mapping does not read
    [
      'spare-columns.csv',
      'id,name,county,note,note,,\nL1,Kaumu Dispensary,Kitui,a,b,,\nL2,Kasikeu Health Centre,Makueni,,,,\n',
    ],
    // Excel exports rows it once formatted as bare separators: they were records with no id
    [
      'empty-rows.csv',
      'id;name;county\r\nL1;Kaumu Dispensary;Kitui\r\n;;\r\nL2;Kasikeu Health Centre;Makueni\r\n;;\r\n;;\r\n',
    ],
    // a U+FFFD written as such is a character, not a bad byte
    ['replacement.csv', 'id,name,county\nL1,Kaumu Dispensary \ufffd,Kitui\nL2,Kasikeu Health Centre,Makueni\n'],
  ];
  for (const [name, text] of lists) writeFileSync(path.join(dir, name), text);
  const taken = await fewAtOnce(lists, ([name]) =>
    reconcile(['--left', path.join(dir, name), '--right', right, '--out', path.join(dir, `out-${name}`)]),
  );
  for (const [i, [name]] of lists.entries()) {
    const out = path.join(dir, `out-${name}`);
    const r = taken[i];
    t.equal(r.code, 0, `${name}: taken (${r.stderr.trim()})`);
    t.equal(r.stderr, '', `${name}: nothing on stderr`);
    const csv = readFileSync(path.join(out, 'crosswalk.csv'), 'utf8');
    t.match(csv, /,L1,R1,auto-match,/, `${name}: L1 linked to R1`);
    t.match(csv, /,L2,R2,auto-match,/, `${name}: L2 linked to R2`);
  }
});

for (const engine of engineCases())
  t.test(`${engine.name}: a refused list leaves the stored crosswalk as it was`, { skip: engine.skip }, async (t) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'reconcile-list-store-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const db = await engine.freshDatabase();
    t.teardown(db.drop);
    const right = path.join(dir, 'registry.csv');
    writeFileSync(right, REGISTRY);
    writeFileSync(path.join(dir, 'emr.csv'), 'id,name,county\nL1,Kaumu Dispensary,Kitui\nL2,Kasikeu HC,Makueni\n');
    const store = ['--store', '--database-url', db.databaseUrl, '--system', 'emr'];
    const first = await reconcile([
      '--left',
      path.join(dir, 'emr.csv'),
      '--right',
      right,
      '--out',
      dir + '/o',
      ...store,
    ]);
    t.equal(first.code, 0, `the first run stores the crosswalk (${first.stderr.trim()})`);
    const before = await storedRows(db.databaseUrl);
    t.equal(before.length, 2);
    for (const [name, bytes] of BAD) writeFileSync(path.join(dir, name), bytes);
    // a few at once: each is refused on reading its list, before it opens the store
    const refused = await fewAtOnce(BAD, ([name]) =>
      reconcile(['--left', path.join(dir, name), '--right', right, '--out', dir + '/o2', ...store]),
    );
    for (const [i, [name, , said]] of BAD.entries()) {
      const r = refused[i];
      t.equal(r.code, 1, `${name}: exit 1`);
      t.match(r.stderr.trim(), said, `${name}: says where`);
    }
    t.same(await storedRows(db.databaseUrl), before, 'the stored crosswalk is as it was');
  });

async function storedRows(databaseUrl: string) {
  const store = await openStore({ databaseUrl });
  try {
    return (await store.listCrosswalk('emr')).map((r) => [r.systemId, r.registryId, r.state, r.decidedAt]);
  } finally {
    await store.close();
  }
}

// a `;`-separated export from a French or Portuguese spreadsheet writes coordinates with a decimal
// comma, a GPS unit or a paper register in degrees, minutes and seconds: they were read as NaN and
// every record lost its position (no distance evidence) silently
t.test('a decimal comma or degrees-minutes-seconds in coordinates is the position it says', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'reconcile-list-comma-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const right = path.join(dir, 'registry.csv');
  writeFileSync(
    right,
    'id,name,county,latitude,longitude\nR1,Kaumu Dispensary,Kitui,-1.2345,38.1234\nR2,Kasikeu Health Centre,Makueni,-1.9,37.5\n',
  );
  const left = path.join(dir, 'emr.csv');
  writeFileSync(
    left,
    'id;name;county;latitude;longitude\nL1;Kaumu Disp;Kitui;-1,2346;38,1235\nL2;Kasikeu HC;Makueni;"1°54\'00""S";37°30,6\' E\n',
  );
  const r = await reconcile(['--left', left, '--right', right, '--out', path.join(dir, 'out')]);
  t.equal(r.code, 0, r.stderr);
  const rows = JSON.parse(readFileSync(path.join(dir, 'out', 'crosswalk.json'), 'utf8')) as {
    systemId: string;
    reasons: { field: string; detail: string }[];
  }[];
  const distance = (id: string) => rows.find((x) => x.systemId === id)?.reasons.find((x) => x.field === 'distance');
  t.match(distance('L1'), { detail: /0\.02 km/ }, 'decimal commas: the two positions are 0.02 km apart');
  t.match(distance('L2'), { detail: /1\.11 km/ }, 'degrees and minutes: 0.01° of longitude, 1.11 km apart');
});
