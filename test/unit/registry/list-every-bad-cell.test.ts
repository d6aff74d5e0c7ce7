/**
 * A data manager's list with bad cells, read as the CLI and the reconcile job read it (checked).
 * Before: the first bad cell refused the list, so twenty bad cells were twenty runs; UTM metres
 * (`512345`) and `1e999` were taken as degrees, putting a facility nowhere on Earth; a row of only
 * a quoted separator (`","`) moved every later line number up by one; and a blank first line
 * above `name,name` let papaparse key the rows by the second `name` with the repeat unseen.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { loadFacilityList } from '../../../src/registry/facility-list.js';
import { readCoordinate } from '../../../src/registry/coordinate.js';

const dir = mkdtempSync(path.join(tmpdir(), 'list-every-bad-cell-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

function listFile(name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

function refusal(file: string): string {
  try {
    loadFacilityList(file, { checked: true });
  } catch (err) {
    return (err as Error).message;
  }
  return 'taken';
}

t.test('every bad cell is named at once, by line and column, in the order of the file', async (t) => {
  const file = listFile(
    'many.csv',
    'id,name,lat,lon\nL1,Kaumu,1.5x,38\nL2,,-1.2,abc\nL3,Mutomo,-1.8,38.2\nL1,Kasikeu,-1.9,37.6\n',
  );
  const lines = refusal(file).split('\n');
  t.equal(lines[0], 'many.csv: 4 cells cannot be taken; nothing was read');
  t.match(lines.slice(1), [
    /^ {2}line 2, column lat: "1\.5x" is not a latitude/,
    /^ {2}line 3, column name: no facility name$/,
    /^ {2}line 3, column lon: "abc" is not a longitude/,
    /^ {2}line 5, column id: id "L1" again \(first on line 2\)$/,
  ]);
  t.equal(lines.length, 5);
});

t.test('a list with hundreds of bad cells names the first 50 and counts the rest', async (t) => {
  const rows = Array.from({ length: 120 }, (_, i) => `L${i},Facility ${i},${9_800_000 + i},${350_000 + i}`);
  const lines = refusal(listFile('utm.csv', `id,name,lat,lon\n${rows.join('\n')}\n`)).split('\n');
  t.equal(lines[0], 'utm.csv: 240 cells cannot be taken (the first 50 below); nothing was read');
  t.equal(lines.length, 52);
  t.match(lines[1], /^ {2}line 2, column lat: "9800000" is not a latitude \(it looks like projected metres, as UTM/);
  t.match(lines[50], /^ {2}line 26, column lon: "350024" is not a longitude/);
  t.equal(lines[51], '  and 190 more');
});

t.test('one bad cell is still one line', async (t) => {
  t.equal(
    refusal(listFile('one.csv', 'id,name,lat,lon\nL1,Kaumu,1e999,38\n')),
    `one.csv: line 2, column lat: "1e999" is not a latitude (not a finite number): write it as -1.2345 or 1°14'04"S; nothing was read`,
  );
});

t.test('no position off the Earth: out of range, infinite or projected is a problem, said as such', async (t) => {
  const cases: [string, 'latitude' | 'longitude', RegExp][] = [
    ['512345', 'latitude', /\(it looks like projected metres, as UTM gives, not degrees\)/],
    ['9876543.2', 'longitude', /\(it looks like projected metres, as UTM gives, not degrees\)/],
    ['1e999', 'longitude', /\(not a finite number\)/],
    ['-1e999', 'latitude', /\(not a finite number\)/],
    ['120.5', 'latitude', /\(beyond 90 degrees: are the latitude and longitude columns swapped\?\)/],
    ['200', 'longitude', /\(beyond 180 degrees\)/],
    [`95°10'N`, 'latitude', /\(beyond 90 degrees/],
  ];
  for (const [cell, axis, said] of cases) {
    const read = readCoordinate(cell, axis);
    t.equal(read.value, undefined, `${axis} ${cell}: no value`);
    t.match(read.problem, said, `${axis} ${cell}: says why`);
  }
  for (const [cell, axis, value] of [
    ['90', 'latitude', 90],
    ['-180', 'longitude', -180],
    ['179.9999', 'longitude', 179.9999],
  ] as const)
    t.equal(readCoordinate(cell, axis).value, value, `${axis} ${cell} is at the edge, and taken`);
});

t.test('unchecked (the benchmark), such a cell is no position, never a position off the Earth', async (t) => {
  const list = loadFacilityList(
    listFile('bench.csv', 'id,name,lat,lon\nL1,Kaumu,512345,9876543\nL2,Mutomo,1e999,38\n'),
  );
  t.same(
    list.records.map((r) => r.facility.position),
    [undefined, undefined],
  );
});

t.test('a row of only a quoted separator is a record on its own line: later lines keep their numbers', async (t) => {
  const lines = refusal(listFile('quoted.csv', 'id,name\nL1,Kaumu\n","\nL1,Mutomo\n')).split('\n');
  t.same(lines.slice(1), [
    '  line 3, column name: no facility name',
    '  line 4, column id: id "L1" again (first on line 2)',
  ]);
});

t.test('a repeated name header below a blank first line is refused on its line, as other repeats', async (t) => {
  t.match(
    refusal(listFile('blankfirst.csv', '\nname,name,id\nKaumu Dispensary,Kitui,L1\n')),
    /^blankfirst\.csv: line 2: columns 1 \("name"\) and 2 \("name"\) are one column to the reader/,
  );
  t.equal(
    refusal(listFile('noname.csv', '\n \nid,county\nL1,Kitui\n')),
    'noname.csv: line 3: no facility name column among id, county',
  );
  const list = loadFacilityList(listFile('blank-ok.csv', '\n\nid,name\nL1,Kaumu Dispensary\n\nL2,Mutomo\n'), {
    checked: true,
  });
  t.same(
    list.records.map((r) => [r.facility.id, r.facility.name]),
    [
      ['L1', 'Kaumu Dispensary'],
      ['L2', 'Mutomo'],
    ],
  );
});

t.test('a blank first line and a quote problem: the line is the one in the file', async (t) => {
  t.match(
    refusal(listFile('quote.csv', '\n\nid,name\nL1,=HYPERLINK("http://x","a")\nL2,b\n')),
    /^quote\.csv: line 4: a quote the CSV cannot place/,
  );
  t.match(
    refusal(listFile('extra.csv', '\nid,name\nL1,Kasikeu, Health Centre\n')),
    /^extra\.csv: line 3 \(row 1\): 3 cells for the 2 columns/,
  );
});
