/**
 * The facility's routing changed between a draft and its delivery's completion (routing/flows.ts
 * completionKeys, routing/delivery-overtaken.ts): system `a` the system of record for one and a
 * secondary target (its copy under key|a) for the other, either way round. The completion
 * delivered to `a` is found under the other kind of key, and the draft still queued for `a` ends
 * superseded, nothing sent; a completion delivered to another system only (`b`) makes no draft to
 * `a` moot: that draft is written. Through RoutedFlow's delivery handler over the real store
 * (its own order, Store.acceptedAfter), both engines.
 */
import t, { type Test } from 'tap';
import type { Delivery } from '../../../src/domain/index.js';
import type { Outbox } from '../../../src/outbox/outbox.js';
import type { DeliveryHandler } from '../../../src/outbox/types.js';
import { DELIVERIES } from '../../../src/routing/flows.js';
import type { Connector } from '../../../src/routing/ports.js';
import { RoutedFlow } from '../../../src/routing/routed-flow.js';
import type { Store } from '../../../src/store/types.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';
import { newJob } from '../../support/new-job.js';

const APP = 'https://app.example.org/deliveries';
const KEY = `delivery|${APP}|DL-1`;

const delivery = (status: Delivery['status']): Delivery => ({
  identifier: { system: APP, value: 'DL-1' },
  status,
  destination: { id: 'fac-1' },
  lines: [],
});

/** RoutedFlow's handler for system `a`, and the drafts its connector was sent. */
function handlerOfA(store: Store): { handler: DeliveryHandler; sent: Delivery[] } {
  const sent: Delivery[] = [];
  const a: Connector = {
    system: 'a',
    deliveries: {
      get: async () => undefined,
      search: async () => ({ items: [] }),
      confirm: async (d) => {
        sent.push(d);
        return { system: 'a', ids: { event: 'ev-draft' }, status: 'created' };
      },
    },
  };
  let handler: DeliveryHandler | undefined;
  const outbox = { register: (_f: string, s: string, h: DeliveryHandler) => s === 'a' && (handler = h) };
  new RoutedFlow(DELIVERIES, [a], outbox as unknown as Outbox, store).registerHandlers();
  return { handler: handler!, sent };
}

/** The draft for `a` under `draftKey`, then the completion to `system` under `key`, delivered. */
async function draftThenCompletion(t: Test, store: Store, draftKey: string, system: string, key: string) {
  await store.recordWrite(
    newJob('draft', { flow: 'delivery', system: 'a', idempotencyKey: draftKey, payload: delivery('in-progress') }),
  );
  const lease = { status: 'in-flight' as const, leaseOwner: 'w1', leaseUntil: 60_000, createdAt: 1_001 };
  const payload = delivery('completed');
  await store.recordWrite({
    ...newJob('completion', { flow: 'delivery', system, idempotencyKey: key, payload }),
    ...lease,
  });
  const result = { system, ids: { event: 'ev-completion' }, status: 'completed' };
  t.ok(await store.finishJob('completion', 'w1', { status: 'done', result }, 1_002), 'the completion delivered');
  return (await store.getJob('draft'))!;
}

const CASES: [string, string, string, string, string][] = [
  ["a secondary's draft, then the completion with `a` the system of record", `${KEY}|in-progress|a`, 'a', KEY, 'moot'],
  ["`a`'s own draft, then the completion with `a` a secondary target", `${KEY}|in-progress`, 'a', `${KEY}|a`, 'moot'],
  ["`a`'s own draft, then the completion to `b` alone", `${KEY}|in-progress`, 'b', KEY, 'sent'],
  ["a secondary's draft, then the completion to `b`'s copy", `${KEY}|in-progress|a`, 'b', `${KEY}|b`, 'sent'],
];

for (const engine of engineCases())
  for (const [label, draftKey, system, key, expected] of CASES)
    t.test(`${label} (${engine.name})`, { skip: engine.skip }, async (t) => {
      const { store } = await freshStore(engine, t);
      const draft = await draftThenCompletion(t, store, draftKey, system, key);
      const { handler, sent } = handlerOfA(store);
      const result = await handler(draft, {} as Parameters<DeliveryHandler>[1], {} as Parameters<DeliveryHandler>[2]);
      if (expected === 'moot') {
        t.match(result, { system: 'a', ids: { event: 'ev-completion' }, status: 'superseded' }, 'superseded');
        t.same(sent, [], 'nothing sent to `a`');
      } else {
        t.notMatch(result, { status: 'superseded' }, 'not superseded');
        t.same(
          sent.map((d) => d.status),
          ['in-progress'],
          'the draft written to `a`',
        );
      }
    });
