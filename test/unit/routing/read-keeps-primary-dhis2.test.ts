/**
 * read-keeps-primary through the real DHIS2 connector and its sandbox as the secondary system: a
 * delivery fanned out to a system of record and to DHIS2 (a consignment, written by the
 * connector's own confirm, as the outbox delivers it) is listed by a DHIS2 search of its facility
 * under the write's FHIR id; that search leaves the FHIR id reading from the system of record.
 * Over the real store, both engines.
 */
import t from 'tap';
import type { Delivery } from '../../../src/domain/index.js';
import { Outbox } from '../../../src/outbox/outbox.js';
import { DELIVERIES, secondaryKey } from '../../../src/routing/flows.js';
import type { Connector, WriteResult } from '../../../src/routing/ports.js';
import { RoutedFlow } from '../../../src/routing/routed-flow.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';
import { consignmentCapability } from '../../support/dhis2-consignments.js';
import { memoryJournal, startHarness } from '../systems/dhis2/harness.js';

const SHIPMENTS = 'https://msupply.example.org/shipments';
const GTIN = 'https://www.gs1.org/gtin';
const CONDOM = '10860012300034';

const written = (quantity: number): Delivery => ({
  id: 'd1',
  identifier: { system: SHIPMENTS, value: 'SHP-RG-1' },
  status: 'completed',
  occurredAt: '2026-12-02T10:00:00Z',
  destination: { identifier: { system: 'http://dhis2.org/identifiertypes#code', value: 'LK-HC-102' } },
  lines: [{ product: { system: GTIN, code: CONDOM }, quantityAccepted: { value: quantity, unit: 'dispensing-unit' } }],
});

/** The system of record: holds the delivery as written under its own id, lists nothing by facility. */
function systemOfRecord(held: Delivery): Connector {
  return {
    system: 'a',
    deliveries: {
      get: async (id) => (id === 'A-1' ? { ...held, source: { system: 'urn:a', id: 'A-1' } } : undefined),
      search: async () => ({ items: [] }),
      confirm: async (): Promise<WriteResult> => {
        throw new Error('delivered by the test');
      },
    },
  };
}

for (const engine of engineCases())
  t.test(`${engine.name}: a DHIS2 search of the facility keeps the primary link`, { skip: engine.skip }, async (t) => {
    const { store } = await freshStore(engine, t);
    const outbox = new Outbox({ store, options: { deadlineMs: 2_000, pollMs: 20 } });
    t.teardown(() => outbox.stop());
    const h = await startHarness();
    t.teardown(h.close);
    const hc = h.sandbox.state.summary().orgUnits['LK-HC-102'];
    const dhis2: Connector = { system: 'dhis2', deliveries: consignmentCapability(h.client) };
    const delivery = written(1440);
    const key = `delivery|${SHIPMENTS}|SHP-RG-1`;

    // as the outbox delivers each job of the fanned-out write and the accept links it
    const delivered = async (id: string, system: string, idempotencyKey: string, result: WriteResult) => {
      await store.recordWrite({
        id,
        flow: 'deliveries',
        system,
        idempotencyKey,
        payloadHash: 'h',
        payload: delivery,
        status: 'pending',
        attempts: 0,
        nextAttemptAt: 1_000,
        createdAt: 1_000,
      });
      const lease = { system, flows: ['deliveries'], limit: 1, leaseOwner: 'test', leaseMs: 60_000, now: 1_000 };
      t.same(
        (await store.claimJobs(lease)).map((j) => j.id),
        [id],
      );
      t.ok(await store.finishJob(id, 'test', { status: 'done', result }, 1_001));
    };
    await delivered('job-a', 'a', key, { system: 'a', ids: { id: 'A-1' } });
    await dhis2.deliveries!.precheck!(delivery);
    const atDhis2 = await dhis2.deliveries!.confirm(delivery, memoryJournal('rg-fan-out'));
    const dhis2Id = Object.values(atDhis2.ids ?? {})[0]; // its org unit ~ reference
    t.ok(dhis2Id, `DHIS2 took the consignment: ${JSON.stringify(atDhis2)}`);
    await delivered('job-b', 'dhis2', secondaryKey(key, 'dhis2'), atDhis2);
    await store.putLinks([
      { flow: 'deliveries', fhirId: 'd1', system: 'a', upstreamId: 'A-1', jobId: 'job-a' },
      { flow: 'deliveries', fhirId: 'd1', system: 'dhis2', upstreamId: dhis2Id, jobId: 'job-b', primary: false },
    ]);
    // a DHIS2 user corrects the quantity it holds: a read from DHIS2 would answer 1000
    for (const e of h.sandbox.tracker.events.values())
      for (const d of e.dataValues) if (d.value === '1440') d.value = '1000';
    const flow = new RoutedFlow(DELIVERIES, [systemOfRecord(delivery), dhis2], outbox, store);

    const page = await flow.search({ facility: hc });
    t.same(
      page.items.map((d) => d.id),
      ['d1'],
      'DHIS2 lists the consignment under the write’s FHIR id',
    );
    const link = await store.getLink('deliveries', 'd1');
    t.same([link?.system, link?.upstreamId], ['a', 'A-1'], 'the FHIR id still reads from the system of record');
    t.equal(
      (await flow.read('d1'))?.lines[0].quantityAccepted?.value,
      1440,
      'a read by it answers as the system of record holds it',
    );
  });
