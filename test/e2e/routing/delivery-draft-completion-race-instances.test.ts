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
import { SEED_API_TOKEN } from '../../../sandbox/dhis2/index.js';
import { startDhis2Rig, type Dhis2Rig } from '../../support/dhis2-e2e.js';
import { CONSIGNMENT_ENV } from '../../support/dhis2-consignments.js';
import { startRig, why, type Rig } from '../../support/openlmis-e2e.js';
import { engineCases } from '../../support/outbox-engines.js';
import {
  COMPLETION_PACKS,
  DRAFT_PACKS,
  bothEnded,
  consignment,
  holdTrackerPost,
  raceFacility,
  receivedWithCompletionCount,
} from './delivery-race-rig.js';

const ADMIN = 'sd-draft-completion-instances-admin-W2p';
const SHIPMENT = 'SHP-RACE-2';
const FLOWS = { deliveries: { default: 'dhis2' } };
// a write not delivered within 1 s is answered 202 and delivered on (the draft held, the completion behind it)
const ENV = { ...CONSIGNMENT_ENV, ADMIN_TOKEN: ADMIN, OUTBOX_DEADLINE_MS: '1000' };
const root = path.resolve(import.meta.dirname, '../../..');

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
      const facility = raceFacility(sb);

      // the draft's post, planned from the events as they were, held on its way until released
      const held = holdTrackerPost(sb);
      const draft = rig.fhir(
        'POST',
        '/fhir/R5/SupplyDelivery',
        consignment(SHIPMENT, facility, DRAFT_PACKS, 'in-progress'),
      );
      await held.onItsWay();

      // the completion at the other instance: on the old code it completed the events meanwhile (201)
      const doneBody = consignment(SHIPMENT, facility, COMPLETION_PACKS, 'completed');
      const done = await other.fhir('POST', '/fhir/R5/SupplyDelivery', doneBody);
      t.ok([201, 202].includes(done.status), `the completion accepted: ${why(done)}`);
      held.release();
      t.equal((await draft).status, 202, 'the draft answered at its deadline, delivered on');

      const jobs = await bothEnded(rig.mediator.url, ADMIN);
      t.same(
        jobs.map((j) => j.status),
        ['done', 'done'],
        `both delivered: ${jobs.map((j) => j.lastError ?? '').join(' ')}`,
      );
      receivedWithCompletionCount(t, sb);
    },
  );
