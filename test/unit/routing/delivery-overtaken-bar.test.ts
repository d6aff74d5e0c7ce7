/**
 * A draft's completion is looked for under the delivery's key and its copy for the draft's system
 * (`key|system`, routing/flows.ts completionKeys). Identifier values may hold `|`, so another
 * delivery's key can be that copy's: a delivery DL-1's draft to DHIS2 reads `…|DL-1|dhis2`, the
 * key of a delivery DL-1|dhis2 routed to DHIS2. That delivery's completion is no completion of
 * DL-1: DL-1's draft is still sent, never superseded by it (routing/delivery-overtaken.ts). Both
 * engines, through the store.
 */
import t from 'tap';
import { storeOrder } from '../../../src/routing/delivery-overtaken.js';
import { DELIVERIES } from '../../../src/routing/flows.js';
import type { NewJob, Store } from '../../../src/store/types.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';
import { newJob } from '../../support/new-job.js';

const APP = 'https://app.example.org/deliveries';
const keyOf = (value: string) => `delivery|${APP}|${value}`;

function delivery(id: string, value: string, key: string, status: string, createdAt: number): NewJob {
  return newJob(id, {
    flow: 'delivery',
    system: 'dhis2',
    idempotencyKey: key,
    payload: { status, identifier: { system: APP, value } },
    createdAt,
  });
}

/** A completed delivery `value` recorded under `key` and delivered to DHIS2. */
async function deliveredCompletion(store: Store, id: string, value: string, key: string): Promise<void> {
  const lease = { status: 'in-flight' as const, leaseOwner: 'B', leaseUntil: 70_000 };
  await store.recordWrite({ ...delivery(id, value, key, 'completed', 2_000), ...lease });
  const result = { system: 'dhis2', ids: { event: `ev-${id}` }, status: 'completed' };
  await store.finishJob(id, 'B', { status: 'done', result }, 2_001);
}

async function overtaken(store: Store) {
  const draft = await store.getJob('draft');
  const jobsUnder = (key: string) => store.findJobsByKey(key);
  const refusedToo = [false, true].map((refused) =>
    DELIVERIES.overtaken!(draft!, jobsUnder, refused, undefined, storeOrder(store)),
  );
  return Promise.all(refusedToo);
}

for (const engine of engineCases()) {
  t.test(`another delivery whose key is the draft's copy key (${engine.name})`, { skip: engine.skip }, async (t) => {
    const { store } = await freshStore(engine, t);
    await store.recordWrite(delivery('draft', 'DL-1', `${keyOf('DL-1')}|in-progress`, 'in-progress', 1_000));
    await deliveredCompletion(store, 'other', 'DL-1|dhis2', keyOf('DL-1|dhis2'));
    t.equal(keyOf('DL-1|dhis2'), `${keyOf('DL-1')}|dhis2`, "the other delivery's key is the draft's copy key");
    t.same(await overtaken(store), [undefined, undefined], "DL-1's draft is sent: DL-1|dhis2 completed, not DL-1");
    // DL-1's own completion, DHIS2 its system of record: it does supersede the draft
    await deliveredCompletion(store, 'own', 'DL-1', keyOf('DL-1'));
    for (const result of await overtaken(store))
      t.match(result, { system: 'dhis2', ids: { event: 'ev-own' }, status: 'superseded' }, 'by its own completion');
  });
}
