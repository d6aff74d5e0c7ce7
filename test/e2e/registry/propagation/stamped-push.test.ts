/**
 * A push WITH meta.lastUpdated is ordered by it. Two edges of that:
 *  - a stamp far ahead of the mediator's clock (a sender's clock set wrong) would be kept as the
 *    newest version and make every real change look older until then: refused (422, precise),
 *    nothing taken, and the registry's next change still reaches every system;
 *  - a stamp older than the version kept: a 409 naming the facility and the version kept (a
 *    transaction takes none of its entries; a batch takes the others and names the stale one),
 *    while the same version again stays a harmless 200.
 * Real feed routes, the registry sandbox and the real connectors, both store engines.
 */
import t, { type Test } from 'tap';
import { facilityId } from '../../../../sandbox/mfr/index.js';
import { LOC } from '../../../../sandbox/openmrs/index.js';
import { drain, startPropagationRigOn } from '../../../support/propagation-rig.js';
import { engineCases, type EngineCase } from '../../../support/outbox-engines.js';
import { connectorOf, linkInThreeSystems } from '../../../support/linked-facility.js';
import { registryFeedApp } from '../../../support/registry-feed-app.js';

const CODE = 'LK-HC-101';
const REGISTRY_ID = facilityId(CODE);
const OTHER_ID = facilityId('LK-HC-102');
const SYSTEMS = ['openlmis', 'dhis2', 'openmrs'];
type Json = Record<string, any>;

/** A rig on a fresh database, CODE linked in three systems and pulled, the feed routes in front. */
async function feedRig(t: Test, engine: EngineCase) {
  const rig = await startPropagationRigOn(t, engine, { routing: { default: null } });
  const app = await registryFeedApp(t, rig);
  const ids = await linkInThreeSystems(rig, CODE, REGISTRY_ID, LOC.mwangaza);
  const headers = { 'content-type': 'application/fhir+json' };
  /** A registry version as the registry serves it, meta included (what a feed source sends). */
  const version = (versionId: string, id = REGISTRY_ID): Json =>
    structuredClone(rig.mfr.state.version('Location', id, versionId)!.resource!);
  const latest = (id = REGISTRY_ID): Json => structuredClone(rig.mfr.state.latest('Location', id)!.resource!);
  const put = async (location: Json) => {
    const res = await app.inject({
      method: 'PUT',
      url: `/registry/Location/${location.id}`,
      headers,
      payload: location,
    });
    await drain(rig.store);
    return res;
  };
  const bundle = async (type: 'batch' | 'transaction', locations: Json[]) => {
    const entry = locations.map((resource) => ({
      resource,
      request: { method: 'PUT', url: `Location/${resource.id}` },
    }));
    const res = await app.inject({
      method: 'POST',
      url: '/registry',
      headers,
      payload: { resourceType: 'Bundle', type, entry },
    });
    await drain(rig.store);
    return res;
  };
  const systemNames = async (): Promise<Record<string, string | undefined>> =>
    Object.fromEntries(
      await Promise.all(
        SYSTEMS.map(async (s) => [s, (await connectorOf(rig, s).facilities!.get(ids[s]))?.name] as const),
      ),
    );
  const everywhere = (name: string) => Object.fromEntries(SYSTEMS.map((s) => [s, name]));
  const systemWrites = () => rig.writes.filter((w) => SYSTEMS.includes(w.system ?? ''));
  const kept = async (id = REGISTRY_ID) => (await rig.store.getRegistryRecord(id))?.version;
  return { rig, version, latest, put, bundle, systemNames, everywhere, systemWrites, kept };
}

const hoursAhead = (h: number) => new Date(Date.now() + h * 3_600_000).toISOString();

for (const engine of engineCases()) {
  t.test(
    `${engine.name}: a push stamped hours ahead is refused, and the registry's next change still reaches every system`,
    { skip: engine.skip },
    async (t) => {
      const { rig, latest, put, bundle, systemNames, everywhere, systemWrites, kept } = await feedRig(t, engine);
      rig.writes.length = 0;
      const ahead = {
        ...latest(),
        name: 'Mberewa HC (clock ahead)',
        meta: { versionId: '77', lastUpdated: hoursAhead(2) },
      };

      const res = await put(ahead);
      t.equal(res.statusCode, 422, res.body);
      const issue = res.json().issue[0];
      t.match(issue, { severity: 'error', code: 'business-rule', expression: ['Location.meta.lastUpdated'] });
      t.match(
        issue.diagnostics,
        new RegExp(`Location/${REGISTRY_ID} as pushed has meta\\.lastUpdated \\S+, (1 h 59 min|2 h)`),
      );
      t.match(issue.diagnostics, /more than the 5 min allowed \(registry\.pushClockSkewMs\)/);
      t.match(issue.diagnostics, /nothing was taken/);

      // one bad entry refuses the whole batch: the good one is not taken either
      const other = {
        ...latest(OTHER_ID),
        name: 'Kasito HC (batch)',
        meta: { versionId: '78', lastUpdated: hoursAhead(0) },
      };
      const inBatch = await bundle('batch', [other, ahead]);
      t.equal(inBatch.statusCode, 422, inBatch.body);
      t.match(inBatch.json().issue[0], { expression: ['Bundle.entry[1].resource.meta.lastUpdated'] });
      t.equal(await kept(OTHER_ID), '1', "the batch's other entry was not taken");

      t.equal(await kept(), '1', 'the version kept is unchanged');
      t.same(systemWrites(), [], 'no system written');

      rig.mfr.state.rename(CODE, 'Mberewa HC (real change)');
      await rig.pull();
      t.same(
        await systemNames(),
        everywhere('Mberewa HC (real change)'),
        "the registry's next change reaches every system",
      );

      // within the allowed skew (a clock a minute ahead) a push is taken as before
      rig.settings['registry.pushClockSkewMs'] = 3 * 3_600_000;
      const allowed = await put({ ...ahead, meta: { versionId: '79', lastUpdated: hoursAhead(2) } });
      t.equal(allowed.statusCode, 200, 'a wider registry.pushClockSkewMs lets the same stamp in');
      t.same(await systemNames(), everywhere('Mberewa HC (clock ahead)'));
    },
  );

  t.test(
    `${engine.name}: a push older than the version kept is a 409 naming it; the same version again is a 200`,
    { skip: engine.skip },
    async (t) => {
      const { rig, version, latest, put, systemNames, everywhere, systemWrites, kept } = await feedRig(t, engine);
      const v1 = version('1');
      rig.mfr.state.rename(CODE, 'Mberewa HC (renamed)');
      await rig.pull();
      t.equal(await kept(), '2');
      rig.writes.length = 0;

      const res = await put(v1);
      t.equal(res.statusCode, 409, res.body);
      const issue = res.json().issue[0];
      t.match(issue, { severity: 'error', code: 'conflict', expression: ['Location.meta.lastUpdated'] });
      t.match(
        issue.diagnostics,
        new RegExp(
          `^Location/${REGISTRY_ID} as pushed is version 1 \\(meta\\.lastUpdated ${v1.meta.lastUpdated}\\), older than the version kept, 2 \\(meta\\.lastUpdated `,
        ),
      );
      t.match(issue.diagnostics, /this one was not taken/);

      const again = await put(latest());
      t.equal(again.statusCode, 200, again.body);
      t.match(again.json().issue[0].diagnostics, /^0 change\(s\) taken/, 'the version kept, resent, changes nothing');

      t.equal(await kept(), '2');
      t.same(systemWrites(), [], 'no system written');
      t.same(await systemNames(), everywhere('Mberewa HC (renamed)'));
    },
  );

  t.test(
    `${engine.name}: a stale entry fails a transaction whole; a batch takes the rest and names it`,
    { skip: engine.skip },
    async (t) => {
      const { rig, version, latest, bundle, systemNames, everywhere, systemWrites, kept } = await feedRig(t, engine);
      const v1 = version('1');
      rig.mfr.state.rename(CODE, 'Mberewa HC (renamed)');
      await rig.pull();
      rig.writes.length = 0;
      rig.mfr.state.rename('LK-HC-102', 'Kasito HC (pushed)');
      const fresh = latest(OTHER_ID);

      const tx = await bundle('transaction', [fresh, v1]);
      t.equal(tx.statusCode, 409, tx.body);
      const issues = tx.json().issue;
      t.equal(issues.length, 1, 'one issue: the stale entry');
      t.match(issues[0], { code: 'conflict', expression: ['Bundle.entry[1].resource.meta.lastUpdated'] });
      t.match(
        issues[0].diagnostics,
        new RegExp(`Location/${REGISTRY_ID} as pushed is version 1 .*older than the version kept, 2 `),
      );
      t.equal(await kept(OTHER_ID), '1', "the transaction's fresh entry was not taken");
      t.same(systemWrites(), [], 'no system written');

      const batch = await bundle('batch', [fresh, v1]);
      t.equal(batch.statusCode, 200, batch.body);
      const [counts, warning, ...rest] = batch.json().issue;
      t.match(counts.diagnostics, /^1 change\(s\) taken: .*; 1 entry not taken, older than the version kept$/);
      t.match(warning, {
        severity: 'warning',
        code: 'conflict',
        expression: ['Bundle.entry[1].resource.meta.lastUpdated'],
      });
      t.match(warning.diagnostics, new RegExp(`Location/${REGISTRY_ID} as pushed is version 1 `));
      t.same(rest, []);
      t.equal(await kept(OTHER_ID), '2', "the batch's fresh entry was taken");
      t.equal(await kept(), '2', 'the stale one was not');
      t.same(await systemNames(), everywhere('Mberewa HC (renamed)'));
    },
  );
}
