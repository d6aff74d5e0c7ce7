/**
 * The demo writes where its facilities live: the shipped routing.json's "(demo)" rules send the
 * DHIS2 sandbox's org units and the OpenMRS sandbox's stock locations to those systems, so the
 * stock count and the order the demo prints for them land in that sandbox, not in OpenLMIS by the
 * default (which refused them: "… sent it to openlmis by its default …").
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { CONSIGNMENT, SEED_API_TOKEN } from '../../../sandbox/dhis2/index.js';
import { EXT } from '../../../src/fhir/conventions.js';
import { startDemo } from '../../support/demo-process.js';
import { until } from '../../support/net.js';

/** The JSON the printed curl line holding `marker` posts. */
function printed(output: string, marker: string): any {
  const line = output.split('\n').find((l) => l.includes(marker) && l.includes(" -d '"));
  if (!line) throw new Error(`the demo printed no command posting ${marker}:\n${output}`);
  return JSON.parse(/ -d '(.+)'$/.exec(line)![1]);
}

async function answer(res: Response): Promise<{ status: number; body: any }> {
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

const why = (a: { status: number; body: any }) => a.body?.issue?.[0]?.diagnostics ?? `HTTP ${a.status}`;

t.test('the demo writes DHIS2 and OpenMRS facilities to their own sandboxes', { timeout: 180_000 }, async (t) => {
  const cwd = mkdtempSync(path.join(tmpdir(), 'demo-routing-'));
  t.teardown(() => rmSync(cwd, { recursive: true, force: true }));
  const demo = await startDemo(cwd);
  t.teardown(() => {
    if (demo.child.exitCode === null) demo.child.kill('SIGKILL');
  });
  const out = demo.output();
  const dhis2 = demo.sandboxUrl('DHIS2');
  const openmrsState = new URL('/_sandbox/state', demo.sandboxUrl('OpenMRS')).href;
  const state = async () => (await fetch(openmrsState)).json() as Promise<any>;
  const lmisRequisitions = async () =>
    ((await (await fetch(`${demo.lmis}/_sandbox/requisitions`)).json()) as unknown[]).length;

  await t.test('a stock count for a DHIS2 org unit becomes its data values in DHIS2', async (t) => {
    const report = printed(out, 'DEMO-DHIS2-1');
    const orgUnit = /^Location\/(\w+)$/.exec(report.inventoryListing[0].location.reference)![1];
    const seed = (await (await fetch(`${dhis2}/_sandbox/seed`)).json()) as any;
    t.equal(seed.orgUnits['LK-HC-102'], orgUnit, 'the printed report names Kasito HC by its DHIS2 UID');
    const posted = await answer(await demo.fhir('POST', '/fhir/R5/InventoryReport', report));
    t.equal(posted.status, 201, why(posted));
    const period = report.reportingPeriod.start.slice(0, 7).replace('-', '');
    const values = (await (
      await fetch(`${dhis2}/api/dataValueSets?dataSet=LkStockMnth&period=${period}&orgUnit=${orgUnit}`, {
        headers: { authorization: `ApiToken ${SEED_API_TOKEN}` },
      })
    ).json()) as { dataValues?: { dataElement: string; value: string }[] };
    t.match(
      values.dataValues,
      [{ dataElement: seed.dataElements.EM_AMX250_SOH, value: '480' }],
      'the count is the stock on hand of amoxicillin at Kasito HC that month',
    );
    const read = await answer(
      await demo.fhir('GET', `/fhir/R5/InventoryReport?location=${encodeURIComponent(`Location/${orgUnit}`)}`),
    );
    t.equal(read.status, 200, why(read));
    t.ok(read.body.entry?.length, 'and reads back through the mediator from DHIS2');
  });

  await t.test('a delivery received at a DHIS2 org unit becomes a consignment event in DHIS2', async (t) => {
    const seed = (await (await fetch(`${dhis2}/_sandbox/seed`)).json()) as any;
    const orgUnit = seed.orgUnits['LK-HC-103']; // Tsangano HC
    const delivery = {
      resourceType: 'SupplyDelivery',
      status: 'completed',
      occurrenceDateTime: '2026-11-20T14:00:00Z',
      identifier: [
        {
          type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'FILL' }] },
          system: 'https://app.example.org/shipments',
          value: 'DEMO-SHP-1',
        },
      ],
      destination: { reference: `Location/${orgUnit}` },
      suppliedItem: [
        {
          itemCodeableConcept: { coding: [{ system: 'https://www.gs1.org/gtin', code: '10860012300058' }] },
          quantity: { value: 2, system: 'http://fhir-supply-mediator.org/fhir/CodeSystem/quantity-unit', code: 'pack' },
        },
      ],
    };
    const posted = await answer(await demo.fhir('POST', '/fhir/R5/SupplyDelivery', delivery));
    t.equal(posted.status, 201, why(posted));
    const events = (await (
      await fetch(`${dhis2}/api/tracker/events?program=${CONSIGNMENT.program}&orgUnit=${orgUnit}&fields=*`, {
        headers: { authorization: `ApiToken ${SEED_API_TOKEN}` },
      })
    ).json()) as { events?: any[]; instances?: any[] };
    const [event, ...more] = events.events ?? events.instances ?? [];
    t.equal(more.length, 0, 'one consignment event');
    const values = Object.fromEntries((event?.dataValues ?? []).map((d: any) => [d.dataElement, d.value]));
    t.match(
      values,
      { [CONSIGNMENT.item]: 'EM_AMX250', [CONSIGNMENT.quantity]: '200', [CONSIGNMENT.reference]: 'DEMO-SHP-1' },
      '2 packs of 100 amoxicillin tablets received at Tsangano HC',
    );
  });

  await t.test('an order for an OpenMRS location becomes a requisition in OpenMRS', async (t) => {
    const order = printed(out, 'DEMO-MRS-1');
    const posted = await answer(await demo.fhir('POST', '/fhir/SupplyRequest', order));
    t.equal(posted.status, 201, why(posted));
    const after = await state();
    t.same(after.stockOperationsByType.requisition, { SUBMITTED: 1 }, 'one submitted requisition stock operation');
    t.equal(after.writes['stockoperation.submit.requisition'], 1, 'submitted');
  });

  await t.test('a stock count for an OpenMRS location becomes a stocktake in OpenMRS', async (t) => {
    const count = printed(out, 'DEMO-DHIS2-1');
    // OpenMRS keeps system|value in 50 characters (666fb19): https://app.example.org/stock-reports|MRS-C1
    count.identifier[0].value = 'MRS-C1';
    const listing = count.inventoryListing[0];
    listing.location.reference = 'Location/0d3c2b1a-1111-4a2b-8c3d-000000000002'; // Mwangaza Health Centre
    listing.item[0].extension = [{ url: EXT.lotNumber, valueString: 'AMX-2401' }];
    const posted = await answer(await demo.fhir('POST', '/fhir/R5/InventoryReport', count));
    t.ok([201, 202].includes(posted.status), why(posted));
    await until(
      'the stocktake completed',
      async () => (await state()).stockOperationsByType.stocktake?.COMPLETED,
      20_000,
    );
  });

  t.equal(await lmisRequisitions(), 0, 'nothing of them went to OpenLMIS');
  t.equal(await demo.stop(), 0, 'Ctrl-C stops the demo');
});
