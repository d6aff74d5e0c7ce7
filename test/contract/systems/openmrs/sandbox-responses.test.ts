/**
 * The sandbox answers in the shapes real OpenMRS servers gave (../shared/fixtures/openmrs): same
 * keys in each representation, same value types (null where the fixture has a value is allowed,
 * a value where it has null too: fields are optional text), nested representations included.
 */
import { readFileSync } from 'node:fs';
import t from 'tap';
import { ADMIN_PASSWORD, LOC, startOpenMrsSandbox } from '../../../../sandbox/openmrs/index.js';

const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`../../../../../shared/fixtures/openmrs/${name}`, import.meta.url), 'utf8'));

type J = unknown;
const kind = (v: J) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

/** Differences in shape between an answer and a real payload; `extra`: keys the answer may add. */
function shapeDiff(got: J, want: J, path: string, out: string[], extra: Set<string> = new Set()): string[] {
  if (want === null || got === null) return out;
  if (kind(got) !== kind(want)) {
    out.push(`${path}: ${kind(got)} where the real payload has ${kind(want)}`);
    return out;
  }
  if (Array.isArray(want) && Array.isArray(got)) {
    if (want.length && got.length) shapeDiff(got[0], want[0], `${path}[0]`, out, extra);
    return out;
  }
  if (kind(want) === 'object') {
    const g = got as Record<string, J>;
    const w = want as Record<string, J>;
    for (const k of Object.keys(w)) if (!(k in g)) out.push(`${path}.${k}: missing`);
    for (const k of Object.keys(g)) if (!(k in w) && !extra.has(k)) out.push(`${path}.${k}: not in the real payload`);
    for (const k of Object.keys(w)) if (k in g && k !== 'links') shapeDiff(g[k], w[k], `${path}.${k}`, out, extra);
  }
  return out;
}

const auth = { authorization: `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}` };

t.test('sandbox representations match real payloads', async (t) => {
  const sb = await startOpenMrsSandbox();
  t.teardown(() => sb.close());
  const get = async (path: string) => {
    const res = await fetch(`${sb.url}/ws/rest/v1/${path}`, { headers: auth });
    t.equal(res.status, 200, path);
    return res.json() as Promise<Record<string, any>>;
  };

  const session = await get('session');
  const realSession = fixture('rest-session-authenticated.json');
  // userProperties is a free map of one user's preferences (emrapi's recent patients …): its keys are data, not shape
  realSession.user.userProperties = { loginAttempts: realSession.user.userProperties.loginAttempts };
  t.same(shapeDiff(session, realSession, 'session', [], new Set(['currentProvider'])), [], 'GET /session');
  t.equal(session.authenticated, true);

  // v=full, a location with a parent, tags, attributes and children (Mwangaza)
  const full = await get(`location/${LOC.mwangaza}?v=full`);
  const realFull = fixture('rest-location-admission-locations-full.json').results.find(
    (l: any) => l.parentLocation && l.tags.length,
  );
  t.same(shapeDiff(full, realFull, 'full', []), [], 'v=full: keys, nested DEFAULT tags and parent, auditInfo');
  t.same(Object.keys(full), Object.keys(realFull), 'v=full keys in the real order');
  const realWithAttr = fixture('rest-location-visit-locations-full.json').results.find((l: any) => l.attributes.length);
  t.same(
    shapeDiff(full.attributes[0], realWithAttr.attributes[0], 'full.attributes[0]', []),
    [],
    'attribute at DEFAULT under v=full',
  );
  t.same(
    full.links.map((l: any) => l.rel),
    realFull.links.map((l: any) => l.rel),
  );

  // v=default search by q: the docs' example predates address3..15 (core 2.0 adds them)
  const amani = fixture('rest-location-search-q-amani-default.json');
  const byQ = await get('location?q=mwangaza%20h&v=default');
  const address3to15 = new Set(Array.from({ length: 13 }, (_, i) => `address${i + 3}`));
  t.same(
    shapeDiff(byQ, amani, 'default', [], address3to15),
    [],
    'v=default: tags, parent, children as REF, links self+full',
  );
  t.equal(byQ.results.length, 1);

  // the attribute sub-resource
  const attrs = await get(`location/${LOC.mwangaza}/attribute`);
  t.same(
    shapeDiff(attrs, fixture('rest-location-attribute-list.json'), 'attribute', []),
    [],
    'GET /location/{uuid}/attribute',
  );

  // FHIR2 Location search by tag
  const fhirRes = await fetch(`${sb.url}/ws/fhir2/R4/Location?_tag=login%20location&_count=50`, { headers: auth });
  const bundle = (await fhirRes.json()) as Record<string, any>;
  const realBundle = fixture('fhir2-location-search-login-location-tag.json');
  t.equal(bundle.resourceType, realBundle.resourceType);
  t.equal(bundle.type, realBundle.type);
  const realTagSystem = realBundle.entry[0].resource.meta.tag[0].system;
  t.ok(bundle.entry.length > 0);
  t.ok(
    bundle.entry.every((e: any) => e.resource.meta.tag.every((x: any) => x.system === realTagSystem)),
    'tags under the real system',
  );
  t.ok(
    bundle.entry.every((e: any) => e.resource.identifier === undefined),
    'no identifiers, like FHIR2',
  );
  t.ok(
    realBundle.entry.every((e: any) => e.resource.identifier === undefined),
    '(nor in the real answer)',
  );
});

t.test('custom representations give exactly the properties asked, nested ones as asked', async (t) => {
  const sb = await startOpenMrsSandbox();
  t.teardown(() => sb.close());
  const res = await fetch(
    `${sb.url}/ws/rest/v1/location/${LOC.mwangaza}?v=custom:(uuid,latitude,tags:(name),parentLocation:ref,attributes:(attributeType:(name),value))`,
    { headers: auth },
  );
  const body = (await res.json()) as Record<string, any>;
  t.same(Object.keys(body), ['uuid', 'latitude', 'tags', 'parentLocation', 'attributes']);
  t.equal(body.latitude, '-1.2921', 'coordinates are strings');
  t.same(
    body.tags.map((x: any) => Object.keys(x)),
    [['name'], ['name'], ['name']],
  );
  t.same(Object.keys(body.parentLocation), ['uuid', 'display', 'links']);
  t.same(body.attributes, [{ attributeType: { name: 'Master Facility Code' }, value: 'SBX-10001' }]);
  const bad = await fetch(`${sb.url}/ws/rest/v1/location/${LOC.mwangaza}?v=custom:(uuid,nosuch)`, { headers: auth });
  t.equal(bad.status, 400);
  t.match(await bad.json(), { error: { message: /Unknown property/ } });
});
