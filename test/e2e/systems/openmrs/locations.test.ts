/**
 * OpenMRS end to end (issue 13 "Must show"): the real mediator (startMediator, embedded SQLite)
 * with only the OpenMRS connector, against the OpenMRS sandbox. Locations read through FHIR carry
 * the registry code as identifier and keep negative coordinates; a retirement shows in a
 * `_lastUpdated` sync; create, rename, retire and reactivate reach the sandbox exactly once each,
 * the rename across an expired session and a lost answer; a wrong password is reported by /ready
 * and on the first write instead of succeeding anonymously.
 */
import t, { type Test } from 'tap';
import { ADMIN_PASSWORD, LOC } from '../../../../sandbox/openmrs/index.js';
import { DEFAULT_REGISTRY_CODE_SYSTEM as CODE } from '../../../../src/systems/openmrs/settings.js';
import { until } from '../../../support/net.js';
import { OPENMRS_RIG_AUTH as AUTH, OPENMRS_RIG_PASSWORD, startOpenMrsRig } from '../../../support/openmrs-e2e.js';

/** The mediator on an OpenMRS sandbox of its own, signed in as admin with `password`; both go with `t`. */
async function rig(t: Test, password = ADMIN_PASSWORD) {
  const started = await startOpenMrsRig('openmrs-e2e', { OPENMRS_PASSWORD: password });
  t.teardown(() => started.close());
  const { sb, mediator, fhir } = started;
  /** Every outbox job delivered (a write whose answer was lost is retried by the worker). */
  const settled = async () => {
    const res = await fetch(`${mediator.url}/admin/outbox/jobs`, {
      headers: { authorization: `Bearer ${OPENMRS_RIG_PASSWORD}` },
    });
    const jobs = ((await res.json()) as { jobs: { status: string }[] }).jobs;
    return jobs.length > 0 && jobs.every((j) => j.status === 'done');
  };
  return { sb, mediator, fhir, settled };
}

const why = (res: { status: number; body?: any }) => res.body?.issue?.[0]?.diagnostics ?? `status ${res.status}`;
const codeOf = (r: any) => r.identifier?.find((i: any) => i.system === CODE)?.value;

t.test(
  'reads: registry code as identifier, negative coordinates intact, a retirement seen by _lastUpdated',
  async (t) => {
    const { sb, mediator, fhir } = await rig(t);
    const ready = await fetch(`${mediator.url}/ready`, { headers: { authorization: AUTH } });
    t.equal(ready.status, 200);
    t.ok(
      ((await ready.json()) as { checks: { name: string; status: string }[] }).checks.some(
        (c) => c.name === 'openmrs' && c.status === 'ok',
      ),
      '/ready checks OpenMRS',
    );

    const rio = await fhir('GET', '/fhir/Location?name=Rio');
    t.equal(rio.status, 200, why(rio));
    t.equal(rio.body.entry.length, 1);
    const r = rio.body.entry[0].resource;
    t.equal(codeOf(r), 'SBX-30001', 'the Master Facility Code attribute is Location.identifier');
    t.same(
      r.position,
      { longitude: -34.877, latitude: -8.0476 },
      'south of the equator and west of Greenwich, both kept',
    );
    const lumley = await fhir('GET', `/fhir/Location/${LOC.lumley}`);
    t.equal(lumley.body.position.longitude, -13.2317);
    // a client may send OpenMRS's uuid in capitals: OpenMRS finds it so, and the mediator sends
    // the client on to the id it serves it under (found by review S6: it was a 404)
    const moved = await fetch(`${mediator.url}/fhir/Location/${LOC.lumley.toUpperCase()}`, {
      headers: { authorization: AUTH },
      redirect: 'manual',
    });
    t.equal(moved.status, 301);
    t.equal(moved.headers.get('location'), `${mediator.url}/fhir/Location/${LOC.lumley}`);
    const shouted = await fhir('GET', `/fhir/Location/${LOC.lumley.toUpperCase()}`);
    t.equal(shouted.status, 200, why(shouted));
    t.equal(shouted.body.id, LOC.lumley, "answered under OpenMRS's own spelling");
    // a change sent to the id in capitals names the id to change it as, nothing written
    const putShouted = await fhir('PUT', `/fhir/Location/${LOC.lumley.toUpperCase()}`, {
      ...shouted.body,
      id: LOC.lumley.toUpperCase(),
      name: 'Lumley Renamed',
    });
    t.equal(putShouted.status, 409, why(putShouted));
    t.match(why(putShouted), new RegExp(`read and change it as ${LOC.lumley}`));
    t.not(sb.store.locations.get(LOC.lumley)!.name, 'Lumley Renamed');
    const blank = await fhir('GET', `/fhir/Location/${LOC.blankCoords}`);
    t.equal(blank.body.position, undefined, 'blank coordinates: no position');
    t.notMatch(blank.text, /NaN|null/);
    const byCode = await fhir('GET', `/fhir/Location?identifier=${encodeURIComponent(`${CODE}|SBX-10002`)}`);
    t.same(
      byCode.body.entry.map((e: any) => e.resource.id),
      [LOC.kilima],
    );

    const since = new Date(sb.store.now() - 1000).toISOString();
    await fetch(`${sb.url}/ws/rest/v1/location/${LOC.kilima}?reason=merged`, {
      method: 'DELETE',
      headers: { authorization: `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}` },
    });
    const sync = await fhir('GET', `/fhir/Location?_lastUpdated=ge${since}`);
    t.equal(sync.status, 200, why(sync));
    t.same(
      sync.body.entry.map((e: any) => [e.resource.id, e.resource.status]),
      [[LOC.kilima, 'inactive']],
      'the deactivation reaches an incremental sync',
    );
  },
);

t.test('name search: the start of the name or of any word in it, as the other systems answer it', async (t) => {
  // OpenMRS matched only the start of the whole name: "Azul" found nothing, DHIS2 and OpenLMIS found their "Rio Azul"
  const { fhir } = await rig(t);
  const names = async (value: string) => {
    const res = await fhir('GET', `/fhir/Location?name=${encodeURIComponent(value)}`);
    t.equal(res.status, 200, why(res));
    return (res.body.entry ?? []).map((e: any) => e.resource.name).sort();
  };
  t.same(await names('Azul'), ['Rio Azul Clinic'], 'a later word');
  t.same(await names('AZ'), ['Rio Azul Clinic'], 'its start, case-insensitive');
  t.same(await names('Rio'), ['Rio Azul Clinic'], 'the start of the name, as before');
  t.same(await names('zul'), [], 'not the middle of a word');
  t.same(await names('Health'), ['Lumley Community Health Post', 'Mwangaza Health Centre'], 'several');
});

t.test('create, rename (expired session, lost answer), retire, reactivate: each reaches OpenMRS once', async (t) => {
  const { sb, fhir, settled } = await rig(t);
  const id = 'registry-esperanza-1';
  const location = (over: Record<string, unknown> = {}) => ({
    resourceType: 'Location',
    id,
    identifier: [{ system: CODE, value: 'SBX-90001' }],
    status: 'active',
    name: 'Esperanza Clinic',
    mode: 'instance',
    position: { longitude: -77.0428, latitude: -12.0464 },
    address: { city: 'Lima', country: 'Peru' },
    ...over,
  });

  const created = await fhir('PUT', `/fhir/Location/${id}`, location());
  t.ok([200, 201].includes(created.status), why(created));
  t.same(sb.store.writes, { 'location.create': 1 });
  const uuid = [...sb.store.locations.values()].find((l) => l.name === 'Esperanza Clinic')!.uuid;
  const read = await fhir('GET', `/fhir/Location/${id}`);
  t.equal(read.status, 200, why(read));
  t.equal(codeOf(read.body), 'SBX-90001');
  t.same(read.body.position, { longitude: -77.0428, latitude: -12.0464 });

  // the session times out, and the rename's answer is lost after OpenMRS applied it
  sb.store.expireSessions();
  sb.faults.add({
    method: 'POST',
    path: `/openmrs/ws/rest/v1/location/${uuid}`,
    action: { type: 'afterApply', answer: { type: 'reset' } },
    times: 1,
  });
  const renamed = await fhir('PUT', `/fhir/Location/${id}`, location({ name: 'Esperanza Health Centre' }));
  t.ok([200, 201, 202].includes(renamed.status), why(renamed));
  await until('the rename delivered', settled, 20_000);
  t.equal((await fhir('GET', `/fhir/Location/${id}`)).body.name, 'Esperanza Health Centre');
  t.equal(sb.store.writes['location.update'], 1, 'renamed once: the retry found nothing left to change');
  t.equal(sb.store.locations.get(uuid)!.name, 'Esperanza Health Centre');

  const again = await fhir('PUT', `/fhir/Location/${id}`, location({ name: 'Esperanza Health Centre' }));
  t.ok(again.status < 300, why(again));
  t.equal(sb.store.writes['location.update'], 1, 'the same PUT again writes nothing');

  const retired = await fhir(
    'PUT',
    `/fhir/Location/${id}`,
    location({ name: 'Esperanza Health Centre', status: 'inactive' }),
  );
  t.ok(retired.status < 300, why(retired));
  await until('retired', settled, 10_000);
  t.equal(sb.store.locations.get(uuid)!.retired, true);
  const afterRetire = await fhir('GET', `/fhir/Location/${id}`);
  t.equal(afterRetire.body.status, 'inactive', afterRetire.text);
  // reactivated with a note: content identical to an earlier version would be taken by routing as
  // a repeat of that earlier write (FACILITIES.key is the content version), see the issue 13 note
  const back = await fhir(
    'PUT',
    `/fhir/Location/${id}`,
    location({ name: 'Esperanza Health Centre', description: 'reopened' }),
  );
  t.ok(back.status < 300, why(back));
  await until('reactivated', settled, 10_000);
  t.equal(sb.store.locations.get(uuid)!.retired, false);
  t.same(
    sb.store.writes,
    { 'location.create': 1, 'location.update': 3, 'location.retire': 1, 'location.unretire': 1 },
    "each change once (updates: the rename, the reactivation's description, the unretire)",
  );
  t.equal([...sb.store.locations.values()].filter((l) => l.name.startsWith('Esperanza')).length, 1, 'never a twin');
});

t.test('a wrong password: /ready and the first write say so; nothing is written anonymously', async (t) => {
  const wrong = 'Wrong-Pass-123';
  const { sb, mediator, fhir } = await rig(t, wrong);
  const ready = await fetch(`${mediator.url}/ready`, { headers: { authorization: AUTH } });
  const readyText = await ready.text();
  t.equal(ready.status, 200, 'degraded, not out of service');
  t.match(readyText, /"status":"degraded"/);
  t.match(readyText, /login as 'admin' refused \(not authenticated\)/);
  t.notMatch(readyText, new RegExp(wrong));
  const write = await fhir('PUT', '/fhir/Location/registry-x', {
    resourceType: 'Location',
    id: 'registry-x',
    identifier: [{ system: CODE, value: 'SBX-99999' }],
    status: 'active',
    name: 'Nowhere Clinic',
    mode: 'instance',
  });
  t.ok(write.status >= 400, `refused: ${write.status}`);
  t.match(why(write), /not authenticated/);
  t.notMatch(write.text, new RegExp(wrong));
  const search = await fhir('GET', '/fhir/Location?name=Rio');
  t.ok(search.status >= 400, 'reads are refused too, though OpenMRS would have served them to an anonymous caller');
  t.same(sb.store.writes, {});
});
