/**
 * A registry record registered after the system list was taken is never an automatic match
 * (src/registry/match/registered-after.ts): it goes to review with the reason, whatever its score,
 * unless the same code in the same namespace says it is the same registration.
 */
import t from 'tap';
import path from 'node:path';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { Facility } from '../../../../src/domain/facility.js';
import { loadFacilityList } from '../../../../src/registry/facility-list.js';
import { matchFacilities } from '../../../../src/registry/match/matcher.js';
import type { MatchRecord } from '../../../../src/registry/match/prepare.js';
import { listAsOfMs } from '../../../../src/registry/match/registered-after.js';
import { fac, fillerFacilities } from '../../../support/match-facilities.js';

const rec = (f: Facility, registered?: string): MatchRecord => ({ facility: f, ...(registered ? { registered } : {}) });

const filler = fillerFacilities().map((f) => rec(f));
const code = (v: string) => ({ identifiers: [{ system: 'mfl', value: v }] });

const right = [
  rec(fac('r-old', 'Kaumu Dispensary', ['Mutha', 'Kitui']), '2009-10-31T00:00:00Z'),
  rec(fac('r-late', 'Orongo Dispensary', ['Kadibo', 'Kisumu']), '2015-06-30T09:46:45Z'),
  rec(fac('r-same-day', 'Boi Dispensary', ['Aldai', 'Nandi']), '2014-05-12T16:30:00Z'),
  rec(fac('r-late-code', 'Ngomeni Health Centre', ['Voo', 'Kitui'], code('17')), '2018-01-16T07:04:51Z'),
  rec(fac('r-unknown', 'Kiaguthu Dispensary', ['Othaya', 'Nyeri'])),
  ...filler,
];
const left = [
  rec(fac('l0', 'Kaumu Dispensary', ['Mutha', 'Kitui'])),
  rec(fac('l1', 'Orongo Dispensary', ['Kadibo', 'Kisumu'])),
  rec(fac('l2', 'Boi Dispensary', ['Aldai', 'Nandi'])),
  rec(fac('l3', 'Ngomeni Dispensary', ['Voo', 'Kitui'], code('17'))),
  rec(fac('l4', 'Kiaguthu Dispensary', ['Othaya', 'Nyeri'])),
];

t.test('with the list date, a later registration goes to review with the reason', async (t) => {
  const { decisions } = matchFacilities(left, right, { leftAsOf: '2014-05-12' });
  const zone = (id: string) => decisions.find((d) => d.leftId === id)!;
  t.equal(zone('l0').zone, 'auto', 'registered before the list: automatic as before');
  t.equal(zone('l2').zone, 'auto', 'registered on the day the list was taken is not after it');
  t.equal(zone('l3').zone, 'auto', 'the same code in the same namespace outranks the date');
  t.equal(zone('l4').zone, 'auto', 'a registry record that does not say when it was registered: the rule is off');
  const late = zone('l1');
  t.equal(late.zone, 'review', 'the same name, registered after the list: a person decides');
  t.equal(late.match?.rightId, 'r-late', 'the pick is still offered');
  t.match(
    late.match?.reasons.find((r) => r.field === 'registered')?.detail,
    /registered 2015-06-30, after the list was taken \(2014-05-12\).*never automatic/,
  );
});

t.test('without the list date (a live list), the same pairs are automatic', async (t) => {
  const { decisions } = matchFacilities(left, right);
  t.same(
    decisions.map((d) => d.zone),
    ['auto', 'auto', 'auto', 'auto', 'auto'],
  );
  t.notOk(
    decisions.some((d) => d.match?.reasons.some((r) => r.field === 'registered')),
    'no registration reason',
  );
});

t.test('the list date: a day is inclusive, an instant exact, anything else refused', async (t) => {
  t.equal(listAsOfMs('2014-05-12'), Date.parse('2014-05-13T00:00:00Z') - 1);
  t.equal(listAsOfMs('2014-05-12T08:00:00Z'), Date.parse('2014-05-12T08:00:00Z'));
  t.equal(listAsOfMs(undefined), undefined);
  t.throws(() => listAsOfMs('last spring'), /list date last spring is not an ISO date/);
});

t.test("a list's `created` column is read as the registration date", async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'registered-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'registry.csv');
  writeFileSync(file, 'name,county,created\nOrongo Dispensary,Kisumu,2015-06-30T09:46:45Z\nKaumu Dispensary,Kitui,\n');
  const { records, mapping } = loadFacilityList(file);
  t.equal(mapping.registered, 'created');
  t.equal(records[0].registered, '2015-06-30T09:46:45Z');
  t.notOk('registered' in records[1], 'an empty cell says nothing');
});
