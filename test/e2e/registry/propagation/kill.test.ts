/**
 * A SIGKILL in the middle of propagating 200 registry changes: the real mediator process (`serve`,
 * SQLite store, the propagate job every second) is killed once a fifth of the facilities have
 * reached OpenLMIS, then started again. Every change must reach OpenLMIS, DHIS2 and OpenMRS
 * exactly once: one record per new code in each system (no twin from a create retried after the
 * kill), and every propagation settled.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { facilityId, startMfrSandbox } from '../../../../sandbox/mfr/index.js';
import { startOpenLmisSandbox } from '../../../../sandbox/openlmis/index.js';
import { startDhis2Sandbox } from '../../../../sandbox/dhis2/index.js';
import { LOC, startOpenMrsSandbox } from '../../../../sandbox/openmrs/index.js';
import { startMsupplySandbox } from '../../../../sandbox/msupply/index.js';
import { openStore } from '../../../../src/store/index.js';
import { freePort, MediatorProcess } from '../../../support/openlmis-faults-mediators.js';
import { until } from '../../../support/net.js';
import { upstreamEnv } from '../../../support/propagation-rig.js';

const CHANGES = 200;
const codes = Array.from({ length: CHANGES }, (_, i) => `LK-NEW-${String(i + 1).padStart(3, '0')}`);
const isNew = (code: string | null | undefined) => !!code && code.startsWith('LK-NEW-');

t.test('after a SIGKILL mid-propagation, each of 200 changes reaches each system exactly once', async (t) => {
  const [mfr, openlmis, dhis2, openmrs, msupply] = await Promise.all([
    startMfrSandbox({ port: 0 }),
    startOpenLmisSandbox({ port: 0 }),
    startDhis2Sandbox({ port: 0 }),
    startOpenMrsSandbox({ port: 0 }),
    startMsupplySandbox({ port: 0 }),
  ]);
  const dir = mkdtempSync(path.join(tmpdir(), 'propagation-kill-'));
  t.teardown(async () => {
    await Promise.all([mfr, openlmis, dhis2, openmrs, msupply].map((s) => s.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  // the systems were reconciled before: one linked facility each (the rest of the crosswalk is not needed here)
  const store = await openStore({ dataDir: dir });
  const link = (system: string, systemId: string) =>
    store.upsertCrosswalk({
      system,
      systemId,
      registryId: facilityId('LK-HC-101'),
      state: 'manual-match',
      zone: 'auto',
      reasons: [],
      suggestions: [],
      decidedBy: 'setup',
      decidedAt: new Date().toISOString(),
    });
  await link('openlmis', openlmis.state.store.facilityByCode('LK-HC-101')!.id);
  await link('dhis2', [...dhis2.state.orgUnits.values()].find((o) => o.code === 'LK-HC-101')!.id);
  await link('openmrs', LOC.mwangaza);
  await store.close();
  for (const code of codes)
    mfr.state.open({ code, name: `New Clinic ${code.slice(-3)}`, parent: 'LKL-N-MBR', point: [34.1, -10.4] });

  const port = await freePort();
  const mediator = new MediatorProcess(
    'propagation',
    {
      DATA_DIR: dir,
      LOG_LEVEL: 'warn',
      AUTH_MODE: 'off',
      DATABASE_URL: '',
      ...upstreamEnv({ mfr, openlmis, dhis2, openmrs, msupply }),
      SCHEDULE_PROPAGATE: '* * * * * *',
      SCHEDULE_RECONCILE: 'off',
      SCHEDULE_RTS_TO_MSUPPLY: 'off',
      SCHEDULE_STOCK_TO_DHIS2: 'off',
      OUTBOX_BACKOFF_BASE_MS: '50',
      OUTBOX_BACKOFF_CAP_MS: '500',
      // the jobs the killed process held are taken over when their lease ends (120 s by default,
      // longer than the wait below once the rest is done): a lease a test can wait out
      OUTBOX_ATTEMPT_TIMEOUT_MS: '8000',
      OUTBOX_LEASE_MS: '10000',
    },
    port,
    path.join(dir, 'mediator.log'),
  );
  t.teardown(() => mediator.kill());

  const inOpenLmis = () => [...openlmis.state.store.facilities.values()].filter((f) => isNew(f.code));
  const inDhis2 = () => [...dhis2.state.orgUnits.values()].filter((o) => isNew(o.code));
  const inOpenMrs = () =>
    [...openmrs.store.locations.values()].filter((l) => l.attributes.some((a) => !a.voided && isNew(a.value)));

  await mediator.start();
  const atKill = await until(
    'a fifth of the facilities in OpenLMIS',
    async () => inOpenLmis().length >= CHANGES / 5,
    120_000,
  );
  await mediator.kill();
  t.ok(atKill, 'killed mid-way');
  const before = inOpenLmis().length;
  t.ok(before < CHANGES, `killed before the end (${before} of ${CHANGES} in OpenLMIS)`);

  await mediator.start();
  await until(
    'every change in every system',
    async () => inOpenLmis().length >= CHANGES && inDhis2().length >= CHANGES && inOpenMrs().length >= CHANGES,
    240_000,
  );
  // let every propagation settle (on a loaded machine its end may commit seconds after the
  // upstream write), then stop the process and read its store; the checks below say what is left
  const watcher = await openStore({ dataDir: dir });
  const unsettled = async () => {
    for (const system of ['openlmis', 'dhis2', 'openmrs']) {
      const rows = await Promise.all(codes.map((c) => watcher.getPropagation(facilityId(c), system)));
      if (rows.some((r) => r?.state !== 'done')) return false;
    }
    return true;
  };
  await until('every propagation settled', unsettled, 60_000).catch(() => undefined);
  await watcher.close();
  await mediator.kill();

  const count = <T>(items: T[], code: (x: T) => string | null | undefined) => {
    const n = new Map<string, number>();
    for (const x of items) n.set(code(x)!, (n.get(code(x)!) ?? 0) + 1);
    return n;
  };
  const lmis = count(inOpenLmis(), (f) => f.code);
  const ou = count(inDhis2(), (o) => o.code);
  const mrs = count(inOpenMrs(), (l) => l.attributes.find((a) => !a.voided && isNew(a.value))?.value);
  for (const [system, n] of [
    ['openlmis', lmis],
    ['dhis2', ou],
    ['openmrs', mrs],
  ] as const) {
    t.equal(n.size, CHANGES, `${system}: every new facility is there`);
    t.same(
      [...n.entries()].filter(([, k]) => k !== 1),
      [],
      `${system}: none twice`,
    );
  }

  const after = await openStore({ dataDir: dir });
  t.teardown(() => after.close());
  for (const system of ['openlmis', 'dhis2', 'openmrs']) {
    const rows = await Promise.all(codes.map((c) => after.getPropagation(facilityId(c), system)));
    t.same(
      rows.filter((r) => r?.state !== 'done').map((r) => `${r?.registryId}:${r?.state}:${r?.reason}`),
      [],
      `${system}: every propagation settled as done`,
    );
  }
});
