/**
 * The Android FHIR SDK's incremental download (`_lastUpdated=gt` the latest time it saw, sorted by
 * `_lastUpdated`) across changes made within one second, through the real mediator and the
 * OpenLMIS sandbox, on both store engines. OpenLMIS keeps a requisition's `modifiedDate` to the
 * whole second: an order amended in the same second as the download that brought it carried the
 * same time, so every later download (`gt` that time) left the amendment out for good and the
 * phone kept the old quantity. Each version must download once, at the version its write
 * answered, and not again.
 */
import { randomUUID } from 'node:crypto';
import t, { type Test } from 'tap';
import { download, patchHeaders } from '../../support/android-sdk.js';
import { orderLine, startRigOn, why } from '../../support/openlmis-e2e.js';
import { engineCases } from '../../support/outbox-engines.js';

const etagOf = (header: string | null) => header?.replace(/^W\/"|"$/g, '');

/** Resolves just after a second begins, so what follows fits inside one second. */
const startOfSecond = () => new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000) + 20));

/** The order's PUT, the download that brings it and its amendment, meant to fall in one OpenLMIS second. */
async function amendWithinTheDownloadsSecond(rig: Awaited<ReturnType<typeof startRigOn>>, t: Test) {
  const facilityId = rig.lmis.seed.facilities['LK-HC-101'];
  const id = randomUUID();
  const line = {
    ...orderLine({ order: 'SAME-SEC-1', facilityId, program: 'EM01', productCode: 'EM-ORS', qty: 40 }),
    id,
  };
  await startOfSecond();
  const put = await rig.fhir('PUT', `/fhir/SupplyRequest/${id}`, line);
  t.equal(put.status, 201, why(put));
  const morning = await download(rig, '1970-01-01T00:00:00Z', 'SupplyRequest');
  t.equal(morning.resources.get(id)?.quantity.value, 40, 'the order downloads');
  const amend = [{ op: 'replace', path: '/quantity/value', value: 60 }];
  const patched = await rig.fhir('PATCH', `/fhir/SupplyRequest/${id}`, amend, patchHeaders);
  t.equal(patched.status, 200, why(patched));
  const modified: string = rig.lmis.sb.state
    .requisitionsByStatus()
    .find((r: { facilityId: string }) => r.facilityId === facilityId)!.modifiedDate;
  return { id, morning, patched, modified, sameSecond: morning.latest.startsWith(modified.slice(0, 19)) };
}

/** A machine busy enough to stretch the three calls past one second misses the case: tried again on a fresh rig. */
const TRIES = 3;

for (const engine of engineCases()) {
  t.test(`an order amended in the second it downloaded (${engine.name})`, { skip: engine.skip }, async (t) => {
    let rig = await startRigOn(t, engine);
    let scenario = await amendWithinTheDownloadsSecond(rig, t);
    for (let i = 1; i < TRIES && !scenario.sameSecond; i++) {
      t.comment(`try ${i}: the amendment (${scenario.modified}) fell after the download's second; again`);
      rig = await startRigOn(t, engine);
      scenario = await amendWithinTheDownloadsSecond(rig, t);
    }
    const { id, morning, patched, modified } = scenario;
    t.ok(scenario.sameSecond, `amended in the second of the download (${modified})`);

    const next = await download(rig, morning.latest, 'SupplyRequest');
    t.same(next.ids, [id], 'the amendment downloads, once');
    t.equal(next.resources.get(id)?.quantity.value, 60, 'with its new quantity');
    t.equal(next.etags.get(id), etagOf(patched.headers.get('etag')), 'at the version the PATCH answered');
    t.ok(next.latest > morning.latest, 'later than the version before it');
    const read = await rig.fhir('GET', `/fhir/SupplyRequest/${id}`);
    t.equal(read.body.meta.lastUpdated, next.latest, 'a read gives the same time');
    t.equal(read.body.meta.lastUpdated.slice(0, 19), modified.slice(0, 19), 'inside OpenLMIS’s second');
    t.same((await download(rig, next.latest, 'SupplyRequest')).ids, [], 'and not again');
  });
}
