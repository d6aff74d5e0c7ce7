/**
 * RTS keeps stock per item, not per lot: a count is one "corrected" event whose quantity becomes
 * the item's stock on hand. A count naming an item on several lines (two lots, or one shelf after
 * another) is the item's total, so it is one event of their sum: 100 of lot A and 50 of lot B are
 * a count of 150, never two counts of which the later (50) wins. Through the real mediator and the
 * DHIS2 sandbox, both store engines.
 */
import t from 'tap';
import { RTS } from '../../../../sandbox/dhis2/index.js';
import { startDhis2RigOn } from '../../../support/dhis2-e2e.js';
import { engineCases } from '../../../support/outbox-engines.js';

const GTIN = 'https://www.gs1.org/gtin';
const UNIT = 'http://fhir-supply-mediator.org/fhir/CodeSystem/quantity-unit';
const LOT = 'http://fhir-supply-mediator.org/fhir/StructureDefinition/lot-number';
const CONDOM = '10860012300034';
const DMPA = '10860012300027';

const count = (id: string, location: string, lines: [string, string, number][]) => ({
  resourceType: 'InventoryReport',
  identifier: [{ system: 'https://hmis.example.org/stock-reports', value: id }],
  status: 'active',
  countType: 'snapshot',
  reportedDateTime: '2024-03-25T09:00:00Z',
  inventoryListing: [
    {
      location: { reference: `Location/${location}` },
      item: lines.map(([gtin, lot, value]) => ({
        extension: [{ url: LOT, valueString: lot }],
        item: { concept: { coding: [{ system: GTIN, code: gtin }] } },
        quantity: { value, unit: 'dispensing unit', system: UNIT, code: 'dispensing-unit' },
      })),
    },
  ],
});

for (const engine of engineCases())
  t.test(`${engine.name}: a count of one item on two lots is one RTS count`, { skip: engine.skip }, async (t) => {
    const rig = await startDhis2RigOn(
      t,
      engine,
      { stock: { default: 'dhis2' }, facilities: { default: 'dhis2' } },
      { DHIS2_DATA_SET: '', DHIS2_RTS_PROGRAM: RTS.program, DHIS2_STOCK_TARGET: 'rts' },
    );
    const hc = rig.dhis2.state.summary().orgUnits['LK-HC-101'];
    const before = new Set(rig.dhis2.tracker.events.keys());
    const posted = await rig.fhir(
      'POST',
      '/fhir/R5/InventoryReport',
      count('RTS-LOTS-1', hc, [
        [CONDOM, 'A-1', 100],
        [DMPA, 'D-1', 7],
        [CONDOM, 'B-2', 50],
      ]),
    );
    t.equal(posted.status, 201, JSON.stringify(posted.body?.issue));
    const added = [...rig.dhis2.tracker.events.values()].filter((e) => !before.has(e.event));
    t.same(
      added.map((e) => e.dataValues.find((d) => d.dataElement === RTS.stockCount)?.value).sort(),
      ['150', '7'],
      'one count per item: 100 + 50 condoms, 7 DMPA',
    );
  });
