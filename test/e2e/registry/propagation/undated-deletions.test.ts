/**
 * A registry whose history gives a DELETE entry neither etag nor lastModified (the sandbox's
 * `deleteEntries: 'bare'`): a facility deleted, re-created and deleted again before one pull ends
 * closed under its re-created name, and deleted then re-created ends open, in every system. The
 * history comes newest first, so the last DELETE is the answer's first entry: nothing before it
 * dates it. Real connectors and sandboxes, both store engines.
 */
import t from 'tap';
import { facilityId } from '../../../../sandbox/mfr/index.js';
import { LOC } from '../../../../sandbox/openmrs/index.js';
import type { Connector } from '../../../../src/routing/ports.js';
import { startPropagationRig } from '../../../support/propagation-rig.js';
import { engineCases } from '../../../support/outbox-engines.js';

const CODE = 'LK-HC-101';
const REGISTRY_ID = facilityId(CODE);
const SYSTEMS = ['openlmis', 'dhis2', 'openmrs'];
const REOPENED = 'Mberewa Health Centre (re-opened)';

const connector = (rig: { connectors: { list(): Connector[] } }, system: string): Connector =>
  rig.connectors.list().find((x) => x.system === system)!;

async function idByCode(c: Connector, code: string): Promise<string | undefined> {
  const { items } = await c.facilities!.search({ identifier: { value: code } });
  return items.find((f) => f.kind === 'facility')?.id;
}

async function bareDeletesRig(databaseUrl: string) {
  const rig = await startPropagationRig({
    routing: { default: null },
    env: { DATABASE_URL: databaseUrl },
    mfr: { deleteEntries: 'bare' },
  });
  const ids: Record<string, string> = {
    openlmis: (await idByCode(connector(rig, 'openlmis'), CODE))!,
    dhis2: (await idByCode(connector(rig, 'dhis2'), CODE))!,
    openmrs: LOC.mwangaza,
  };
  for (const [system, id] of Object.entries(ids)) await rig.link(system, id, REGISTRY_ID);
  await rig.pull();
  const states = async () =>
    Object.fromEntries(
      await Promise.all(
        SYSTEMS.map(async (s) => {
          const f = await connector(rig, s).facilities!.get(ids[s]);
          return [s, `${f?.name} (${f?.status})`] as const;
        }),
      ),
    );
  const everywhere = (status: string) => Object.fromEntries(SYSTEMS.map((s) => [s, `${REOPENED} (${status})`]));
  const recreate = () => rig.mfr.state.open({ code: CODE, name: REOPENED, parent: 'LKL-N-MBR' });
  return { rig, states, everywhere, recreate };
}

for (const engine of engineCases()) {
  t.test(
    `${engine.name}: deleted, re-created, deleted again, undated: closed under the re-created name`,
    { skip: engine.skip },
    async (t) => {
      const db = await engine.freshDatabase();
      t.teardown(db.drop);
      const { rig, states, everywhere, recreate } = await bareDeletesRig(db.databaseUrl);
      t.teardown(() => rig.close());
      rig.mfr.state.delete(CODE);
      recreate();
      rig.mfr.state.delete(CODE);
      await rig.pull();
      t.same(await states(), everywhere('inactive'));
      for (const system of SYSTEMS)
        t.match(await rig.store.getPropagation(REGISTRY_ID, system), { action: 'deactivate', state: 'done' });
      rig.writes.length = 0;
      await rig.pull();
      t.same(rig.writes, [], 'the boundary re-read writes nothing');
    },
  );

  t.test(
    `${engine.name}: deleted then re-created, undated: open under the re-created name`,
    { skip: engine.skip },
    async (t) => {
      const db = await engine.freshDatabase();
      t.teardown(db.drop);
      const { rig, states, everywhere, recreate } = await bareDeletesRig(db.databaseUrl);
      t.teardown(() => rig.close());
      rig.mfr.state.delete(CODE);
      recreate();
      await rig.pull();
      t.same(await states(), everywhere('active'));
    },
  );
}
