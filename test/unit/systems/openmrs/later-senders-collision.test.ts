/**
 * later-senders.ts: identifier values were not escaped in outbox keys before v68 (an older
 * instance still running after the upgrade keys so still), so a delivery whose value is
 * `DL-1|openmrs` had the key of DL-1's copy for OpenMRS (`key|openmrs`, routing/flows.ts
 * secondaryKey). Its write is another delivery's, not DL-1's own: when it sent its completing
 * action after DL-1's, DL-1's write waits for it (a later sender), as for any other delivery.
 * Keyed now, it has a key of its own (domain/business-key.ts). Both engines, through the store.
 */
import t from 'tap';
import type { Delivery } from '../../../../src/domain/index.js';
import { DELIVERIES, secondaryKey } from '../../../../src/routing/flows.js';
import type { Store } from '../../../../src/store/types.js';
import { laterSender } from '../../../../src/systems/openmrs/later-senders.js';
import { engineCases, freshStore } from '../../../support/outbox-engines.js';
import { newJob } from '../../../support/new-job.js';

const OP = 'op-uuid-1';
const deliveryOf = (value: string) =>
  ({ identifier: { system: 'urn:client', value }, status: 'completed', lines: [] }) as unknown as Delivery;

/** Delivery `delivery`'s job to OpenMRS under `key`, in flight: it chose OP and marked its sending at `sentAt`. */
async function sentTo(store: Store, id: string, delivery: Delivery, key: string, sentAt: number): Promise<void> {
  await store.recordWrite(
    newJob(id, {
      flow: DELIVERIES.outboxFlow,
      system: 'openmrs',
      idempotencyKey: key,
      payload: delivery as never,
      status: 'in-flight',
      leaseOwner: 'A',
      leaseUntil: 70_000,
    }),
  );
  await store.putStep(id, 'find-operation', OP, 1_001);
  await store.putStep(id, 'complete-transfer-sent', true, sentAt);
}

for (const engine of engineCases()) {
  t.test(
    `another delivery under this one's copy key counts as another (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const { store } = await freshStore(engine, t);
      const [dl1, other] = [deliveryOf('DL-1'), deliveryOf('DL-1|openmrs')];
      const key = DELIVERIES.key(dl1)!;
      t.not(DELIVERIES.key(other), secondaryKey(key, 'openmrs'), "the other delivery's key now is its own");
      await sentTo(store, 'job-dl1', dl1, key, 2_000);
      t.notOk(await laterSender(store, OP, dl1), 'alone: no later sender');
      // as an older release keyed it: DL-1's copy key for OpenMRS
      await sentTo(store, 'job-other', other, secondaryKey(key, 'openmrs'), 3_000);
      t.ok(await laterSender(store, OP, dl1), 'DL-1|openmrs sent after DL-1: DL-1 waits for it');
      t.notOk(await laterSender(store, OP, other), 'and it, the later one, waits for nobody');
    },
  );
}
