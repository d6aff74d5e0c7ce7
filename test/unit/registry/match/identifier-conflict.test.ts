/**
 * Identifiers in a namespace both records carry that disagree keep a pick out of the automatic
 * zone (src/registry/match/auto-veto.ts), even for the same whole name in the same area; codes
 * in unrelated namespaces are not compared at all.
 */
import t from 'tap';
import type { Facility } from '../../../../src/domain/facility.js';
import { matchFacilities } from '../../../../src/registry/match/matcher.js';
import { fac, fillerFacilities } from '../../../support/match-facilities.js';

const ids = (...pairs: [string, string][]) => ({ identifiers: pairs.map(([system, value]) => ({ system, value })) });

const filler = fillerFacilities();

const right = [
  fac('r-recoded', 'Orongo Dispensary', ['Kadibo', 'Kisumu'], ids(['mfl', '21047'])),
  fac('r-other-space', 'Kaumu Dispensary', ['Mutha', 'Kitui'], ids(['dhis2', 'AbC123xYz90'])),
  fac('r-one-of-two', 'Buyemi Dispensary', ['Ikolomani', 'Kakamega'], ids(['mfl', '22544'], ['dhis2', 'Qx1'])),
  ...filler,
];
const left = [
  fac('l-recoded', 'Orongo Dispensary', ['Kadibo', 'Kisumu'], ids(['mfl', '17412'])),
  fac('l-other-space', 'Kaumu Dispensary', ['Mutha', 'Kitui'], ids(['mfl', '17001'])),
  fac('l-one-of-two', 'Buyemi Dispensary', ['Ikolomani', 'Kakamega'], ids(['mfl', '20188'], ['dhis2', 'Qx1'])),
];

t.test('same name, same area, different codes in the same namespace: review, with the reason', async (t) => {
  const { decisions } = matchFacilities(left, right);
  const d = (id: string) => decisions.find((x) => x.leftId === id)!;
  t.equal(d('l-recoded').zone, 'review', 'a person decides');
  t.equal(d('l-recoded').match?.rightId, 'r-recoded', 'the namesake is still offered');
  t.match(
    d('l-recoded').match?.reasons.find((r) => r.field === 'identifier-conflict')?.detail,
    /codes in the same namespace differ \(mfl 17412 vs 21047\).*never automatic/,
  );
  t.equal(d('l-other-space').zone, 'auto', 'codes of unrelated namespaces are not compared: the name decides');
  t.notOk(d('l-other-space').match?.reasons.some((r) => r.field === 'identifier-conflict'));
  t.equal(d('l-one-of-two').zone, 'auto', 'one namespace agreeing is the same record (the other may be stale)');
});

t.test('the same records without codes are automatic', async (t) => {
  const bare = (f: Facility) => ({ ...f, identifiers: [] });
  const { decisions } = matchFacilities(left.map(bare), right.map(bare));
  t.same(
    decisions.map((d) => d.zone),
    ['auto', 'auto', 'auto'],
  );
});
