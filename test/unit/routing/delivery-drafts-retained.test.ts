/**
 * A delivery is found by its number without a system (`identifier=DL-1`, the value in any system)
 * as long as anything of it is kept. Its keys were known only by its completion and its first
 * draft (routing/jobs-written-under.ts): once retention deleted both (draft 1 delivered, its link
 * since naming draft 2; the completion refused), the draft 2 kept named a delivery a search with
 * the app's system found and one without did not, and an app that lost the answer wrote it again.
 * Now the keys of every kept draft of the number are read in one range (v66). Over the real store
 * and its retention, both engines; the system of record holds the delivery under its own number.
 */
import t from 'tap';
import type { Delivery } from '../../../src/domain/index.js';
import { Outbox } from '../../../src/outbox/outbox.js';
import { draftMark } from '../../../src/routing/delivery-drafts.js';
import { DELIVERIES } from '../../../src/routing/flows.js';
import type { Connector, WriteResult } from '../../../src/routing/ports.js';
import { RoutedFlow } from '../../../src/routing/routed-flow.js';
import type { Store } from '../../../src/store/types.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';
import { deliveredAs, endedJob, pruneAll, REFUSED } from './ended-delivery-job.js';

const APP = 'https://app.example.org/deliveries';
const KEY = `delivery|${APP}|DL-1`;

const delivery = (id: string, status: Delivery['status'], identifier: Delivery['identifier']): Delivery => ({
  id,
  identifier,
  status,
  destination: { id: 'fac-1' },
  lines: [],
});

/** The system of record: it holds the delivery under its own number, so lists nothing by the app's. */
function systemOfRecord(): Connector {
  const refused = async (): Promise<WriteResult> => {
    throw new Error('no write in this test');
  };
  return {
    system: 'a',
    deliveries: {
      get: async (id) =>
        id === 'A-1' ? delivery('A-1', 'in-progress', { system: 'urn:a:pod', value: 'POD-1' }) : undefined,
      search: async () => ({ items: [] }),
      confirm: refused,
    },
  };
}

/** Job `id` of the delivery under `key`, accepted and ended at `at`: delivered (as A-1), or refused. */
function ended(store: Store, id: string, key: string, at: number, end: 'done' | 'rejected'): Promise<void> {
  const status = key === KEY ? 'completed' : 'in-progress';
  const d = delivery('d1', status, { system: APP, value: 'DL-1' });
  return endedJob(store, id, key, d, at, end === 'done' ? deliveredAs('A-1') : REFUSED);
}

for (const engine of engineCases())
  t.test(`${engine.name}: a delivery found by its number alone after retention`, { skip: engine.skip }, async (t) => {
    const { store } = await freshStore(engine, t);
    const outbox = new Outbox({ store, options: { deadlineMs: 2_000, pollMs: 20 } });
    t.teardown(() => outbox.stop());
    // draft 1 delivered, the completion refused, draft 2 delivered: the delivery's link names draft 2
    await ended(store, 'draft-1', KEY + draftMark(1), 1_000, 'done');
    await ended(store, 'completion', KEY, 2_000, 'rejected');
    await ended(store, 'draft-2', KEY + draftMark(2), 3_000, 'done');
    await store.putLinks([{ flow: 'deliveries', fhirId: 'd1', system: 'a', upstreamId: 'A-1', jobId: 'draft-2' }]);

    await pruneAll(store, 10_000);
    t.same(
      [await store.getJob('draft-1'), await store.getJob('completion'), (await store.getJob('draft-2'))?.id],
      [undefined, undefined, 'draft-2'],
      'retention deleted draft 1 and the completion, and kept draft 2 (its link names it)',
    );

    const flow = new RoutedFlow(DELIVERIES, [systemOfRecord()], outbox, store);
    for (const identifier of [{ system: APP, value: 'DL-1' }, { value: 'DL-1' }]) {
      const page = await flow.search({ identifier });
      t.same(
        page.items.map((d) => d.id),
        ['d1'],
        `${identifier.system ? 'system|value' : 'value alone'}: the delivery, through its kept draft`,
      );
    }
  });
