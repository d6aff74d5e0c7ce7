/**
 * A change to a facility a person has not settled is held, visibly, and released by the decision;
 * a registry may also push its Locations (mCSD feed) into the same propagation. Through the admin
 * API as an operator uses it, with the real connectors and sandboxes behind it.
 */
import Fastify from 'fastify';
import t from 'tap';
import { facilityId } from '../../../../sandbox/mfr/index.js';
import { LOC } from '../../../../sandbox/openmrs/index.js';
import { reviewRoutes } from '../../../../src/registry/review-routes.js';
import { propagationRoutes } from '../../../../src/registry/propagation/routes.js';
import { registryFeedRoutes } from '../../../../src/registry/propagation/feed-routes.js';
import type { Connector } from '../../../../src/routing/ports.js';
import { drain, startPropagationRig, type PropagationRig } from '../../../support/propagation-rig.js';

const CODE = 'LK-HC-101';
const REGISTRY_ID = facilityId(CODE);
const TOKEN = 'propagation-admin-Lk2';

const connector = (rig: PropagationRig, system: string): Connector =>
  rig.connectors.list().find((x) => x.system === system)!;

async function idByCode(c: Connector, code: string): Promise<string> {
  const { items } = await c.facilities!.search({ identifier: { value: code } });
  return items.find((f) => f.kind === 'facility')!.id!;
}

async function adminApp(rig: PropagationRig) {
  const app = Fastify();
  const propagator = rig.side.propagator;
  await app.register(reviewRoutes, {
    prefix: '/admin',
    store: rig.store,
    adminToken: TOKEN,
    onDecision: (system) => propagator.releaseHeld(system),
  });
  await app.register(propagationRoutes, { prefix: '/admin', store: rig.store, propagator, adminToken: TOKEN });
  await app.register(registryFeedRoutes, {
    propagator,
    settings: () => rig.settings,
    store: rig.store,
    registry: rig.side.registry,
  });
  return app;
}

const auth = { authorization: `Bearer ${TOKEN}` };

t.test('a change held while the DHIS2 record is in review is released by an accept', async (t) => {
  const rig = await startPropagationRig({ routing: { default: null } });
  t.teardown(() => rig.close());
  const app = await adminApp(rig);
  t.teardown(() => app.close());
  const dhis2Id = await idByCode(connector(rig, 'dhis2'), CODE);
  await rig.link('openlmis', await idByCode(connector(rig, 'openlmis'), CODE), REGISTRY_ID);
  await rig.link('openmrs', LOC.mwangaza, REGISTRY_ID);
  await rig.store.upsertCrosswalk({
    system: 'dhis2',
    systemId: dhis2Id,
    registryId: REGISTRY_ID,
    state: 'review',
    zone: 'review',
    score: 4.2,
    reasons: [],
    suggestions: [{ registryId: REGISTRY_ID, score: 4.2, reasons: [] }],
    decidedBy: 'auto',
    decidedAt: new Date().toISOString(),
  });
  await rig.pull();
  rig.mfr.state.rename(CODE, 'Mberewa Health Centre (Upgraded)');
  await rig.pull();

  const held = await app.inject({ method: 'GET', url: '/admin/propagation?state=held', headers: auth });
  t.equal(held.statusCode, 200);
  const row = held.json().items.find((i: { registryId: string }) => i.registryId === REGISTRY_ID);
  t.match(row, {
    system: 'dhis2',
    state: 'held',
    reason: /in the review queue/,
    name: 'Mberewa Health Centre (Upgraded)',
  });
  t.equal((await connector(rig, 'dhis2').facilities!.get(dhis2Id))?.name, 'Mberewa Health Centre', 'DHIS2 untouched');
  t.equal(
    (await connector(rig, 'openlmis').facilities!.get(await idByCode(connector(rig, 'openlmis'), CODE)))?.name,
    'Mberewa Health Centre (Upgraded)',
    'the other systems are not held back',
  );

  const accept = await app.inject({
    method: 'POST',
    url: `/admin/reconcile/dhis2/${dhis2Id}/accept`,
    headers: { ...auth, 'x-actor': 'dm@moh' },
    payload: { registryId: REGISTRY_ID },
  });
  t.equal(accept.statusCode, 200, accept.body);
  await drain(rig.store);
  t.equal((await connector(rig, 'dhis2').facilities!.get(dhis2Id))?.name, 'Mberewa Health Centre (Upgraded)');
  t.match(await rig.store.getPropagation(REGISTRY_ID, 'dhis2'), { state: 'done', systemId: dhis2Id });
  const counts = (await app.inject({ method: 'GET', url: '/admin/propagation', headers: auth })).json().counts;
  t.notOk(counts.dhis2?.held, 'nothing held any more');
});

t.test('a Location pushed to the feed propagates; a bad one is refused and changes nothing', async (t) => {
  const rig = await startPropagationRig({ routing: { default: null } });
  t.teardown(() => rig.close());
  const app = await adminApp(rig);
  t.teardown(() => app.close());
  const lmisId = await idByCode(connector(rig, 'openlmis'), CODE);
  await rig.link('openlmis', lmisId, REGISTRY_ID);
  await rig.pull();
  const location = rig.mfr.state.latest('Location', REGISTRY_ID)!.resource!;
  // with the source's own instant: a push without one is taken only as what the registry holds
  const pushed = {
    ...location,
    name: 'Mberewa Health Centre (pushed)',
    meta: { versionId: '900', lastUpdated: new Date(Date.now() + 60_000).toISOString() },
  };

  const bad = await app.inject({
    method: 'PUT',
    url: `/registry/Location/${REGISTRY_ID}`,
    headers: { ...auth, 'content-type': 'application/fhir+json' },
    payload: { ...pushed, status: 'open-ish' },
  });
  t.equal(bad.statusCode, 400);
  t.match(bad.json(), { resourceType: 'OperationOutcome', issue: [{ expression: ['Location.status'] }] });
  t.equal((await rig.store.getRegistryRecord(REGISTRY_ID))?.version, '1', 'the bad push changed nothing');

  // Bundles the feed cannot take as meant: one bad entry takes none
  const bundleOf = (...entry: object[]) => ({
    method: 'POST' as const,
    url: '/registry',
    headers: { ...auth, 'content-type': 'application/fhir+json' },
    payload: { resourceType: 'Bundle', type: 'batch', entry },
  });
  const otherUrl = await app.inject(
    bundleOf({ resource: pushed, request: { method: 'PUT', url: 'Location/some-other-facility' } }),
  );
  t.equal(otherUrl.statusCode, 400, 'a PUT whose URL names another Location');
  t.match(otherUrl.json(), {
    resourceType: 'OperationOutcome',
    issue: [{ expression: ['Bundle.entry[0].request.url'], diagnostics: /some-other-facility.*Location\// }],
  });
  const twice = await app.inject(
    bundleOf(
      { resource: pushed, request: { method: 'PUT', url: `Location/${REGISTRY_ID}` } },
      { request: { method: 'DELETE', url: `Location/${REGISTRY_ID}` } },
    ),
  );
  t.equal(twice.statusCode, 400, 'one Location changed twice in one Bundle');
  t.match(twice.json(), { issue: [{ expression: ['Bundle.entry[1]'], diagnostics: /Bundle\.entry\[0\]/ }] });
  t.equal((await rig.store.getRegistryRecord(REGISTRY_ID))?.version, '1', 'the refused Bundles changed nothing');

  const ok = await app.inject({
    method: 'POST',
    url: '/registry',
    headers: { ...auth, 'content-type': 'application/fhir+json' },
    payload: {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [{ resource: pushed, request: { method: 'PUT', url: `Location/${REGISTRY_ID}` } }],
    },
  });
  t.equal(ok.statusCode, 200, ok.body);
  await drain(rig.store);
  t.equal((await connector(rig, 'openlmis').facilities!.get(lmisId))?.name, 'Mberewa Health Centre (pushed)');
  const again = await app.inject({
    method: 'PUT',
    url: `/registry/Location/${REGISTRY_ID}`,
    headers: { ...auth, 'content-type': 'application/fhir+json' },
    payload: pushed,
  });
  t.match(again.json().issue[0].diagnostics, /^0 change/, 'the same version again is not a change');
});
