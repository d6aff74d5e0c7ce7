/**
 * confirmed-by.ts `recorded`: a delivery's write is recorded when a job of that delivery stands
 * under its key. Identifier values were not escaped in outbox keys before v68, so delivery
 * `DL-1|openmrs`'s key was DL-1's copy key for OpenMRS (`key|openmrs`, routing/flows.ts
 * secondaryKey); escaped now (domain/business-key.ts), it is its own. DL-1's copy is not
 * DL-1|openmrs's write, and DL-1|openmrs is still checked against who completed its operation
 * (deliveries.ts precheck), not passed as a resend. Both engines, through the store.
 */
import t from 'tap';
import type { Delivery } from '../../../../src/domain/index.js';
import { DELIVERIES, secondaryKey } from '../../../../src/routing/flows.js';
import type { Store } from '../../../../src/store/types.js';
import { storeConfirmations } from '../../../../src/systems/openmrs/confirmed-by.js';
import { engineCases, freshStore } from '../../../support/outbox-engines.js';
import { newJob } from '../../../support/new-job.js';

const deliveryOf = (value: string) =>
  ({ identifier: { system: 'urn:client', value }, status: 'completed', lines: [] }) as unknown as Delivery;

/** Delivery `delivery`'s job to OpenMRS under `key`, waiting. */
async function waiting(store: Store, id: string, delivery: Delivery, key: string): Promise<void> {
  await store.recordWrite(
    newJob(id, { flow: DELIVERIES.outboxFlow, system: 'openmrs', idempotencyKey: key, payload: delivery as never }),
  );
}

for (const engine of engineCases()) {
  t.test(
    `another delivery's copy under this one's key is not its write (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const { store } = await freshStore(engine, t);
      const [dl1, other] = [deliveryOf('DL-1'), deliveryOf('DL-1|openmrs')];
      const copyKey = secondaryKey(DELIVERIES.key(dl1)!, 'openmrs');
      t.not(DELIVERIES.key(other), copyKey, "DL-1|openmrs's key is no longer DL-1's copy key for OpenMRS");
      await waiting(store, 'dl1-copy', dl1, copyKey);
      const confirmations = storeConfirmations(store);
      t.notOk(await confirmations.recorded(other), "DL-1's copy is not DL-1|openmrs's write");
      await waiting(store, 'dl1', dl1, DELIVERIES.key(dl1)!);
      t.ok(await confirmations.recorded(dl1), "DL-1's own job is");
    },
  );
}
