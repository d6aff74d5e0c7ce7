/**
 * A header naming a column the reader uses twice is refused (fda6ed60): with the mapping inferred
 * from the header, `Name` beside `name` is one column to the synonym table, which took one of them
 * without a word. A --mapping names its columns exactly as the header writes them and the reader
 * takes that cell (facility-list.ts rowToRecord), so `name` beside a district's `Name` is no
 * ambiguity: it was refused too, and the refusal's only way out was editing the export. A header
 * written twice exactly (`name`, `name`) is still refused under a --mapping: it cannot tell them apart.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { loadFacilityList } from '../../../src/registry/facility-list.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mapped-column-twice-'));
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));

function list(name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

// a registry export: the district's name beside the facility's
const export_ = list('export.csv', 'id,Name,name,county\nL1,Kitui Central,Kaumu Dispensary,Kitui\n');

t.test('a --mapping naming one of Name/name exactly: taken, from the column it names', async (t) => {
  const facility = loadFacilityList(export_, {
    mapping: { id: 'id', name: 'name', areas: ['county'] },
    checked: true,
  }).records[0].facility;
  t.equal(facility.name, 'Kaumu Dispensary');
  const district = loadFacilityList(export_, { mapping: { id: 'id', name: 'Name' }, checked: true }).records[0];
  t.equal(district.facility.name, 'Kitui Central', 'and the other one when that is the one named');
});

t.test('inferred from the header: Name/name still refused', async (t) => {
  t.throws(() => loadFacilityList(export_, { checked: true }), {
    message: /^export\.csv: line 1: columns 2 \("Name"\) and 3 \("name"\) are one column to the reader/,
  });
});

t.test('a --mapping reading a header written twice exactly: still refused', async (t) => {
  const twice = list('twice.csv', 'id;name;name;county\nL1;Kaumu Dispensary;Kaumu;Kitui\n');
  t.throws(() => loadFacilityList(twice, { mapping: { id: 'id', name: 'name' }, checked: true }), {
    message: /^twice\.csv: line 1: columns 2 \("name"\) and 3 \("name"\) are one column to the reader/,
  });
});
