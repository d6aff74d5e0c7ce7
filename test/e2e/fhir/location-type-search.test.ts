/**
 * `Location?type=` as an mCSD client sends it (ITI-90): every Location carries the mCSD kind
 * coding (`…IHE.mCSD.Organization.Location.Types#facility | #jurisdiction`), which the mediator
 * adds and no system keeps. The code alone was asked of the system, so `type=…|facility` and
 * `type=facility` listed nothing, and a `system|code` of another system matched the code in any
 * system. Through the OpenLMIS sandbox (facilities and geographic zones), on both bases.
 */
import t from 'tap';
import { MCSD_LOCATION_TYPES } from '../../../src/fhir/conventions.js';
import { startRig } from '../../support/openlmis-e2e.js';

const LMIS_TYPES = 'http://fhir-supply-mediator.org/fhir/CodeSystem/openlmis-facility-type';

t.test('a type token matches the coding it names, the mCSD kind included', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const codesOf = (r: any): string[] =>
    (r.type ?? []).flatMap((c: any) => (c.coding ?? []).map((x: any) => `${x.system}|${x.code}`));
  const search = async (base: string, query: string) => {
    const res = await rig.fhir('GET', `${base}/Location?_count=200&${query}`);
    t.equal(res.status, 200, `${base} ${query}`);
    return (res.body.entry ?? []).map((e: any) => e.resource) as any[];
  };
  for (const base of ['/fhir', '/fhir/R5']) {
    const all = await search(base, '');
    const facilities = all.filter((r) => codesOf(r).includes(`${MCSD_LOCATION_TYPES}|facility`));
    const areas = all.filter((r) => codesOf(r).includes(`${MCSD_LOCATION_TYPES}|jurisdiction`));
    const healthCentres = all.filter((r) => codesOf(r).includes(`${LMIS_TYPES}|health_center`));
    t.ok(facilities.length && areas.length && healthCentres.length, `${base}: the sandbox lists all three`);
    t.ok(healthCentres.length < facilities.length, 'not every facility is a health centre');
    const ids = (rs: any[]) => rs.map((r) => r.id).sort();

    t.same(ids(await search(base, `type=${MCSD_LOCATION_TYPES}|facility`)), ids(facilities), 'mCSD facilities');
    t.same(ids(await search(base, `type=${MCSD_LOCATION_TYPES}|jurisdiction`)), ids(areas), 'mCSD jurisdictions');
    t.same(ids(await search(base, 'type=facility')), ids(facilities), 'a bare kind code, any system');
    t.same(ids(await search(base, 'type=jurisdiction')), ids(areas), 'a bare kind code, any system');
    t.same(ids(await search(base, `type=${LMIS_TYPES}|health_center`)), ids(healthCentres), 'a system type');
    t.same(ids(await search(base, 'type=health_center')), ids(healthCentres), 'a bare system code');
    t.same(await search(base, 'type=http://example.org/other|health_center'), [], 'that code in another system');
    t.same(await search(base, `type=${MCSD_LOCATION_TYPES}|health_center`), [], 'no such mCSD kind');
  }
});
