import t from 'tap';
import type { CrosswalkRow } from '../../../../src/registry/crosswalk-types.js';
import { applyReview, facilityInputHash, mergeRun, rowsToRescore } from '../../../../src/registry/review.js';
import {
  crosswalkToCsv,
  crosswalkToLocationBundle,
  InMemoryCrosswalkRepository,
} from '../../../../src/registry/crosswalk.js';

const at = '2026-01-01T00:00:00Z';
const alice = { user: 'alice', at: '2026-01-02T00:00:00Z' };
const sug = (registryId: string, score: number) => ({
  registryId,
  score,
  reasons: [{ field: 'name', weight: score, detail: 'x' }],
});

function row(systemId: string, patch: Partial<CrosswalkRow> = {}): CrosswalkRow {
  return {
    system: 'openlmis',
    systemId,
    state: 'review',
    zone: 'review',
    reasons: [],
    suggestions: [sug('R1', 5), sug('R2', 3)],
    decidedBy: 'auto',
    decidedAt: at,
    ...patch,
  };
}

t.test('accept, reject, no-match, flag, break, ignore', async (t) => {
  const accepted = applyReview(row('a'), { op: 'accept', registryId: 'R2' }, alice);
  t.match(accepted, { state: 'manual-match', registryId: 'R2', decidedBy: 'alice', decidedAt: alice.at });
  const rejected = applyReview(row('a'), { op: 'reject', registryId: 'R1' }, alice);
  t.equal(rejected.state, 'review');
  t.same(
    rejected.suggestions.map((s) => s.registryId),
    ['R2'],
  );
  t.same(rejected.rejectedRegistryIds, ['R1']);
  t.equal(
    applyReview(rejected, { op: 'reject' }, alice).state,
    'no-match',
    'rejecting the last suggestion leaves no match',
  );
  t.equal(applyReview(row('a'), { op: 'no-match' }, alice).state, 'no-match');
  t.match(applyReview(row('a'), { op: 'flag', comment: 'check on site' }, alice), {
    state: 'flagged',
    comment: 'check on site',
  });
  const broken = applyReview(accepted, { op: 'break' }, alice);
  t.match(broken, { state: 'match-broken', registryId: undefined, rejectedRegistryIds: ['R2'] });
  t.equal(applyReview(row('a'), { op: 'ignore' }, alice).state, 'ignored');
});

function statusOf(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (err) {
    return (err as { status?: number }).status;
  }
  return undefined;
}

t.test('transitions the state does not allow are conflicts (409)', async (t) => {
  t.equal(
    statusOf(() => applyReview(row('a'), { op: 'break' }, alice)),
    409,
  );
  t.equal(
    statusOf(() => applyReview(row('a', { state: 'manual-match', registryId: 'R1' }), { op: 'reject' }, alice)),
    409,
  );
  t.equal(
    statusOf(() => applyReview(row('a'), { op: 'accept' }, { user: 'auto', at })),
    409,
    'a decision needs a named user',
  );
});

t.test('human decisions survive re-runs; broken pairs are never auto-matched again', async (t) => {
  const manual = applyReview(row('a'), { op: 'accept', registryId: 'R2' }, alice);
  const broken = applyReview(row('b', { state: 'auto-match', zone: 'auto', registryId: 'R5' }), { op: 'break' }, alice);
  const noMatch = applyReview(row('c'), { op: 'no-match' }, alice);
  const autoOld = row('d', { state: 'auto-match', zone: 'auto', registryId: 'R7', score: 9 });
  const fresh: CrosswalkRow[] = [
    row('a', { state: 'auto-match', zone: 'auto', registryId: 'R1', score: 20 }),
    row('b', { state: 'auto-match', zone: 'auto', registryId: 'R5', score: 20, suggestions: [] }),
    row('c', { state: 'auto-match', zone: 'auto', registryId: 'R9', score: 20 }),
    row('d', { state: 'auto-match', zone: 'auto', registryId: 'R8', score: 12 }),
    row('e', { state: 'auto-match', zone: 'auto', registryId: 'R2', score: 15 }),
  ];
  const merged = new Map(mergeRun([manual, broken, noMatch, autoOld], fresh).map((r) => [r.systemId, r]));
  t.same(merged.get('a'), manual, 'manual match kept as decided');
  t.equal(merged.get('b')?.state, 'match-broken', 'broken row kept');
  t.equal(merged.get('c')?.state, 'no-match', 'human no-match kept');
  t.equal(merged.get('d')?.registryId, 'R8', 'automatic rows are replaced by the new run');
  t.equal(merged.get('e')?.state, 'review', 'a registry id a human linked elsewhere is not auto-matched');
  t.equal(merged.get('e')?.registryId, undefined);

  // The human row is gone from the store: the fresh auto pick of a rejected pair is still refused.
  const reopened = { ...broken, decidedBy: 'auto' };
  const again = mergeRun([reopened], [row('b', { state: 'auto-match', zone: 'auto', registryId: 'R5', score: 30 })]);
  t.equal(again[0].state, 'review');
  t.notOk(again[0].suggestions.some((s) => s.registryId === 'R5'));
});

t.test('only new records and changed automatic rows are re-scored', async (t) => {
  const f = {
    name: 'Kaumu Dispensary',
    identifiers: [],
    status: 'active' as const,
    kind: 'facility' as const,
    areaPath: ['Kitui'],
  };
  const h = facilityInputHash(f);
  t.equal(h, facilityInputHash({ ...f }), 'stable');
  t.not(h, facilityInputHash({ ...f, name: 'Kaumu Health Centre' }));
  const stored = [
    row('same', { inputHash: h }),
    row('changed', { inputHash: h }),
    applyReview(row('human', { inputHash: h }), { op: 'no-match' }, alice),
  ];
  const current = new Map([
    ['same', h],
    ['changed', 'other'],
    ['human', 'other'],
    ['new', h],
  ]);
  t.same(rowsToRescore(stored, current, 'openlmis').sort(), ['changed', 'new']);
});

t.test('repository, mCSD bundle with one identifier per system, CSV', async (t) => {
  const repo = new InMemoryCrosswalkRepository();
  await repo.put(row('a', { state: 'auto-match', zone: 'auto', registryId: 'R1' }));
  await repo.put({ ...row('x', { state: 'manual-match', registryId: 'R1', decidedBy: 'alice' }), system: 'dhis2' });
  await repo.put(row('b', { state: 'review' }));
  t.equal((await repo.get('openlmis', 'a'))?.registryId, 'R1');
  t.equal((await repo.listBySystem('openlmis')).length, 2);
  const rows = [...(await repo.listBySystem('openlmis')), ...(await repo.listBySystem('dhis2'))];
  const bundle = crosswalkToLocationBundle(
    rows,
    [{ id: 'R1', name: 'Kaumu', identifiers: [], status: 'active', kind: 'facility' }],
    'https://hie.example.org/id',
  );
  t.equal(bundle.entry?.length, 1, 'review rows are not exported');
  const ids = bundle.entry![0].resource!.identifier!;
  t.same(ids.map((i) => [i.system, i.value]).sort(), [
    ['https://hie.example.org/id/dhis2', 'x'],
    ['https://hie.example.org/id/openlmis', 'a'],
  ]);
  t.match(crosswalkToCsv(rows), /^system,system_id,registry_id,state/);
});
