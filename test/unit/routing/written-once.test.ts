/**
 * A search by the app's delivery number lists what the app wrote though its system of record lists
 * it under its own number (RoutedFlow.writtenUnderIdentifier). A delivery fanned out to a second
 * system that lists it under the app's number, by the same FHIR id, was listed twice on the merged
 * page: once by that system, once read back for the write's job (each system's answer knew only
 * its own list). Listed once. Over the real store, both engines.
 */
import t from 'tap';
import type { Delivery } from '../../../src/domain/index.js';
import { Outbox } from '../../../src/outbox/outbox.js';
import { DELIVERIES } from '../../../src/routing/flows.js';
import type { Connector, WriteResult } from '../../../src/routing/ports.js';
import { RoutedFlow } from '../../../src/routing/routed-flow.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';

const APP = 'https://app.example.org/deliveries';

const delivery = (id: string, identifier: { system: string; value: string }): Delivery => ({
  id,
  identifier,
  status: 'completed',
  destination: { id: 'fac-1' },
  lines: [],
});

function system(name: string, listed: Delivery[], held: Record<string, Delivery>): Connector {
  const refused = async (): Promise<WriteResult> => {
    throw new Error('no write in this test');
  };
  return {
    system: name,
    deliveries: {
      get: async (id) => held[id],
      search: async (c) => ({ items: listed.filter((d) => d.identifier.value === c.identifier?.value) }),
      confirm: refused,
    },
  };
}

for (const engine of engineCases())
  t.test(`${engine.name}: a fanned-out delivery found by the app's number, once`, { skip: engine.skip }, async (t) => {
    const { store } = await freshStore(engine, t);
    const outbox = new Outbox({ store, options: { deadlineMs: 2_000, pollMs: 20 } });
    t.teardown(() => outbox.stop());
    const written = delivery('d1', { system: APP, value: 'DL-1' });
    // the write's job to its system of record, and its fanned-out job to the second (key|system)
    const job = (id: string, on: string, key: string) =>
      store.recordWrite({
        id,
        flow: 'deliveries',
        system: on,
        idempotencyKey: key,
        payloadHash: 'h',
        payload: written,
        status: 'pending',
        attempts: 1,
        nextAttemptAt: 1_000,
        createdAt: 1_000,
      });
    await job('job-a', 'a', `delivery|${APP}|DL-1`);
    await job('job-b', 'b', `delivery|${APP}|DL-1|b`);
    await store.putLinks([
      { flow: 'deliveries', fhirId: 'd1', system: 'a', upstreamId: 'A-1', jobId: 'job-a' },
      { flow: 'deliveries', fhirId: 'd1', system: 'b', upstreamId: 'B-1', jobId: 'job-b', primary: false },
    ]);
    // the system of record holds it under its own number; the second lists it under the app's
    const a = system('a', [], { 'A-1': delivery('A-1', { system: 'urn:a:pod', value: 'POD-1' }) });
    const b = system('b', [delivery('B-1', { system: APP, value: 'DL-1' })], {});
    const flow = new RoutedFlow(DELIVERIES, [a, b], outbox, store);

    for (const identifier of [{ system: APP, value: 'DL-1' }, { value: 'DL-1' }]) {
      const page = await flow.search({ identifier });
      t.same(
        page.items.map((d) => d.id),
        ['d1'],
        `${identifier.system ? 'system|value' : 'value alone'}: the delivery once`,
      );
    }
  });

for (const engine of engineCases())
  t.test(`${engine.name}: the writes under the number read once for every system`, { skip: engine.skip }, async (t) => {
    const { store } = await freshStore(engine, t);
    const outbox = new Outbox({ store, options: { deadlineMs: 2_000, pollMs: 20 } });
    t.teardown(() => outbox.stop());
    // each store look-up by the number (any system's key), counted
    let lookups = 0;
    const counted = new Proxy(store, {
      get: (target, name, receiver) => {
        const value = Reflect.get(target, name, receiver);
        if (typeof value !== 'function') return value;
        if (['findJobsByKeyValue', 'findKeysOfMarkedValue', 'findNumberedJobs', 'findJobsByKey'].includes(String(name)))
          return (...args: unknown[]) => (lookups++, value.apply(target, args));
        return value.bind(target);
      },
    });
    const systems = ['a', 'b', 'c'].map((s) => system(s, [], {}));
    const flow = new RoutedFlow(DELIVERIES, systems, outbox, counted);
    await flow.search({ identifier: { value: 'DL-1' } });
    // by the number (completions), by its drafts' key values (one range): no key found, nothing more
    t.equal(lookups, 2, 'two look-ups for three systems, not two for each');
  });
