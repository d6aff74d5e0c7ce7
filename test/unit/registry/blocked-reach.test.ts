/** The incremental run's reach (blocking only) finds exactly the right records the full candidate graph pairs with. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import type { Facility } from '../../../src/domain/facility.js';
import { loadFacilityList } from '../../../src/registry/facility-list.js';
import { blockedRightIndices, buildCandidateGraph } from '../../../src/registry/match/matcher.js';
import type { MatchRecord } from '../../../src/registry/match/prepare.js';
import { countyFacility as fac } from '../../support/match-facilities.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const kenya = path.join(process.env.SHARED_DIR ?? path.resolve(repoRoot, '../shared'), 'fixtures/facilities/kenya');

function pairedRights(left: (Facility | MatchRecord)[], right: (Facility | MatchRecord)[]): Set<number> {
  const graph = buildCandidateGraph(left, right);
  return new Set(graph.perLeft.flatMap((pairs) => pairs.map((p) => p.right)));
}

const sorted = (s: Set<number>) => [...s].sort((a, b) => a - b);

t.test('small lists: identifiers, exact names and fuzzy names', async (t) => {
  const changed = [
    fac('R1', 'Abdisamad Dispensary', 'Wajir East', 'Wajir'),
    fac('R2', 'Kiambu District Hospital', 'Kiambu Town', 'Kiambu', { identifiers: [{ system: 'mfl', value: '42' }] }),
  ];
  const list = [
    fac('L1', 'Abdisamad Disp.', 'Wajir East', 'Wajir'),
    fac('L2', 'Kiambu Level 5 Hospital', 'Kiambu', 'Kiambu', { identifiers: [{ system: 'mfl', value: '42' }] }),
    fac('L3', 'Mutomo H/C', 'Mutomo', 'Kitui'),
    fac('L4', 'Ndalani Dispensary', 'Yatta', 'Machakos'),
  ];
  const reached = blockedRightIndices(changed, list);
  t.same(sorted(reached), sorted(pairedRights(changed, list)));
  t.ok(reached.has(0) && reached.has(1), 'both look-alikes are reached');
  t.notOk(reached.has(3), 'a record in another county with another name is not');
  t.same(sorted(blockedRightIndices([], list)), [], 'nothing changed, nothing reached');
});

t.test(
  'Kenya training lists',
  { skip: existsSync(kenya) ? false : 'contract tier skipped: ../shared/fixtures not found' },
  async (t) => {
    const left = loadFacilityList(path.join(kenya, 'kenyaemr_mfl_2014-05-12.train.csv'), { system: 'emr' }).records;
    const right = loadFacilityList(path.join(kenya, 'kmhfl_2020-05_operational.train.csv'), {
      system: 'registry',
    }).records;
    const changed = right.filter((_, i) => i % 25 === 0);
    const reached = blockedRightIndices(changed, left);
    t.ok(reached.size > changed.length / 2, `a sample of registry records reaches system records (${reached.size})`);
    t.same(sorted(reached), sorted(pairedRights(changed, left)), 'same records as the scored candidate graph');
  },
);
