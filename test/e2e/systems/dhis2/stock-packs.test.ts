/**
 * An InventoryReport counted in packs reaches DHIS2 in dispensing units, the unit its stock data
 * elements and RTS transactions count: 3 packs of 144 condoms are 432 condoms, never "3". A
 * product products.json gives no pack size for is a 422 at that line's quantity, nothing sent.
 * Through the real mediator and the DHIS2 sandbox, both store engines: the aggregate data set
 * (dataValueSets) and the RTS program (tracker events).
 */
import t, { type Test } from 'tap';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { RTS } from '../../../../sandbox/dhis2/index.js';
import { startDhis2RigOn } from '../../../support/dhis2-e2e.js';
import { engineCases } from '../../../support/outbox-engines.js';

const root = path.resolve(import.meta.dirname, '../../../..');
const GTIN = 'https://www.gs1.org/gtin';
const UNIT = 'http://fhir-supply-mediator.org/fhir/CodeSystem/quantity-unit';
const CONDOM = '10860012300034'; // 144 a pack
const DMPA = '10860012300027'; // 25 a pack
const FLOWS = { stock: { default: 'dhis2' }, facilities: { default: 'dhis2' } };

type Line = [gtin: string, value: number, unit: 'pack' | 'dispensing-unit', measure?: string];
const MEASURE_SYSTEM = 'http://fhir-supply-mediator.org/fhir/CodeSystem/dhis2-stock-measure';

const report = (id: string, location: string, lines: Line[], countType = 'snapshot') => ({
  resourceType: 'InventoryReport',
  identifier: [{ system: 'https://hmis.example.org/stock-reports', value: id }],
  status: 'active',
  countType,
  reportedDateTime: '2024-03-20T09:00:00Z',
  inventoryListing: [
    {
      location: { reference: `Location/${location}` },
      item: lines.map(([gtin, value, unit, measure]) => ({
        ...(measure ? { category: { coding: [{ system: MEASURE_SYSTEM, code: measure }] } } : {}),
        item: { concept: { coding: [{ system: GTIN, code: gtin }] } },
        quantity: { value, unit, system: UNIT, code: unit },
      })),
    },
  ],
});

/** A copy of the mappings whose catalogue gives `gtin` no pack size, removed at the test's end. */
const withoutPackSize = (t: Test, gtin: string) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'dhis2-packs-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(path.join(root, 'fhir-mappings'), dir, { recursive: true });
  writeFileSync(path.join(dir, 'routing.json'), JSON.stringify({ flows: FLOWS }));
  const file = path.join(dir, 'products.json');
  const catalogue = JSON.parse(readFileSync(file, 'utf8'));
  for (const p of catalogue.products) if (p.gtin === gtin) delete p.packSize;
  writeFileSync(file, JSON.stringify(catalogue));
  return dir;
};

for (const engine of engineCases()) {
  t.test(`${engine.name}: packs become dispensing units in DHIS2 data values`, { skip: engine.skip }, async (t) => {
    const rig = await startDhis2RigOn(t, engine, FLOWS);
    const hc = rig.dhis2.state.summary().orgUnits['LK-HC-101'];
    const values = () =>
      Object.fromEntries(
        [...rig.dhis2.state.dataValues.values()].map((v: any) => [
          Object.entries(rig.dhis2.state.summary().dataElements).find(([, id]) => id === v.dataElement)?.[0],
          v.value,
        ]),
      );

    const posted = await rig.fhir(
      'POST',
      '/fhir/R5/InventoryReport',
      report('HC101-PACKS-1', hc, [
        [CONDOM, 3, 'pack'],
        [DMPA, 7, 'dispensing-unit'],
        [CONDOM, 4, 'pack', 'stockOutDays'],
      ]),
    );
    t.equal(posted.status, 201, JSON.stringify(posted.body?.issue));
    t.same(
      values(),
      { FP_CNDM_SOH: '432', FP_DMPA_SOH: '7', FP_CNDM_SOD: '4' },
      '3 packs of 144 are 432 condoms; units stay units; days are days whatever the unit says',
    );
  });

  t.test(`${engine.name}: packs become dispensing units in RTS events`, { skip: engine.skip }, async (t) => {
    const rig = await startDhis2RigOn(t, engine, FLOWS, {
      DHIS2_DATA_SET: '',
      DHIS2_RTS_PROGRAM: RTS.program,
      DHIS2_STOCK_TARGET: 'rts',
    });
    const hc = rig.dhis2.state.summary().orgUnits['LK-HC-101'];
    const before = new Set(rig.dhis2.tracker.events.keys());
    const posted = await rig.fhir(
      'POST',
      '/fhir/R5/InventoryReport',
      report('HC101-RTS-PACKS', hc, [[CONDOM, 2, 'pack']]),
    );
    t.equal(posted.status, 201, JSON.stringify(posted.body?.issue));
    const added = [...rig.dhis2.tracker.events.values()].filter((e) => !before.has(e.event));
    t.same(
      added.map((e) => e.dataValues.find((d) => d.dataElement === RTS.stockCount)?.value),
      ['288'],
      'a count of 2 packs of 144 is 288 condoms',
    );
  });

  t.test(`${engine.name}: packs of a product with no pack size are refused`, { skip: engine.skip }, async (t) => {
    const rig = await startDhis2RigOn(t, engine, FLOWS, { MAPPINGS_DIR: withoutPackSize(t, CONDOM) });
    const hc = rig.dhis2.state.summary().orgUnits['LK-HC-101'];
    const refused = await rig.fhir(
      'POST',
      '/fhir/R5/InventoryReport',
      report('HC101-PACKS-2', hc, [
        [DMPA, 7, 'dispensing-unit'],
        [CONDOM, 3, 'pack'],
      ]),
    );
    t.equal(refused.status, 422, JSON.stringify(refused.body?.issue));
    t.same(refused.body.issue[0].expression, ['InventoryReport.inventoryListing[0].item[1].quantity']);
    t.match(refused.body.issue[0].diagnostics, /no packSize/);
    t.equal(rig.dhis2.state.dataValues.size, 0, 'nothing sent');
  });
}
