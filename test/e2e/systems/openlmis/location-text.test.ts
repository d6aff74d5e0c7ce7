/**
 * Issue 18: a Location searchset's text is assembled from entries whose text was made once
 * (fhir/search.ts, fhir/encoded-resources.ts) and sent as it is. Through the real connector and the
 * OpenLMIS sandbox, the bytes answered are what JSON.stringify gives for that Bundle, the same for
 * an unchanged page, and a facility renamed in OpenLMIS is answered renamed, in a text that is
 * still JSON.stringify's.
 */
import t from 'tap';
import { RIG_AUTH, startRig, type Rig } from '../../../support/openlmis-e2e.js';

async function text(rig: Rig, url: string): Promise<string> {
  const res = await fetch(`${rig.mediator.url}${url}`, {
    headers: { authorization: RIG_AUTH, accept: 'application/fhir+json', 'accept-encoding': 'identity' },
  });
  if (res.status !== 200) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  return res.text();
}

/** JSON.stringify of the Bundle the text holds: a text that is not JSON.stringify's differs. */
const restringified = (body: string) => JSON.stringify(JSON.parse(body));

t.test('a searchset is answered in JSON.stringify bytes, reused while nothing changed', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const first = await text(rig, '/fhir/Location?_count=20');
  t.equal(first, restringified(first), 'the first answer: JSON.stringify bytes');
  t.equal(JSON.parse(first).entry.length, 20, '20 entries');
  const second = await text(rig, '/fhir/Location?_count=20');
  t.equal(second, first, 'the same page again: the same bytes');
  const r5 = await text(rig, '/fhir/R5/Location?_count=20');
  t.equal(r5, restringified(r5), 'R5: JSON.stringify bytes');
  t.not(r5, first, 'R5 has its own text');

  const facility = JSON.parse(first).entry[3].resource;
  const token = await rig.lmis.login();
  const stored = (await rig.lmis.call('GET', `/api/facilities/${facility.id}`, token)).body;
  const renamed = { ...stored, name: `${stored.name} "renamed"` };
  t.equal((await rig.lmis.call('PUT', `/api/facilities/${facility.id}`, token, renamed)).status, 200);
  const third = await text(rig, '/fhir/Location?_count=20');
  t.equal(third, restringified(third), 'after the rename: JSON.stringify bytes');
  const entries = JSON.parse(third).entry as { resource: Record<string, any> }[];
  t.equal(entries.find((e) => e.resource.id === facility.id)!.resource.name, renamed.name, 'renamed');
  t.same(
    entries.filter((e) => e.resource.id !== facility.id),
    JSON.parse(first).entry.filter((e: { resource: { id: string } }) => e.resource.id !== facility.id),
    'the others as they were',
  );
  const none = await text(rig, '/fhir/Location?_count=20&name=zzzz-nothing');
  t.equal(none, restringified(none), 'no match: JSON.stringify bytes');
});
