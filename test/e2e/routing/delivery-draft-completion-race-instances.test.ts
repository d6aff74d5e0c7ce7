/**
 * A delivery's draft and its completion at two instances on one PostgreSQL store
 * (routing/delivery-write-lock.ts): one instance is sending the app's draft to DHIS2 when the other
 * accepts the completion. The delivery's lock is PostgreSQL's, so the completion waits for the
 * draft's end across instances, then completes the consignment: the draft's events, planned before
 * the completion, never land after it (they made the received consignment ACTIVE again). Through
 * two real mediators, their outboxes and one DHIS2 sandbox.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { CONSIGNMENT, SEED_API_TOKEN } from '../../../sandbox/dhis2/index.js';
import { startDhis2Rig, type Dhis2Rig } from '../../support/dhis2-e2e.js';
import { CONSIGNMENT_ENV, consignmentDelivery } from '../../support/dhis2-consignments.js';
import { adminCall } from '../../support/march-stock-count.js';
import { startRig, why, type Rig } from '../../support/openlmis-e2e.js';
import { until } from '../../support/net.js';
import { engineCases } from '../../support/outbox-engines.js';

type Resource = Record<string, any>;

const ADMIN = 'sd-draft-completion-instances-admin-W2p';
const FLOWS = { deliveries: { default: 'dhis2' } };
// a write not delivered within 1 s is answered 202 and delivered on (the draft held, the completion behind it)
const ENV = { ...CONSIGNMENT_ENV, ADMIN_TOKEN: ADMIN, OUTBOX_DEADLINE_MS: '1000' };
const root = path.resolve(import.meta.dirname, '../../..');

/** Consignment SHP-RACE-2 of `packs` packs of condoms at `facility`, in `status`. */
function consignment(facility: string, packs: number, status: string): Resource {
  const lines = [{ gtin: '10860012300034', value: packs, unit: 'pack' as const }];
  return { ...consignmentDelivery({ shipment: 'SHP-RACE-2', location: facility, lines }), status };
}

/** Another mediator on the store at `databaseUrl`, writing to `rig`'s DHIS2 sandbox. */
async function secondMediator(t: Test, rig: Dhis2Rig, databaseUrl: string): Promise<Rig> {
  const mappings = mkdtempSync(path.join(tmpdir(), 'sd-race-'));
  cpSync(path.join(root, 'fhir-mappings'), mappings, { recursive: true });
  writeFileSync(path.join(mappings, 'routing.json'), JSON.stringify({ flows: FLOWS }));
  const other = await startRig({
    MAPPINGS_DIR: mappings,
    OPENLMIS_BASE_URL: '',
    DHIS2_BASE_URL: rig.dhis2.url,
    DHIS2_API_TOKEN: SEED_API_TOKEN,
    DHIS2_DATA_SET: 'LkStockMnth',
    DATABASE_URL: databaseUrl,
    ...ENV,
  });
  t.teardown(async () => {
    await other.close();
    rmSync(mappings, { recursive: true, force: true });
  });
  return other;
}

/** The delivery jobs `rig`'s outbox holds for DHIS2, each as it ended. */
async function endedJobs(rig: Rig): Promise<Resource[]> {
  return until('both writes ended', async () => {
    const jobs = (await adminCall(rig.mediator.url, ADMIN, 'GET', '/outbox/jobs?system=dhis2')).body.jobs as Resource[];
    const ours = jobs.filter((j) => j.flow === 'delivery');
    return ours.length === 2 && ours.every((j) => ['done', 'rejected', 'dead'].includes(j.status)) ? ours : undefined;
  });
}

for (const engine of engineCases())
  t.test(
    `${engine.name}: a draft at one instance, its completion at another, do not reopen the consignment`,
    // SQLite is one process per file: one instance, whose own turn delivery-draft-completion-race shows
    { skip: engine.name === 'sqlite' ? 'SQLite has one instance per store' : engine.skip },
    async (t) => {
      const db = await engine.freshDatabase();
      const rig = await startDhis2Rig(FLOWS, { ...ENV, DATABASE_URL: db.databaseUrl });
      t.teardown(async () => {
        await rig.close();
        await db.drop();
      });
      const other = await secondMediator(t, rig, db.databaseUrl);
      const sb = rig.dhis2;
      const facility = sb.state.summary().orgUnits['LK-HC-103'];
      const events = () =>
        [...sb.tracker.events.values()]
          .filter((e) => e.program === CONSIGNMENT.program)
          .map((e) => [e.status, e.dataValues.find((d: Resource) => d.dataElement === CONSIGNMENT.quantity)?.value]);

      // the draft's post, planned from the events as they were, held on its way until released
      let release!: () => void;
      const released = new Promise<void>((r) => (release = r));
      const held = sb.faults.add({
        method: 'POST',
        path: '/api/tracker',
        times: 1,
        action: { type: 'held', released },
      });
      const draft = rig.fhir('POST', '/fhir/R5/SupplyDelivery', consignment(facility, 7, 'in-progress'));
      await until(
        'the draft on its way',
        async () => sb.faults.list().find((f) => f.id === held.id)?.hits === 1 || undefined,
      );

      // the completion at the other instance: on the old code it completed the events meanwhile (201)
      const done = await other.fhir('POST', '/fhir/R5/SupplyDelivery', consignment(facility, 9, 'completed'));
      t.ok([201, 202].includes(done.status), `the completion accepted: ${why(done)}`);
      release();
      t.equal((await draft).status, 202, 'the draft answered at its deadline, delivered on');

      const jobs = await endedJobs(rig);
      t.same(
        jobs.map((j) => j.status),
        ['done', 'done'],
        `both delivered: ${jobs.map((j) => j.lastError ?? '').join(' ')}`,
      );
      // in units: a pack holds 144 condoms (the draft's 7 packs would read 1008)
      t.same(events(), [['COMPLETED', String(9 * 144)]], "the consignment received, with the completion's count");
    },
  );
