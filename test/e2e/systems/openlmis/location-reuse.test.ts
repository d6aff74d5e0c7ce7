/**
 * Issue 18: a Location search reuses the encoding of a facility that has not changed since the
 * last search (fhir/encoded-resources.ts). Through the real connector and the OpenLMIS sandbox:
 * equal content keeps its ETag, a facility changed in OpenLMIS is answered as it now is with a new
 * ETag and a later lastUpdated, every versionId is the hash of what is answered (on R5, of the
 * same state as R4 renders it), and R4 and R5 searches each get their own encoding.
 */
import t from 'tap';
import { versionOfText } from '../../../../src/fhir/version-id.js';
import { startRig, why, type Rig } from '../../../support/openlmis-e2e.js';

type Resource = Record<string, any>;

async function page(rig: Rig, url: string): Promise<Resource[]> {
  const res = await rig.fhir('GET', url);
  if (res.status !== 200) throw new Error(`${url}: ${why(res)}`);
  return (res.body.entry as { resource: Resource }[]).map((e) => e.resource);
}

/** The versionId of what is answered: the hash of its JSON text, meta left out (fhir/version-id.ts). */
const hashOf = (r: Resource) => {
  const { meta: _meta, ...content } = r;
  return versionOfText(JSON.stringify(content));
};

t.test('an unchanged facility keeps its ETag; a changed one is answered as it is now', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const first = await page(rig, '/fhir/Location?_count=20');
  const second = await page(rig, '/fhir/Location?_count=20');
  t.equal(first.length, 20);
  t.same(second, first, 'the same page twice: the same Locations, ETags and lastUpdated');
  t.ok(
    second.every((r) => r.meta.versionId === hashOf(r)),
    'every versionId is the hash of the Location answered',
  );
  const facility = first.find((r) => r.physicalType.coding[0].code === 'si')!;
  const read = await rig.fhir('GET', `/fhir/Location/${facility.id}`);
  t.equal(read.headers.get('etag'), `W/"${facility.meta.versionId}"`, 'a read by id carries the same ETag');

  // renamed in OpenLMIS through its own API (PUT replaces the whole facility)
  const token = await rig.lmis.login();
  const stored = (await rig.lmis.call('GET', `/api/facilities/${facility.id}`, token)).body;
  await new Promise((r) => setTimeout(r, 5)); // the new sighting's time is later
  const renamed = { ...stored, name: `${stored.name} (renamed)` };
  const put = await rig.lmis.call('PUT', `/api/facilities/${facility.id}`, token, renamed);
  t.equal(put.status, 200, 'renamed in OpenLMIS');
  const third = await page(rig, '/fhir/Location?_count=20');
  const changed = third.find((r) => r.id === facility.id)!;
  t.equal(changed.name, renamed.name, 'the new name is answered');
  t.not(changed.meta.versionId, facility.meta.versionId, 'a new ETag');
  t.equal(changed.meta.versionId, hashOf(changed), 'the hash of the renamed Location');
  t.ok(changed.meta.lastUpdated > facility.meta.lastUpdated, 'lastUpdated moves on');
  t.same(
    third.filter((r) => r.id !== facility.id),
    first.filter((r) => r.id !== facility.id),
    'the others as they were',
  );
  const reread = await rig.fhir('GET', `/fhir/Location/${facility.id}`);
  t.equal(reread.headers.get('etag'), `W/"${changed.meta.versionId}"`, 'a read by id agrees');

  const r5 = await page(rig, '/fhir/R5/Location?_count=20');
  const sameInR5 = r5.find((r) => r.id === facility.id)!;
  t.ok(sameInR5.form && !sameInR5.physicalType, 'R5 answers the R5 encoding (form)');
  // one state, one version on both bases (version-across-releases.test.ts): hashed from R4's
  t.equal(sameInR5.meta.versionId, changed.meta.versionId, 'with the version of the same state on R4');
  const r4Again = await page(rig, '/fhir/Location?_count=20');
  t.ok(
    r4Again.every((r) => r.physicalType && !r.form),
    'and R4 still the R4 one',
  );
});
