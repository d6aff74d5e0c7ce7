/**
 * A data manager's comment and follow-up mark on a value the mediator writes again are kept. Real
 * DHIS2's dataValueSets import writes every column of a value it updates, so a value sent without
 * `comment`/`followUp` loses them (DefaultDataValueSetService.createDataValue and
 * DataValueBatchHandler.getValues up to 2.42; HibernateDataEntryStore.upsertValues from 2.43), as
 * the sandbox does: the mediator reads them back and sends them with the new value. A snapshot
 * (replaced) and a difference report (added to) through the real connector, both store engines.
 */
import t from 'tap';
import { startDhis2RigOn } from '../../../support/dhis2-e2e.js';
import { engineCases } from '../../../support/outbox-engines.js';

const GTIN = 'https://www.gs1.org/gtin';
const UNIT = 'http://fhir-supply-mediator.org/fhir/CodeSystem/quantity-unit';
const MEASURE_SYSTEM = 'http://fhir-supply-mediator.org/fhir/CodeSystem/dhis2-stock-measure';
const CONDOM = '10860012300034';
const FLOWS = { stock: { default: 'dhis2' }, facilities: { default: 'dhis2' } };

/** A count of the condoms at `location` in March 2024: a snapshot, or a difference (an adjustment). */
const report = (id: string, location: string, value: number, countType: 'snapshot' | 'difference') => ({
  resourceType: 'InventoryReport',
  identifier: [{ system: 'https://hmis.example.org/stock-reports', value: id }],
  status: 'active',
  countType,
  reportedDateTime: '2024-03-20T09:00:00Z',
  ...(countType === 'snapshot'
    ? { reportingPeriod: { start: '2024-03-01T00:00:00Z', end: '2024-03-31T23:59:59Z' } }
    : {}),
  inventoryListing: [
    {
      location: { reference: `Location/${location}` },
      item: [
        {
          ...(countType === 'difference'
            ? { category: { coding: [{ system: MEASURE_SYSTEM, code: 'adjustments' }] } }
            : {}),
          item: { concept: { coding: [{ system: GTIN, code: CONDOM }] } },
          quantity: { value, unit: 'dispensing unit', system: UNIT, code: 'dispensing-unit' },
        },
      ],
    },
  ],
});

for (const engine of engineCases())
  t.test(
    `${engine.name}: a person's comment and follow-up survive the mediator's rewrite`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startDhis2RigOn(t, engine, FLOWS);
      const sb = rig.dhis2.state;
      const hc = sb.summary().orgUnits['LK-HC-101'];
      const code = (id: string) => (sb.dataElements.get(id) as any)?.code;
      const held = (de: RegExp) =>
        [...sb.dataValues.values()].filter(
          (v: any) => v.orgUnit === hc && v.period === '202403' && de.test(code(v.dataElement)),
        ) as any[];
      const send = async (id: string, value: number, countType: 'snapshot' | 'difference') => {
        const r = await rig.fhir('POST', '/fhir/R5/InventoryReport', report(id, hc, value, countType));
        t.ok([200, 201].includes(r.status), `${id}: ${r.status} ${JSON.stringify(r.body?.issue)}`);
      };

      await send('SOH-1', 40, 'snapshot');
      const soh = /SOH$/;
      t.same(
        held(soh).map((v) => v.value),
        ['40'],
      );
      // a data manager comments on the count and marks it for follow-up in DHIS2's data entry
      Object.assign(held(soh)[0], { comment: 'Counted twice, ask the nurse.', followup: true });

      await send('SOH-2', 35, 'snapshot');
      t.match(
        held(soh),
        [{ value: '35', comment: 'Counted twice, ask the nurse.', followup: true }],
        'a new count keeps them',
      );

      await send('ADJ-1', -3, 'difference');
      const adj = /ADJ$/;
      Object.assign(held(adj)[0], { followup: true });
      await send('ADJ-2', -5, 'difference');
      t.match(held(adj), [{ value: '-8', followup: true }], 'an added value keeps its follow-up mark');
    },
  );
