/**
 * A delivery whose number holds `|` is found by that number without a system after retention,
 * through its kept draft, and no other delivery's key read as one of its own: identifier values
 * were not escaped in keys before v68, so the completion of a delivery numbered
 * `DL|1|in-progress:2` was recorded under DL|1's second draft key; escaped now
 * (domain/business-key.ts), it is under its own. The keys of a number's kept drafts are read as
 * one range of the key's value (v66, jobs-written-under.ts), and only the number's own writes
 * under them count (0fd21519). Over the real store and its retention, both engines.
 */
import t from 'tap';
import { businessKey } from '../../../src/domain/business-key.js';
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
const ONE = 'DL|1';
const OTHER = `${ONE}${draftMark(2)}`;
const keyOf = (value: string) => businessKey('delivery', { system: APP, value });
const KEY = keyOf(ONE);

const delivery = (id: string, status: Delivery['status'], value: string): Delivery => ({
  id,
  identifier: { system: APP, value },
  status,
  destination: { id: 'fac-1' },
  lines: [],
});

/** The system of record: it holds each delivery under its own number, so lists nothing by the app's. */
function systemOfRecord(): Connector {
  const held: Record<string, Delivery> = {
    'A-1': delivery('A-1', 'in-progress', 'POD-1'),
    'B-2': delivery('B-2', 'completed', 'POD-2'),
    'C-9': delivery('C-9', 'completed', 'POD-9'),
  };
  const refused = async (): Promise<WriteResult> => {
    throw new Error('no write in this test');
  };
  return {
    system: 'a',
    deliveries: { get: async (id) => held[id], search: async () => ({ items: [] }), confirm: refused },
  };
}

/** Job `id` writing `d` under `key`, accepted and ended at `at`: delivered (as upstream `upstream`), or refused. */
const ended = (store: Store, id: string, key: string, d: Delivery, at: number, upstream?: string) =>
  endedJob(store, id, key, d, at, upstream ? deliveredAs(upstream) : REFUSED);

for (const engine of engineCases())
  t.test(
    `${engine.name}: a number holding | found alone after retention, only as itself`,
    { skip: engine.skip },
    async (t) => {
      const { store } = await freshStore(engine, t);
      const outbox = new Outbox({ store, options: { deadlineMs: 2_000, pollMs: 20 } });
      t.teardown(() => outbox.stop());
      // DL|1: draft 1 delivered, its completion refused, draft 3 delivered; another delivery
      // numbered DL|1|in-progress:2 completed under its own key
      await ended(store, 'draft-1', KEY + draftMark(1), delivery('d1', 'in-progress', ONE), 1_000, 'A-1');
      await ended(store, 'completion', KEY, delivery('d1', 'completed', ONE), 2_000);
      await ended(store, 'other', keyOf(OTHER), delivery('d2', 'completed', OTHER), 2_500, 'B-2');
      await ended(store, 'draft-3', KEY + draftMark(3), delivery('d1', 'in-progress', ONE), 3_000, 'A-1');
      await store.putLinks([
        { flow: 'deliveries', fhirId: 'd1', system: 'a', upstreamId: 'A-1', jobId: 'draft-3' },
        { flow: 'deliveries', fhirId: 'd2', system: 'a', upstreamId: 'B-2', jobId: 'other' },
      ]);

      // DL|9: its one draft kept (numbered 3) refused; DL|9|in-progress:2 completed under its own key
      const NINE = keyOf('DL|9');
      await ended(
        store,
        'other-9',
        keyOf('DL|9|in-progress:2'),
        delivery('d9x', 'completed', 'DL|9|in-progress:2'),
        2_600,
        'C-9',
      );
      await store.putLinks([{ flow: 'deliveries', fhirId: 'd9x', system: 'a', upstreamId: 'C-9', jobId: 'other-9' }]);
      await ended(store, 'draft-9', NINE + draftMark(3), delivery('d9', 'in-progress', 'DL|9'), 20_000);

      await pruneAll(store, 10_000);
      t.same(
        [await store.getJob('draft-1'), await store.getJob('completion')],
        [undefined, undefined],
        "retention deleted DL|1's draft 1 and its completion",
      );
      t.same(
        [(await store.getJob('other'))?.id, (await store.getJob('draft-3'))?.id],
        ['other', 'draft-3'],
        'and kept what the links name',
      );

      const flow = new RoutedFlow(DELIVERIES, [systemOfRecord()], outbox, store);
      const cases: [Record<string, string>, string[]][] = [
        [{ value: ONE }, ['d1']],
        [{ system: APP, value: ONE }, ['d1']],
        [{ value: OTHER }, ['d2']],
        [{ system: APP, value: OTHER }, ['d2']],
        [{ value: 'DL' }, []],
        // the drafts read back from a refused newest one stop at DL|9's own: the other delivery is none of them
        [{ value: 'DL|9' }, []],
        [{ system: APP, value: 'DL|9' }, []],
        [{ value: 'DL|9|in-progress:2' }, ['d9x']],
      ];
      for (const [identifier, ids] of cases) {
        const page = await flow.search({ identifier: identifier as { system?: string; value: string } });
        t.same(
          page.items.map((d) => d.id),
          ids,
          `${identifier.system ? 'system|' : ''}${identifier.value}: ${ids.join(', ') || 'none'}`,
        );
      }
    },
  );
