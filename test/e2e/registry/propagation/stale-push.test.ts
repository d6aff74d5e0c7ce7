/**
 * A push without meta.lastUpdated (an operator's or an integration's copy of a Location, a DELETE)
 * has no place in the registry's time. A stale one must never win: it is taken only as what the
 * registry holds now (then under the registry's own version), refused with a precise
 * OperationOutcome otherwise, and refused with a 503 while the registry cannot be asked; with no
 * registry configured, it is refused once the version kept carries the source's own instant.
 * Real feed routes, the registry sandbox and the real connectors, both store engines.
 */
import t, { type Test } from 'tap';
import { facilityId } from '../../../../sandbox/mfr/index.js';
import { LOC } from '../../../../sandbox/openmrs/index.js';
import type { RegistryClient } from '../../../../src/registry/mfr/types.js';
import { drain, startPropagationRigOn } from '../../../support/propagation-rig.js';
import { engineCases, type EngineCase } from '../../../support/outbox-engines.js';
import { connectorOf, linkInThreeSystems } from '../../../support/linked-facility.js';
import { registryFeedApp } from '../../../support/registry-feed-app.js';

const CODE = 'LK-HC-101';
const REGISTRY_ID = facilityId(CODE);
const SYSTEMS = ['openlmis', 'dhis2', 'openmrs'];
type Json = Record<string, any>;

/** A rig on a fresh database, CODE linked in three systems and pulled, the feed routes in front. */
async function feedRig(t: Test, engine: EngineCase, registry?: () => RegistryClient | undefined) {
  const rig = await startPropagationRigOn(t, engine, { routing: { default: null } });
  const app = await registryFeedApp(t, rig, registry);
  const ids = await linkInThreeSystems(rig, CODE, REGISTRY_ID, LOC.mwangaza);
  const headers = { 'content-type': 'application/fhir+json' };
  /** The registry's Location as it is now, without meta (a copy taken now, pushed later). */
  const copy = (): Json => {
    const { meta: _meta, ...location } = rig.mfr.state.latest('Location', REGISTRY_ID)!.resource!;
    return location;
  };
  const put = async (location: Json, id = REGISTRY_ID) => {
    const res = await app.inject({ method: 'PUT', url: `/registry/Location/${id}`, headers, payload: location });
    await drain(rig.store);
    return res;
  };
  const bundle = async (entry: Json[]) => {
    const payload = { resourceType: 'Bundle', type: 'batch', entry };
    const res = await app.inject({ method: 'POST', url: '/registry', headers, payload });
    await drain(rig.store);
    return res;
  };
  const del = async () => {
    const res = await app.inject({ method: 'DELETE', url: `/registry/Location/${REGISTRY_ID}` });
    await drain(rig.store);
    return res;
  };
  const systemState = async (): Promise<Record<string, string>> =>
    Object.fromEntries(
      await Promise.all(
        SYSTEMS.map(async (s) => {
          const f = await connectorOf(rig, s).facilities!.get(ids[s]);
          return [s, `${f?.name} (${f?.status})`] as const;
        }),
      ),
    );
  const everywhere = (name: string, status = 'active'): Record<string, string> =>
    Object.fromEntries(SYSTEMS.map((s) => [s, `${name} (${status})`]));
  const systemWrites = () => rig.writes.filter((w) => SYSTEMS.includes(w.system ?? ''));
  const keptVersion = async () => (await rig.store.getRegistryRecord(REGISTRY_ID))?.version;
  return { rig, copy, put, bundle, del, systemState, everywhere, systemWrites, keptVersion };
}

for (const engine of engineCases()) {
  t.test(
    `${engine.name}: a stale copy pushed without meta is refused, by PUT and in a Bundle, and changes nothing`,
    { skip: engine.skip },
    async (t) => {
      const { rig, copy, put, bundle, systemState, everywhere, systemWrites, keptVersion } = await feedRig(t, engine);
      const stale = copy(); // version 1, 'Mberewa Health Centre'
      rig.mfr.state.rename(CODE, 'Mberewa HC (renamed)');
      await rig.pull();
      t.same(await systemState(), everywhere('Mberewa HC (renamed)'));
      rig.writes.length = 0;

      const res = await put(stale);
      t.equal(res.statusCode, 409, res.body);
      const issue = res.json().issue[0];
      t.match(issue, { severity: 'error', code: 'conflict', expression: ['Location.meta.lastUpdated'] });
      t.match(issue.diagnostics, /Location\/\S+ as pushed has no meta\.lastUpdated/);
      t.match(issue.diagnostics, /current version 2 \(meta\.lastUpdated [^)]+\) differs from it in name/);
      t.match(issue.diagnostics, /nothing was taken/);

      const inBundle = await bundle([{ resource: stale, request: { method: 'PUT', url: `Location/${REGISTRY_ID}` } }]);
      t.equal(inBundle.statusCode, 409, inBundle.body);
      t.match(inBundle.json().issue[0], { expression: ['Bundle.entry[0].resource.meta.lastUpdated'] });

      t.equal(await keptVersion(), '2', "the registry's version stays the one kept");
      t.same(systemWrites(), [], 'no system written');
      t.same(await systemState(), everywhere('Mberewa HC (renamed)'), 'every system keeps the newer name');
    },
  );

  t.test(
    `${engine.name}: a push without meta that the registry holds is taken as the registry's version`,
    { skip: engine.skip },
    async (t) => {
      const { rig, copy, put, systemState, everywhere, systemWrites, keptVersion } = await feedRig(t, engine);
      rig.mfr.state.rename(CODE, 'Mberewa HC (pushed)');
      const res = await put(copy());
      t.equal(res.statusCode, 200, res.body);
      t.match(res.json().issue[0].diagnostics, /^1 change\(s\) taken/);
      t.equal(await keptVersion(), '2', "kept under the registry's own version");
      t.same(await systemState(), everywhere('Mberewa HC (pushed)'));
      rig.writes.length = 0;
      t.match(
        (await put(copy())).json().issue[0].diagnostics,
        /^0 change\(s\) taken: .*; 1 Location\(s\) already as kept/,
        'the same push again changes nothing, and the answer says it had it already',
      );
      await rig.pull();
      t.same(systemWrites(), [], 'neither the resend nor the pull of the same change writes again');
    },
  );

  t.test(
    `${engine.name}: a DELETE is taken only once the registry no longer lists the Location`,
    { skip: engine.skip },
    async (t) => {
      const { rig, del, systemState, everywhere, systemWrites, keptVersion } = await feedRig(t, engine);
      rig.writes.length = 0;
      const early = await del();
      t.equal(early.statusCode, 409, early.body);
      t.match(early.json().issue[0], {
        code: 'conflict',
        expression: ['Location'],
        diagnostics:
          /the registry still lists Location\/\S+ \(version 1 of [^,]+, active\): a DELETE pushed for it is refused/,
      });
      t.equal(await keptVersion(), '1');
      t.same(systemWrites(), [], 'nothing closed');
      rig.mfr.state.delete(CODE);
      const res = await del();
      t.equal(res.statusCode, 200, res.body);
      t.same(await systemState(), everywhere('Mberewa Health Centre', 'inactive'), 'closed in every system');
      rig.writes.length = 0;
      t.match(
        (await del()).json().issue[0].diagnostics,
        /^0 change\(s\) taken: .*; 1 Location\(s\) already as kept \(the same version, or a DELETE of one closed/,
        'a second DELETE changes nothing, and says why',
      );
      t.same(systemWrites(), []);
    },
  );

  t.test(
    `${engine.name}: the registry out of reach: a push without meta is refused with a 503, nothing taken`,
    { skip: engine.skip },
    async (t) => {
      const { rig, copy, put, systemWrites, keptVersion } = await feedRig(t, engine);
      rig.mfr.state.rename(CODE, 'Mberewa HC (while down)');
      rig.mfr.faults.add({ method: 'GET', path: '/fhir/Location/**', action: { type: 'status', status: 503 } });
      rig.writes.length = 0;
      const res = await put(copy());
      t.equal(res.statusCode, 503, res.body);
      t.match(res.json().issue[0], {
        code: 'transient',
        expression: ['Location.meta.lastUpdated'],
        diagnostics: /could not be read .*nothing was taken; send it again later/,
      });
      t.notMatch(res.body, /password|Basic /i, 'no credential in the answer');
      t.equal(await keptVersion(), '1');
      t.same(systemWrites(), []);
      rig.mfr.faults.clear();
      t.equal((await put(copy())).statusCode, 200, 'sent again once the registry answers: taken');
      t.equal(await keptVersion(), '2');
    },
  );

  t.test(
    `${engine.name}: no registry configured: arrival order, until the source sends its own instant`,
    { skip: engine.skip },
    async (t) => {
      const { rig, copy, put, systemState, everywhere, keptVersion } = await feedRig(t, engine, () => undefined);
      // the version kept was pulled with the registry's meta.lastUpdated: a metaless push cannot be placed after it
      const refused = await put({ ...copy(), name: 'Mberewa HC (no meta)' });
      t.equal(refused.statusCode, 409, refused.body);
      t.match(refused.json().issue[0], {
        expression: ['Location.meta.lastUpdated'],
        diagnostics:
          /the version kept \(1\) came with the source's own \([^)]+\): a push without one cannot be ordered/,
      });
      t.equal(await keptVersion(), '1');
      // a source that sends no meta at all: its pushes are taken in the order they arrive
      const location = { resourceType: 'Location', id: 'pushed-only-1', name: 'Nyali Dispensary', status: 'active' };
      t.equal((await put(location, location.id)).statusCode, 200);
      const renamed = await put({ ...location, name: 'Nyali Dispensary (renamed)' }, location.id);
      t.equal(renamed.statusCode, 200, renamed.body);
      t.match(renamed.json().issue[0].diagnostics, /^1 change/);
      t.match(await rig.store.getRegistryRecord(location.id), {
        record: { unstamped: true, facility: { name: 'Nyali Dispensary (renamed)' } },
      });
      t.same(await systemState(), everywhere('Mberewa Health Centre'), 'the refused push reached no system');
    },
  );
}
