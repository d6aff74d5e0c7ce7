/**
 * A read never changes which system a fanned-out write's FHIR id reads from. A delivery sent to
 * two systems links its R5 id in both, the second marked not of record. A search answered by the
 * second system lists it again (the same FHIR id, through the write's link), and that link was
 * upserted as of record and newer: every later read by the id went to the secondary system.
 * A read's link now keeps the stored mark. Over the real store, both engines.
 */
import t from 'tap';
import type { Delivery } from '../../../src/domain/index.js';
import { Outbox } from '../../../src/outbox/outbox.js';
import { DELIVERIES } from '../../../src/routing/flows.js';
import type { Connector, WriteResult } from '../../../src/routing/ports.js';
import { RoutedFlow } from '../../../src/routing/routed-flow.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';

const APP = 'https://app.example.org/deliveries';

/** As a connector reads it (source.id: its upstream id), or as the write sent it (no source). */
const delivery = (id: string, value: string, quantity: number, source?: string): Delivery => ({
  id,
  identifier: { system: APP, value },
  ...(source ? { source: { system: 'urn:upstream', id: source } } : {}),
  status: 'completed',
  destination: { id: 'fac-1' },
  lines: [{ product: { system: 'urn:p', code: 'P1' }, quantityAccepted: { value: quantity, unit: 'dispensing-unit' } }],
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
  t.test(
    `${engine.name}: a search on the secondary system keeps the primary link`,
    { skip: engine.skip },
    async (t) => {
      const { store } = await freshStore(engine, t);
      const outbox = new Outbox({ store, options: { deadlineMs: 2_000, pollMs: 20 } });
      t.teardown(() => outbox.stop());
      const written = delivery('d1', 'DL-1', 10);
      // each delivered, as the outbox ends a job: its system's id in the result
      const delivered = async (id: string, on: string, key: string, upstreamId: string) => {
        await store.recordWrite({
          id,
          flow: 'deliveries',
          system: on,
          idempotencyKey: key,
          payloadHash: 'h',
          payload: written,
          status: 'pending',
          attempts: 0,
          nextAttemptAt: 1_000,
          createdAt: 1_000,
        });
        const lease = { system: on, flows: ['deliveries'], limit: 1, leaseOwner: 'test', leaseMs: 60_000, now: 1_000 };
        t.same(
          (await store.claimJobs(lease)).map((j) => j.id),
          [id],
        );
        t.ok(
          await store.finishJob(id, 'test', { status: 'done', result: { system: on, ids: { id: upstreamId } } }, 1_001),
        );
      };
      await delivered('job-a', 'a', `delivery|${APP}|DL-1`, 'A-1');
      await delivered('job-b', 'b', `delivery|${APP}|DL-1|b`, 'B-1');
      // as the accept links a fanned-out write: the system of record, then the second, not of record
      await store.putLinks([
        { flow: 'deliveries', fhirId: 'd1', system: 'a', upstreamId: 'A-1', jobId: 'job-a' },
        { flow: 'deliveries', fhirId: 'd1', system: 'b', upstreamId: 'B-1', jobId: 'job-b', primary: false },
      ]);
      // each system holds it under its own id; only the second lists it by the app's number
      const a = system('a', [], { 'A-1': delivery('A-1', 'DL-1', 10, 'A-1') });
      const atB = delivery('B-1', 'DL-1', 7, 'B-1');
      const b = system('b', [atB], { 'B-1': atB });
      const flow = new RoutedFlow(DELIVERIES, [a, b], outbox, store);

      const page = await flow.search({ identifier: { system: APP, value: 'DL-1' } });
      t.same(
        page.items.map((d) => d.id),
        ['d1'],
        'the secondary system lists the write under its FHIR id',
      );
      const link = await store.getLink('deliveries', 'd1');
      t.same([link?.system, link?.upstreamId], ['a', 'A-1'], 'the FHIR id still reads from the system of record');
      const secondary = (await store.linksToUpstream('deliveries', 'b', ['B-1']))[0];
      t.equal(secondary?.primary, false, "the secondary's link is still marked not of record");
      t.equal(
        (await flow.read('d1'))?.lines[0].quantityAccepted?.value,
        10,
        'a read by it answers as the primary holds it',
      );
    },
  );
