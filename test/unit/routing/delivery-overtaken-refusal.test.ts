/**
 * A draft refused while its delivery's completion is still in flight (routing/delivery-overtaken.ts,
 * RoutedFlow.deliver): superseded only when the refusal says the record is completed already
 * (CompletedUpstreamError: OpenLMIS's confirmed proof of delivery, DHIS2's completed events). A
 * refusal for another reason stands: the completion in flight may yet fail (refused alike), and a
 * draft told superseded by a completion that never landed would hide both failures. Nor while a
 * completion accepted before the draft was delivered: that one completed the record, and the one
 * in flight (linked to the record under another key) is no cause of the refusal. Through
 * RoutedFlow's delivery handler over the real store, both engines.
 */
import t from 'tap';
import { CompletedUpstreamError, ConflictError, type Delivery } from '../../../src/domain/index.js';
import type { Outbox } from '../../../src/outbox/outbox.js';
import type { DeliveryHandler } from '../../../src/outbox/types.js';
import { DELIVERIES } from '../../../src/routing/flows.js';
import type { Connector } from '../../../src/routing/ports.js';
import { RoutedFlow } from '../../../src/routing/routed-flow.js';
import type { OutboxJob } from '../../../src/store/types.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';

const APP = 'https://app.example.org/deliveries';
const KEY = `delivery|${APP}|DL-1`;

const delivery = (status: Delivery['status']): Delivery => ({
  identifier: { system: APP, value: 'DL-1' },
  status,
  destination: { id: 'fac-1' },
  lines: [],
});

/** The handler RoutedFlow registers for system `a`, whose writes are refused with `refusal`. */
function handlerRefusing(store: any, refusal: Error): DeliveryHandler {
  const a: Connector = {
    system: 'a',
    deliveries: {
      get: async () => undefined,
      search: async () => ({ items: [] }),
      confirm: async () => {
        throw refusal;
      },
    },
  };
  let handler: DeliveryHandler | undefined;
  const outbox = { register: (_f: string, _s: string, h: DeliveryHandler) => (handler = h) } as unknown as Outbox;
  new RoutedFlow(DELIVERIES, [a], outbox, store).registerHandlers();
  return handler!;
}

const draft: OutboxJob = {
  id: 'draft-job',
  flow: 'delivery',
  system: 'a',
  idempotencyKey: `${KEY}|in-progress`,
  payloadHash: 'h-draft',
  payload: delivery('in-progress'),
  status: 'in-flight',
  attempts: 2,
  nextAttemptAt: 0,
  createdAt: 1_000,
  updatedAt: 1_000,
};

for (const engine of engineCases())
  t.test(`${engine.name}: a refusal while the completion is in flight`, { skip: engine.skip }, async (t) => {
    const { store } = await freshStore(engine, t);
    // the completion, accepted after the draft, being delivered right now
    await store.recordWrite({
      id: 'completion-job',
      flow: 'delivery',
      system: 'a',
      idempotencyKey: KEY,
      payloadHash: 'h-done',
      payload: delivery('completed'),
      status: 'in-flight',
      attempts: 1,
      nextAttemptAt: 2_000,
      createdAt: 2_000,
    });
    const ctx = {} as Parameters<DeliveryHandler>[2];
    const journal = {} as Parameters<DeliveryHandler>[1];

    const completed = new CompletedUpstreamError('proof of delivery P-1 is already confirmed', 'P-1');
    const moot = await handlerRefusing(store, completed)(draft, journal, ctx);
    t.match(moot, { status: 'superseded' }, 'refused as completed already: superseded');

    const other = new ConflictError('the consignment holds events of another source');
    await t.rejects(handlerRefusing(store, other)(draft, journal, ctx), other, 'refused otherwise: the refusal stands');
  });

const POD_KEY = 'delivery|https://lmis.example.org/proofs-of-delivery|P-1';

/** A completion of DL-1 under `key`, accepted at `at`, linked to proof of delivery P-1, left in flight. */
async function completionInFlight(store: any, id: string, key: string, at: number): Promise<void> {
  const [r] = await store.recordWrites(
    [
      {
        id,
        flow: 'delivery',
        system: 'a',
        idempotencyKey: key,
        payloadHash: `h-${id}`,
        payload: delivery('completed'),
        status: 'in-flight',
        attempts: 1,
        nextAttemptAt: at,
        leaseOwner: 'w1',
        leaseUntil: at + 3_600_000,
        createdAt: at,
      },
    ],
    [{ flow: 'deliveries', fhirId: `fhir-${id}`, system: 'a', upstreamId: 'P-1', jobId: id }],
  );
  if (!r.created) throw new Error(`${id} not recorded`);
}

for (const engine of engineCases())
  t.test(
    `${engine.name}: refused after an earlier completion, another in flight under the record's key`,
    { skip: engine.skip },
    async (t) => {
      const { store } = await freshStore(engine, t);
      const ctx = {} as Parameters<DeliveryHandler>[2];
      const journal = {} as Parameters<DeliveryHandler>[1];
      const completed = new CompletedUpstreamError('proof of delivery P-1 is already confirmed', 'P-1');
      // a completion under the proof of delivery's own key, accepted after the draft, in flight
      await completionInFlight(store, 'pod-completion', POD_KEY, 2_000);
      t.match(
        await handlerRefusing(store, completed)(draft, journal, ctx),
        { status: 'superseded' },
        'the only completion, in flight under the record: superseded',
      );

      // the delivery's own completion, accepted before the draft, delivered
      await completionInFlight(store, 'earlier-completion', KEY, 500);
      t.ok(
        await store.finishJob('earlier-completion', 'w1', { status: 'done', result: { system: 'a', ids: {} } }, 600),
        'the earlier completion delivered',
      );
      await t.rejects(
        handlerRefusing(store, completed)(draft, journal, ctx),
        completed,
        'completed by the earlier one: the refusal stands, not superseded by the one in flight',
      );
    },
  );

for (const engine of engineCases())
  t.test(
    `${engine.name}: refused after a completion stamped in the draft's millisecond, another in flight`,
    { skip: engine.skip },
    async (t) => {
      const { store } = await freshStore(engine, t);
      const ctx = {} as Parameters<DeliveryHandler>[2];
      const journal = {} as Parameters<DeliveryHandler>[1];
      const completed = new CompletedUpstreamError('proof of delivery P-1 is already confirmed', 'P-1');
      // the delivery's own completion, stamped in the draft's millisecond (not told apart: never
      // later than the draft), delivered; another under the record's key, accepted later, in flight
      await completionInFlight(store, 'same-ms-completion', KEY, draft.createdAt);
      t.ok(
        await store.finishJob('same-ms-completion', 'w1', { status: 'done', result: { system: 'a', ids: {} } }, 1_100),
        'the completion of the same millisecond delivered',
      );
      await completionInFlight(store, 'pod-completion', POD_KEY, 2_000);
      await t.rejects(
        handlerRefusing(store, completed)(draft, journal, ctx),
        completed,
        'the refusal stands, as it does without the one in flight: not superseded by it',
      );
    },
  );
