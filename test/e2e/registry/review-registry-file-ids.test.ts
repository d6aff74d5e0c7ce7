/**
 * The review API names registry records, and checks an accept's registryId, from the console's
 * facility directory, which reads registry.file as the reconcile job does (one function,
 * registry-facilities.ts readRegistryFile): a crosswalk stored while the file was read by row
 * numbers keeps them, so the directory keys the file's records by row numbers too. Before, the
 * directory keyed them by the code column while the job stored row numbers: every suggestion of
 * the queue showed a bare id and an accept of a registry facility the file lists was refused.
 * Real reconcile job, review routes, OpenLMIS connector and sandbox, both store engines.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import Fastify from 'fastify';
import { mediatorDirectory } from '../../../src/admin/facility-directory.js';
import { reviewRoutes } from '../../../src/registry/review-routes.js';
import { reconcileAll } from '../../../src/jobs/reconcile-job.js';
import { engineCases } from '../../support/outbox-engines.js';
import { startPropagationRigOn } from '../../support/propagation-rig.js';
import { connectorOf } from '../../support/linked-facility.js';

const TOKEN = 'registry-file-ids-token';

for (const engine of engineCases())
  t.test(
    `${engine.name}: the review API names the registry.file records the reconcile job stored by row number`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startPropagationRigOn(t, engine);
      const lmis = connectorOf(rig, 'openlmis');
      const dir = mkdtempSync(path.join(tmpdir(), 'ah-registry-file-'));
      t.teardown(() => rmSync(dir, { recursive: true, force: true }));
      // the registry as a file: OpenLMIS's facilities under their codes, no id column
      const facilities = (await lmis.facilities!.listAll!()).filter((f) => f.kind === 'facility');
      const file = path.join(dir, 'registry.json');
      writeFileSync(
        file,
        JSON.stringify(facilities.map((f) => ({ name: f.name, mfl_code: f.identifiers.find((i) => i.value)!.value }))),
      );
      const settings = { ...rig.settings, 'registry.url': '', 'registry.file': file };
      const connectors = () => rig.connectors.list().filter((c) => c.system === 'openlmis');

      // a crosswalk an earlier release stored with the file's row numbers (a person's decision on one)
      const other = facilities[facilities.length - 1];
      await rig.store.upsertCrosswalk({
        system: 'openlmis',
        systemId: other.id!,
        registryId: `row-${facilities.length}`,
        state: 'manual-match',
        zone: 'auto',
        reasons: [],
        suggestions: [],
        decidedBy: 'amina',
        decidedAt: '2026-11-01T09:00:00.000Z',
      });
      const run = await reconcileAll({ store: rig.store, settings: () => settings as never, connectors });
      t.equal(run.counts?.registry, facilities.length, 'the job reads the file');

      const directory = mediatorDirectory({ settings: () => settings as never, connectors, store: rig.store });
      const app = Fastify();
      await app.register(reviewRoutes, {
        prefix: '/admin',
        store: rig.store,
        adminToken: TOKEN,
        registry: async () => [...(await directory.registry()).values()],
      });
      t.teardown(() => app.close());

      const stored = await rig.store.listCrosswalk('openlmis');
      const linked = stored.filter((r) => r.registryId);
      t.ok(linked.length > 1, 'the job linked records');
      t.ok(
        linked.every((r) => /^row-\d+$/.test(r.registryId!)),
        'by the row numbers the stored crosswalk has',
      );
      const names = await directory.registry();
      for (const r of linked)
        t.equal(
          names.get(r.registryId!)?.name,
          facilities[Number(r.registryId!.slice(4)) - 1].name,
          `the directory names ${r.registryId} as the file's row`,
        );

      // a data manager breaks two links and links the records the other way round: each accept
      // names a registry facility the file lists by the id the job gives it, no candidate of the record
      const decide = (systemId: string, op: string, payload = {}) =>
        app.inject({
          method: 'POST',
          url: `/admin/reconcile/openlmis/${systemId}/${op}`,
          headers: { authorization: `Bearer ${TOKEN}`, 'x-actor': 'amina' },
          payload,
        });
      const target = stored.find((r) => r.state === 'auto-match' && r.registryId)!;
      const free = `row-${facilities.length}`;
      t.equal((await decide(target.systemId, 'break')).statusCode, 200);
      t.equal((await decide(other.id!, 'break')).statusCode, 200);
      const accepted = await decide(target.systemId, 'accept', { registryId: free });
      t.equal(accepted.statusCode, 200, 'an accept of a row the file lists is taken');
      t.match(accepted.json().row, { state: 'manual-match', registryId: free });
    },
  );
