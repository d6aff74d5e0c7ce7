/**
 * Links found from the upstream side (migration 13), on both engines: a search of a system finds
 * the writes that made or last changed each object it lists, newest first, and nothing of
 * another flow, another system or a link without a write.
 */
import t from 'tap';
import type { NewJob } from '../../../src/store/index.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';

function job(id: string, createdAt: number): NewJob {
  return {
    id,
    flow: 'order',
    system: 'openlmis',
    idempotencyKey: `order|k|${id}`,
    payloadHash: id,
    payload: { id },
    status: 'pending',
    attempts: 1,
    nextAttemptAt: createdAt,
    createdAt,
  };
}

for (const engine of engineCases()) {
  t.test(`${engine.name}: links to upstream objects`, { skip: engine.skip }, async (t) => {
    const { store } = await freshStore(engine, t);
    t.ok((await store.migrationVersions()).includes(13), 'migration 13 applied');
    await store.recordWrites(
      [job('j1', 1_000)],
      [{ flow: 'orders', fhirId: 'line-a', system: 'openlmis', jobId: 'j1' }],
    );
    await store.putLinks([{ flow: 'orders', fhirId: 'line-a', system: 'openlmis', upstreamId: 'REQ-1' }]);
    await new Promise((r) => setTimeout(r, 5)); // the second write's links are newer
    await store.recordWrites(
      [job('j2', 2_000)],
      [
        { flow: 'orders', fhirId: 'line-b', system: 'openlmis', jobId: 'j2', upstreamId: 'REQ-1' },
        { flow: 'orders', fhirId: 'line-c', system: 'msupply', jobId: 'j2', upstreamId: 'REQ-1' },
        { flow: 'deliveries', fhirId: 'line-d', system: 'openlmis', jobId: 'j2', upstreamId: 'REQ-1' },
      ],
    );
    // a search's own link, without a write
    await store.putLinks([{ flow: 'orders', fhirId: 'derived', system: 'openlmis', upstreamId: 'REQ-2' }]);

    const found = await store.linksToUpstream('orders', 'openlmis', ['REQ-1', 'REQ-2', 'REQ-9']);
    t.same(
      found.map((l) => [l.fhirId, l.upstreamId, l.jobId]),
      [
        ['line-b', 'REQ-1', 'j2'],
        ['line-a', 'REQ-1', 'j1'],
      ],
      'the writes of this flow and system, newest first; none for a link without a write',
    );
    t.same(await store.linksToUpstream('orders', 'openlmis', []), [], 'no ids, no query');
    t.same(
      (await store.linksToUpstream('orders', 'msupply', ['REQ-1'])).map((l) => l.fhirId),
      ['line-c'],
      'another system',
    );
  });
}
