/**
 * The range a delivery's drafts are read from (Store.findNumberedJobs, store/numbered-keys.ts)
 * holds that delivery's jobs alone. A key joined an identifier's value unescaped, so a delivery
 * numbered `DL-1|in-progress:7` was keyed `…|DL-1|in-progress:7`, DL-1's seventh draft key: read
 * under DL-1's drafts without its identifier, it was DL-1's newest draft and 7 the highest number
 * in use. Keyed escaped (domain/business-key.ts), it is under a key of its own. Keys as routing
 * builds them (routing/flows.ts DELIVERIES.key), the real store, both engines.
 */
import t from 'tap';
import type { Delivery } from '../../../src/domain/index.js';
import { DELIVERIES } from '../../../src/routing/flows.js';
import { deliveredAs, endedJob } from '../routing/ended-delivery-job.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';

const APP = 'https://app.example.org/deliveries';

const delivery = (value: string, status: Delivery['status'], draft?: number): Delivery => ({
  id: value.replace(/\W/g, '-'),
  identifier: { system: APP, value },
  status,
  destination: { id: 'fac-1' },
  lines: [],
  ...(draft ? { draft } : {}),
});

for (const engine of engineCases())
  t.test(`${engine.name}: a draft key's range holds no other delivery's job`, { skip: engine.skip }, async (t) => {
    const { store } = await freshStore(engine, t);
    const draft = delivery('DL-1', 'in-progress');
    const key = DELIVERIES.key(draft)!;
    await endedJob(store, 'dl-1-draft', key, draft, 1_000, deliveredAs('pod-1'));
    for (const [id, value] of [
      ['seventh', 'DL-1|in-progress:7'],
      ['copy', 'DL-1|in-progress:3|dhis2'],
    ]) {
      const other = delivery(value, 'completed');
      await endedJob(store, id, DELIVERIES.key(other)!, other, 2_000, deliveredAs(`pod-${id}`));
    }

    const found = await store.findNumberedJobs(key);
    t.equal(found?.newest?.id, 'dl-1-draft', "DL-1's own draft is the newest under its key");
    t.equal(found?.highest, 1, 'and its number the highest in use');
    const mine = await store.findNumberedJobs(key, draft.identifier);
    t.equal(mine?.highest, 1, "asked for DL-1's own, no other delivery's number counts either");
  });
