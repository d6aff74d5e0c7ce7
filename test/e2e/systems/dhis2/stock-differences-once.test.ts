/**
 * A `difference` report is added to DHIS2's period totals once, even when the mediator no longer
 * knows it sent it: after a store restore (or a resend after the retention pruned its job), the
 * same report sent again finds its key in the data value's comment and adds nothing. The comment
 * stays short and readable to a data manager, and keeps what a person wrote there. Two mediators
 * (the first, and one on a fresh store standing for the restore) share one DHIS2 sandbox; both
 * store engines. And two instances on one PostgreSQL store, given one facility under two names at
 * once, add both adjustments: the store's lock of the org unit and period holds across instances.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { SEED_API_TOKEN } from '../../../../sandbox/dhis2/index.js';
import { startDhis2Rig, startDhis2RigOn, type Dhis2Rig } from '../../../support/dhis2-e2e.js';
import { startRig, type Rig } from '../../../support/openlmis-e2e.js';
import { engineCases, type EngineCase } from '../../../support/outbox-engines.js';

const GTIN = 'https://www.gs1.org/gtin';
const UNIT = 'http://fhir-supply-mediator.org/fhir/CodeSystem/quantity-unit';
const MEASURE_SYSTEM = 'http://fhir-supply-mediator.org/fhir/CodeSystem/dhis2-stock-measure';
const CONDOM = '10860012300034';
const FLOWS = { stock: { default: 'dhis2' }, facilities: { default: 'dhis2' } };
const root = path.resolve(import.meta.dirname, '../../../..');

/** `location`: a Location id, or a DHIS2 org unit code (`code:LK-HC-101`). */
const report = (id: string, location: string, value: number, day: string) => ({
  resourceType: 'InventoryReport',
  identifier: [{ system: 'https://hmis.example.org/stock-reports', value: id }],
  status: 'active',
  countType: 'difference',
  reportedDateTime: `2024-03-${day}T09:00:00Z`,
  inventoryListing: [
    {
      location: location.startsWith('code:')
        ? { identifier: { system: 'http://dhis2.org/identifiertypes#code', value: location.slice(5) } }
        : { reference: `Location/${location}` },
      item: [
        {
          category: { coding: [{ system: MEASURE_SYSTEM, code: 'adjustments' }] },
          item: { concept: { coding: [{ system: GTIN, code: CONDOM }] } },
          quantity: { value, unit: 'dispensing unit', system: UNIT, code: 'dispensing-unit' },
        },
      ],
    },
  ],
});

/** A second mediator on a fresh store against the first one's DHIS2 sandbox: the store as restored from before. */
async function restoredMediator(t: Test, engine: EngineCase, rig: Dhis2Rig): Promise<Rig> {
  const db = await engine.freshDatabase();
  t.teardown(db.drop);
  return secondMediator(t, rig, db.databaseUrl);
}

/** Another mediator on the store at `databaseUrl`, writing to `rig`'s DHIS2 sandbox. */
async function secondMediator(t: Test, rig: Dhis2Rig, databaseUrl: string): Promise<Rig> {
  const mappings = mkdtempSync(path.join(tmpdir(), 'dhis2-once-'));
  cpSync(path.join(root, 'fhir-mappings'), mappings, { recursive: true });
  writeFileSync(path.join(mappings, 'routing.json'), JSON.stringify({ flows: FLOWS }));
  const other = await startRig({
    MAPPINGS_DIR: mappings,
    OPENLMIS_BASE_URL: '',
    DHIS2_BASE_URL: rig.dhis2.url,
    DHIS2_API_TOKEN: SEED_API_TOKEN,
    DHIS2_DATA_SET: 'LkStockMnth',
    DATABASE_URL: databaseUrl,
  });
  t.teardown(async () => {
    await other.close();
    rmSync(mappings, { recursive: true, force: true });
  });
  return other;
}

for (const engine of engineCases())
  t.test(`${engine.name}: a difference report is added once`, { skip: engine.skip }, async (t) => {
    const rig = await startDhis2RigOn(t, engine, FLOWS);
    const sb = rig.dhis2.state;
    const hc = sb.summary().orgUnits['LK-HC-101'];
    const adj = [...sb.dataElements.values()].find((d: any) => d.code === 'FP_CNDM_ADJ')!.id;
    const held = () => [...sb.dataValues.values()].filter((v: any) => v.dataElement === adj && v.period === '202403');
    const send = async (via: Rig, id: string, value: number, day: string) => {
      const r = await via.fhir('POST', '/fhir/R5/InventoryReport', report(id, hc, value, day));
      t.ok([200, 201].includes(r.status), `${id}: ${r.status} ${JSON.stringify(r.body?.issue)}`);
    };

    await send(rig, 'ADJ-1', -3, '05');
    t.same(
      held().map((v: any) => v.value),
      ['-3'],
    );
    // a data manager notes something on the value in DHIS2's data entry
    const value = held()[0] as any;
    value.comment = `Checked with the facility.\n${value.comment ?? ''}`;

    const restored = await restoredMediator(t, engine, rig);
    await send(restored, 'ADJ-1', -3, '05');
    t.same(
      held().map((v: any) => v.value),
      ['-3'],
      'sent again to a mediator that no longer knows it: not added a second time',
    );
    await send(restored, 'ADJ-2', -5, '12');
    t.same(
      held().map((v: any) => v.value),
      ['-8'],
      'a new report still adds',
    );
    await send(rig, 'ADJ-2', -5, '12');
    t.same(
      held().map((v: any) => v.value),
      ['-8'],
      'the other mediator sending it too adds nothing',
    );
    const comment = String((held()[0] as any).comment);
    t.match(comment, /^Checked with the facility\.\n/, "the data manager's note is kept");

    // many reports later the comment stays bounded, and the last ones are still known
    for (let i = 3; i <= 40; i++) await send(restored, `ADJ-${i}`, -1, '20');
    t.same(
      held().map((v: any) => v.value),
      [String(-8 - 38)],
    );
    await send(rig, 'ADJ-40', -1, '20');
    t.same(
      held().map((v: any) => v.value),
      [String(-8 - 38)],
      'the latest report is still known',
    );
    t.ok(String((held()[0] as any).comment).length < 1000, 'the comment stays short');
  });

for (const engine of engineCases())
  t.test(
    `${engine.name}: two instances, two names of a facility, two adjustments at once`,
    // SQLite is one process per file: one instance, whose own turn test stock-differences-retry shows
    { skip: engine.name === 'sqlite' ? 'SQLite has one instance per store' : engine.skip },
    async (t) => {
      const db = await engine.freshDatabase();
      const rig = await startDhis2Rig(FLOWS, { DATABASE_URL: db.databaseUrl });
      t.teardown(async () => {
        await rig.close();
        await db.drop();
      });
      const other = await secondMediator(t, rig, db.databaseUrl);
      const sb = rig.dhis2.state;
      const hc = sb.summary().orgUnits['LK-HC-101'];
      const adj = [...sb.dataElements.values()].find((d: any) => d.code === 'FP_CNDM_ADJ')!.id;
      const stored = () =>
        [...sb.dataValues.values()]
          .filter((v: any) => v.dataElement === adj && v.period === '202403')
          .map((v: any) => v.value);
      // DHIS2 slow to read the totals: both reads would see the same total, each write then drop the other's
      rig.dhis2.faults.add({
        method: 'GET',
        path: '/api/dataValueSets',
        times: 2,
        action: { type: 'delay', ms: 800 },
      });
      const [byId, byCode] = await Promise.all([
        rig.fhir('POST', '/fhir/R5/InventoryReport', report('TWO-1', hc, -3, '05')),
        other.fhir('POST', '/fhir/R5/InventoryReport', report('TWO-2', 'code:LK-HC-101', -5, '06')),
      ]);
      t.equal(byId.status, 201, JSON.stringify(byId.body?.issue));
      t.equal(byCode.status, 201, JSON.stringify(byCode.body?.issue));
      t.same(stored(), ['-8'], 'both adjustments count');
    },
  );
