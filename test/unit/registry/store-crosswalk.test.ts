/** Store-backed crosswalk: incremental re-runs and human decisions, on SQLite and (with TEST_DATABASE_URL) PostgreSQL. */
import t from 'tap';
import type { Facility } from '../../../src/domain/facility.js';
import { reconcileIntoStore } from '../../../src/registry/reconcile-run.js';
import { decodeRow, encodeRow, StoreCrosswalkRepository } from '../../../src/registry/store-crosswalk.js';
import { applyReview } from '../../../src/registry/review.js';
import { refuseAudits } from '../../support/audit-refusal.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';
import { countyFacility as fac } from '../../support/match-facilities.js';

function lists() {
  const registry = [
    fac('R1', 'Abdisamad Dispensary', 'Wajir East', 'Wajir'),
    fac('R2', 'Kiambu District Hospital', 'Kiambu Town', 'Kiambu'),
    fac('R3', 'Mutomo Health Centre', 'Kitui South', 'Kitui'),
    fac('R4', 'Ndalani Dispensary', 'Yatta', 'Machakos'),
    fac('R5', 'Ruiru Sub County Hospital', 'Ruiru', 'Kiambu'),
    fac('R6', 'Kasikeu Dispensary', 'Kilome', 'Makueni'),
  ];
  const left = [
    fac('L1', 'Abdisamad Disp.', 'Wajir East', 'Wajir'),
    fac('L2', 'Kiambu District Hospital', 'Kiambu', 'Kiambu'),
    fac('L3', 'Mutomo H/C', 'Mutomo', 'Kitui'),
    fac('L4', 'Ndalani Dispensary', 'Yatta', 'Machakos'),
    fac('L5', 'Ruiru Hospital', 'Thika', 'Kiambu'),
  ];
  return { registry, left };
}

const alice = { user: 'alice', at: '2026-03-01T10:00:00.000Z' };

/** The zones a run reports, counted from the crosswalk as the store holds it afterwards. */
async function storedZones(repo: StoreCrosswalkRepository, list: Facility[]) {
  const ids = new Set(list.map((f) => f.id));
  const zones = { auto: 0, review: 0, 'no-match': 0 };
  for (const r of await repo.listBySystem('emr')) if (ids.has(r.systemId)) zones[r.zone]++;
  return zones;
}

t.test('rejected ids travel through the reasons column and come back', async (t) => {
  const row = {
    system: 's',
    systemId: 'a',
    state: 'match-broken' as const,
    zone: 'no-match' as const,
    reasons: [{ field: 'name', weight: 3, detail: 'x' }],
    suggestions: [],
    decidedBy: 'alice',
    decidedAt: alice.at,
    rejectedRegistryIds: ['R2', 'R1'],
  };
  const encoded = encodeRow(row);
  t.equal(encoded.rejectedRegistryIds, undefined);
  t.equal(encoded.reasons.length, 2);
  t.same(decodeRow(encoded), { ...row, rejectedRegistryIds: ['R1', 'R2'] });
  t.same(
    decodeRow(encodeRow({ ...row, rejectedRegistryIds: [] })).rejectedRegistryIds,
    undefined,
    'no marker without rejections',
  );
});

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    const { store } = await freshStore(engine, t);
    const repo = new StoreCrosswalkRepository(store);
    const { registry, left } = lists();

    const first = await reconcileIntoStore(store, 'emr', left, registry, { at: '2026-01-01T00:00:00.000Z' });
    t.match(first, { firstRun: true, rescored: 5, written: 5 });
    t.same(first.zones, await storedZones(repo, left), 'reported zones are the stored ones');
    const rows1 = await repo.listBySystem('emr');
    t.equal(rows1.length, 5);
    t.match(
      rows1.find((r) => r.systemId === 'L1'),
      { state: 'auto-match', registryId: 'R1', decidedBy: 'auto', decidedAt: '2026-01-01T00:00:00.000Z' },
    );
    t.ok(
      rows1.every((r) => /^[0-9a-f]+\.[0-9a-f]+$/.test(r.inputHash ?? '')),
      'every row carries its fingerprint',
    );

    const again = await reconcileIntoStore(store, 'emr', left, registry, { at: '2026-01-02T00:00:00.000Z' });
    t.match(again, { firstRun: false, rescored: 0, written: 0, kept: 5 });
    t.same(await repo.listBySystem('emr'), rows1, 'an unchanged re-run rewrites nothing (decidedAt unchanged)');
    const fullAgain = await reconcileIntoStore(store, 'emr', left, registry, {
      full: true,
      at: '2026-01-02T00:00:00.000Z',
    });
    t.match(
      fullAgain,
      { rescored: 5, written: 0 },
      'a full re-score that finds the same rows writes none of them (also with JSONB key order)',
    );
    t.same(await repo.listBySystem('emr'), rows1);

    // One record renamed at the source: only it (and whatever its new name could reach) is re-scored.
    const renamed = left.map((f) => (f.id === 'L3' ? { ...f, name: 'Mutomo Health Center' } : f));
    const third = await reconcileIntoStore(store, 'emr', renamed, registry, { at: '2026-01-03T00:00:00.000Z' });
    t.equal(third.rescored, 1, 'only the changed record is re-scored');
    t.same(third.zones, await storedZones(repo, renamed));
    const rows3 = await repo.listBySystem('emr');
    t.equal(
      rows3.find((r) => r.systemId === 'L1')?.decidedAt,
      '2026-01-01T00:00:00.000Z',
      'untouched rows keep their decision time',
    );

    // A registry record changes: rows pointing at it are re-scored.
    const registry2 = registry.map((f) => (f.id === 'R4' ? { ...f, name: 'Ndalani Health Centre' } : f));
    const fourth = await reconcileIntoStore(store, 'emr', renamed, registry2, { at: '2026-01-04T00:00:00.000Z' });
    t.ok(
      fourth.rescored >= 1 && fourth.rescored < 5,
      `a changed registry record re-scores only the rows it can reach (${fourth.rescored})`,
    );
    t.equal(
      (await repo.get('emr', 'L4'))?.decidedAt,
      '2026-01-04T00:00:00.000Z',
      'the row on the changed registry record was re-scored',
    );

    // Human decisions: alice links L5 by hand and breaks L1's automatic match.
    const l5 = (await repo.get('emr', 'L5'))!;
    await repo.put(applyReview(l5, { op: 'accept', registryId: 'R5' }, alice), {
      actor: 'alice',
      action: 'review.accept',
      subject: 'emr/L5',
    });
    const l1 = (await repo.get('emr', 'L1'))!;
    await repo.put(applyReview(l1, { op: 'break' }, alice), {
      actor: 'alice',
      action: 'review.break',
      subject: 'emr/L1',
    });
    t.same((await repo.get('emr', 'L1'))?.rejectedRegistryIds, ['R1'], 'the broken pair is remembered in the store');

    const full = await reconcileIntoStore(store, 'emr', renamed, registry2, {
      full: true,
      at: '2026-01-05T00:00:00.000Z',
    });
    t.equal(full.human, 2);
    t.same(full.zones, await storedZones(repo, renamed), 'zones count the human rows as stored');
    t.match(
      await repo.get('emr', 'L5'),
      { state: 'manual-match', registryId: 'R5', decidedBy: 'alice', decidedAt: alice.at },
      'a full re-run keeps the human match',
    );
    t.match(await repo.get('emr', 'L1'), { state: 'match-broken', decidedBy: 'alice' }, 'and the broken match');
    const rowsAfter = await repo.listBySystem('emr');
    t.notOk(
      rowsAfter.some((r) => r.decidedBy === 'auto' && r.registryId === 'R5'),
      'the registry record alice linked is not auto-linked to another record',
    );
    // Even an automatic write aimed straight at the human row is refused by the store.
    t.equal(
      await repo.write({ ...(await repo.get('emr', 'L5'))!, decidedBy: 'auto', registryId: 'R6', state: 'auto-match' }),
      false,
    );

    // A record that leaves the system's list stops linking anything.
    const fewer = renamed.filter((f) => f.id !== 'L2');
    const gone = await reconcileIntoStore(store, 'emr', fewer, registry2, { at: '2026-01-06T00:00:00.000Z' });
    t.equal(gone.retired, 1);
    t.same(gone.zones, await storedZones(repo, fewer), 'a retired record is not counted');
    t.match(await repo.get('emr', 'L2'), {
      state: 'no-match',
      registryId: undefined,
      comment: 'record no longer in the list',
    });
    t.ok((await store.listAudit({ subject: 'crosswalk/emr' })).length >= 6, 'each run leaves an audit entry');
  });
}

/**
 * A run's audit entry is the next run's snapshot of the registry (what changed since) and the
 * record of its counts: written in the same transaction as its rows. Before, the rows were
 * committed first and the entry after, so a crash (or a refused insert) between the two left
 * this run's rows under the previous run's snapshot.
 */
for (const engine of engineCases()) {
  t.test(`${engine.name}: a run's rows and its audit entry are written together`, { skip: engine.skip }, async (t) => {
    const { store, databaseUrl } = await freshStore(engine, t);
    const repo = new StoreCrosswalkRepository(store);
    const { registry, left } = lists();
    await reconcileIntoStore(store, 'emr', left, registry, { at: '2026-01-01T00:00:00.000Z' });
    const rowsBefore = await repo.listBySystem('emr');
    const runsBefore = await store.listAudit({ subject: 'crosswalk/emr' });
    t.equal(runsBefore.length, 1, 'the first run is audited');

    const lift = await refuseAudits(databaseUrl, 'reconcile.run');
    const renamed = left.map((f) => (f.id === 'L3' ? { ...f, name: 'Mutomo Health Center' } : f));
    await t.rejects(
      reconcileIntoStore(store, 'emr', renamed, registry, { at: '2026-01-02T00:00:00.000Z' }),
      /audit refused by the test/,
    );
    t.same(await repo.listBySystem('emr'), rowsBefore, "the refused entry took the run's rows with it");
    t.equal((await store.listAudit({ subject: 'crosswalk/emr' })).length, 1);
    await lift();

    const retried = await reconcileIntoStore(store, 'emr', renamed, registry, { at: '2026-01-03T00:00:00.000Z' });
    t.equal(retried.rescored, 1, 'the next run sees the change afresh');
    const runs = await store.listAudit({ subject: 'crosswalk/emr' });
    t.equal(runs.length, 2);
    t.match(runs[0].details, { rescored: 1, written: retried.written }, 'its entry carries its counts');
  });
}
