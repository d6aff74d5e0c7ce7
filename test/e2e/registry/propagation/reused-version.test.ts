/**
 * A push that reuses the version kept for other content (a feed source that changed the Location
 * but not meta.versionId) is a 409 naming the fields that differ, not a 200 "already as kept":
 * before, it was taken as a resend and the change reached no system, without a word. The same
 * version with the same content stays a harmless resend, and the sender's fix (a new version)
 * reaches every system. Real feed route, connectors and sandboxes, both store engines.
 */
import t from 'tap';
import { facilityId } from '../../../../sandbox/mfr/index.js';
import { LOC } from '../../../../sandbox/openmrs/index.js';
import { drain, startPropagationRigOn } from '../../../support/propagation-rig.js';
import { engineCases } from '../../../support/outbox-engines.js';
import { connectorOf, linkInThreeSystems } from '../../../support/linked-facility.js';
import { registryFeedApp } from '../../../support/registry-feed-app.js';

const CODE = 'LK-HC-101';
const REGISTRY_ID = facilityId(CODE);
const SYSTEMS = ['openlmis', 'dhis2', 'openmrs'];
type Json = Record<string, any>;

for (const engine of engineCases()) {
  t.test(
    `${engine.name}: a pushed Location reusing the kept version for other content is refused, naming the fields`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startPropagationRigOn(t, engine, { routing: { default: null } });
      const app = await registryFeedApp(t, rig);
      const ids = await linkInThreeSystems(rig, CODE, REGISTRY_ID, LOC.mwangaza);
      const put = async (location: Json) => {
        const res = await app.inject({
          method: 'PUT',
          url: `/registry/Location/${REGISTRY_ID}`,
          headers: { 'content-type': 'application/fhir+json' },
          payload: location,
        });
        await drain(rig.store);
        return res;
      };
      const names = async () =>
        Object.fromEntries(
          await Promise.all(SYSTEMS.map(async (s) => [s, (await connectorOf(rig, s).facilities!.get(ids[s]))?.name])),
        );
      const everywhere = (name: string) => Object.fromEntries(SYSTEMS.map((s) => [s, name]));
      const pushed: Json = structuredClone(rig.mfr.state.latest('Location', REGISTRY_ID)!.resource!);
      // stamped after the version linkInThreeSystems kept (the sandbox's, a moment ago): an older
      // stamp is refused as stale whatever its version
      const kept = Date.parse(pushed.meta?.lastUpdated ?? '') || 0;
      pushed.meta = { versionId: '7', lastUpdated: new Date(Math.max(Date.now(), kept + 1)).toISOString() };
      pushed.name = 'Mberewa HC (pushed)';
      t.equal((await put(pushed)).statusCode, 200);
      t.same(await names(), everywhere('Mberewa HC (pushed)'), 'version 7 reaches every system');

      rig.writes.length = 0;
      const resend = await put(pushed);
      t.equal(resend.statusCode, 200, 'the same version again is a resend');
      t.match(resend.json().issue[0].diagnostics, /already as kept/);

      const reused = structuredClone(pushed);
      reused.name = 'Mberewa HC (edited, same version)';
      reused.status = 'inactive';
      const res = await put(reused);
      t.equal(res.statusCode, 409, res.body);
      t.match(res.json().issue[0], {
        code: 'conflict',
        expression: ['Location.meta.versionId'],
        diagnostics:
          /version 7, the version kept, but its name, status differ: a changed Location needs a new meta\.versionId/,
      });
      t.same(
        rig.writes.filter((w) => SYSTEMS.includes(w.system ?? '')),
        [],
        'no system written',
      );
      t.equal((await rig.store.getRegistryRecord(REGISTRY_ID))?.version, '7');

      reused.meta = { versionId: '8', lastUpdated: new Date(Date.parse(pushed.meta.lastUpdated) + 1).toISOString() };
      t.equal((await put(reused)).statusCode, 200, "the sender's fix, a new version, is taken");
      t.same(await names(), everywhere('Mberewa HC (edited, same version)'), 'and reaches every system');
    },
  );
}
