/**
 * resource_links keyed by (flow, FHIR id, system) with the system of record marked (migration v5),
 * on both engines: a fanned-out write links one FHIR id in two systems, reads find the system of
 * record's link whichever was written last, and links written before v5 stay of record.
 */
import t from 'tap';
import { engineCases, freshStore } from '../support/outbox-engines.js';

for (const engine of engineCases()) {
  t.test(`${engine.name}: one FHIR id linked in two systems`, { skip: engine.skip }, async (t) => {
    const { store } = await freshStore(engine, t);
    await store.putLinks([{ flow: 'stock', fhirId: 'r1', system: 'openlmis', jobId: 'j1' }]);
    await store.putLinks([{ flow: 'stock', fhirId: 'r1', system: 'test', jobId: 'j2', primary: false }]);
    const link = await store.getLink('stock', 'r1');
    t.equal(link?.system, 'openlmis', 'the system of record answers, though the secondary link is newer');
    t.equal(link?.jobId, 'j1');
    t.equal(link?.primary, undefined, 'a link of record carries no primary=false');
    // a later upstream id for the secondary does not touch the primary's link
    await store.putLinks([{ flow: 'stock', fhirId: 'r1', system: 'test', upstreamId: 'u2', primary: false }]);
    const again = await store.getLink('stock', 'r1');
    t.same([again?.system, again?.jobId, again?.upstreamId], ['openlmis', 'j1', undefined]);
    await store.putLinks([{ flow: 'stock', fhirId: 'r2', system: 'test', jobId: 'j3', primary: false }]);
    t.equal((await store.getLink('stock', 'r2'))?.primary, false, 'an id only a secondary holds is still found, marked');
  });
}
