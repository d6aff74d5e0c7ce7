/**
 * Identifier values were not escaped in outbox keys (`delivery|system|value`, a draft
 * `…|in-progress:n`) before v68, so another delivery's key could be one of a delivery's draft
 * keys: the completion of a delivery numbered `DL-1|in-progress` was recorded under DL-1's first
 * draft key. Such a job is none of DL-1's drafts (routing/delivery-drafts.ts, store/numbered-keys.ts):
 * it was read as DL-1's newest draft (a new draft refused as waiting for that other delivery's job),
 * a key like `DL-1|in-progress:x` was read as the highest number (the next draft took a number
 * DL-1's own drafts held: refused as saved meanwhile, on every try), and a search for DL-1 found
 * the other delivery. Each is keyed escaped now (domain/business-key.ts), under a key of its own.
 * Through the real mediator, the OpenLMIS connector and its sandbox, both engines.
 */
import t from 'tap';
import { appDelivery } from '../../../support/counted-delivery.js';
import { engineCases } from '../../../support/outbox-engines.js';
import { shippedDelivery, startRigOn, why, type Rig } from '../../../support/openlmis-e2e.js';

type Resource = Record<string, any>;

const APP = 'https://mobile.example.org/deliveries';
const ADMIN = 'hb-draft-bar-admin-Qw7';

/** A delivery read from OpenLMIS, posted by the app under `value`, `rejected` packs refused. */
const post = (rig: Rig, read: Resource, value: string, status: string, rejected = 0) =>
  rig.fhir('POST', '/fhir/R5/SupplyDelivery', appDelivery(read, { system: APP, value }, status, rejected));

/** The outbox jobs of the delivery numbered `value`, by the identifier their payload carries. */
async function jobsOf(rig: Rig, value: string) {
  const jobs = await rig.mediator.store.listJobs({ flow: 'delivery' });
  return jobs.filter((j) => (j.payload as Resource).identifier?.value === value);
}

/** The deliveries a search by `identifier` answers, each by the app's identifier values it carries. */
async function found(rig: Rig, identifier: string): Promise<string[]> {
  const got = await rig.fhir('GET', `/fhir/R5/SupplyDelivery?identifier=${encodeURIComponent(identifier)}`);
  if (got.status !== 200) throw new Error(`search ${identifier}: ${why(got)}`);
  const values = (r: Resource) =>
    ((r.identifier ?? []) as Resource[]).filter((i) => i.system === APP).map((i) => String(i.value));
  return ((got.body.entry ?? []) as Resource[]).map((e) => values(e.resource).join(' ')).sort();
}

for (const engine of engineCases()) {
  t.test(
    `another delivery's waiting job under DL-1's first draft key (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startRigOn(t, engine, {
        ADMIN_TOKEN: ADMIN,
        OUTBOX_BACKOFF_BASE_MS: '600000',
        OUTBOX_BACKOFF_CAP_MS: '600000',
      });
      const other = await shippedDelivery(rig, 'LK-HC-105', 'HB-BAR-A', [{ productCode: 'EM-ORS', qty: 100 }]);
      const own = await shippedDelivery(rig, 'LK-HC-104', 'HB-BAR-B', [{ productCode: 'EM-ORS', qty: 100 }]);
      const down = rig.lmis.sb.faults.add({
        method: 'PUT',
        path: `/api/proofsOfDelivery/${other.podId}**`,
        action: { type: 'status', status: 503 },
      });
      const completed = await post(rig, other.read, 'DL-BAR-1|in-progress', 'completed');
      t.equal(completed.status, 202, `queued, OpenLMIS refusing that proof of delivery: ${why(completed)}`);
      const [waiting] = await jobsOf(rig, 'DL-BAR-1|in-progress');
      t.equal(
        waiting?.idempotencyKey,
        `delivery|${APP}|DL-BAR-1%7Cin-progress`,
        "its key its own, escaped: no draft key of DL-BAR-1's",
      );

      const draft = await post(rig, own.read, 'DL-BAR-1', 'in-progress');
      t.equal(draft.status, 201, `DL-BAR-1's draft waits for no other delivery's job: ${why(draft)}`);
      t.notMatch(JSON.stringify(draft.body), waiting.id, 'the other job not named');
      const [saved] = await jobsOf(rig, 'DL-BAR-1');
      t.equal(saved?.status, 'done', 'written');
      t.not(saved?.idempotencyKey, waiting.idempotencyKey, 'under a key of its own, not the one held');
      t.ok(rig.lmis.sb.state.store.pods.get(own.podId)!.lineItems[0].quantityAccepted, 'its proof of delivery counted');

      t.same(await found(rig, `${APP}|DL-BAR-1`), ['DL-BAR-1'], 'a search for DL-BAR-1 finds its own delivery only');
      t.same(await found(rig, 'DL-BAR-1'), ['DL-BAR-1'], 'and so without a system');
      rig.lmis.sb.faults.remove(down.id);
    },
  );
}

for (const engine of engineCases()) {
  t.test(
    `a key after DL-1's draft mark that is no number holds none (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startRigOn(t, engine, { ADMIN_TOKEN: ADMIN });
      const other = await shippedDelivery(rig, 'LK-HC-105', 'HB-BAR-C', [{ productCode: 'EM-ORS', qty: 100 }]);
      const own = await shippedDelivery(rig, 'LK-HC-104', 'HB-BAR-D', [{ productCode: 'EM-ORS', qty: 100 }]);
      const completed = await post(rig, other.read, 'DL-BAR-2|in-progress:x', 'completed');
      t.equal(completed.status, 201, why(completed));

      const rejected = () => rig.lmis.sb.state.store.pods.get(own.podId)!.lineItems[0].quantityRejected;
      for (const less of [0, 1, 2]) {
        const saved = await post(rig, own.read, 'DL-BAR-2', 'in-progress', less);
        t.equal(saved.status, 201, `the draft with ${less} refused saved: ${why(saved)}`);
        t.equal(rejected(), less, `the proof of delivery holds ${less} refused`);
      }
      const keys = (await jobsOf(rig, 'DL-BAR-2')).map((j) => j.idempotencyKey).sort();
      const key = `delivery|${APP}|DL-BAR-2|in-progress`;
      t.same(keys, [key, `${key}:2`, `${key}:3`], 'numbered 1, 2, 3');
      t.same(
        await found(rig, `${APP}|DL-BAR-2|in-progress:x`),
        ['DL-BAR-2|in-progress:x'],
        'the other delivery found by its own',
      );

      // a completed delivery numbered `DL-BAR-2|in-progress` was keyed as DL-BAR-2's first draft
      // and refused as a reused identifier: its key is its own now, and it is written
      const own2 = await shippedDelivery(rig, 'LK-HC-103', 'HB-BAR-E', [{ productCode: 'EM-ORS', qty: 100 }]);
      const barred = await post(rig, own2.read, 'DL-BAR-2|in-progress', 'completed');
      t.equal(barred.status, 201, `a write of its own: ${why(barred)}`);
      t.equal(rig.lmis.sb.state.store.pods.get(own2.podId)!.status, 'CONFIRMED', 'its proof of delivery confirmed');
    },
  );
}
