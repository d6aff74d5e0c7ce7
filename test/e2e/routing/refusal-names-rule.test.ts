/**
 * A write whose facility is not one of the system routing chose (an id of another system's
 * facility: a DHIS2 org unit id the mediator's own search returned, posted with an order or a
 * stock report) is refused by that system's connector; the refusal says how routing.json chose
 * the system, by which rule or by the default, so the implementer knows what to change. Through
 * the real OpenLMIS connector and sandbox; nothing is recorded or sent. Another facility the
 * write names (an OpenMRS order's supplier) was not routed by, so its refusal names no rule.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { orderLine, RIG_AUTH, startRig, type Rig } from '../../support/openlmis-e2e.js';
import { LOC } from '../../../sandbox/openmrs/index.js';
import { ORDER_NUMBER_TYPE, UNIT_SYSTEM } from '../../../src/fhir/conventions.js';
import { GTIN, startOpenMrsRig, why } from '../../support/openmrs-e2e.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const FOREIGN = 'iii3QoNx732'; // a DHIS2 org unit uid, unknown to OpenLMIS
const RULED = 'store-elsewhere-7';

function order(facilityId: string, n: number) {
  return orderLine({ order: `ROUTE-${n}`, facilityId, program: 'EM01', productCode: 'EM-AMX250', qty: 10 });
}

async function jobs(rig: Rig): Promise<number> {
  // the admin token is the inbound password when no ADMIN_TOKEN is set
  const password = Buffer.from(RIG_AUTH.slice('Basic '.length), 'base64').toString().split(':')[1];
  const res = await fetch(`${rig.mediator.url}/admin/outbox/counts`, {
    headers: { authorization: `Bearer ${password}` },
  });
  const body = (await res.json()) as { counts: Record<string, number> };
  return Object.values(body.counts).reduce((a, b) => a + b, 0);
}

t.test('the refusal of a facility another system holds names the routing that chose the system', async (t) => {
  const mappings = mkdtempSync(path.join(tmpdir(), 'routing-refusal-'));
  cpSync(path.join(root, 'fhir-mappings'), mappings, { recursive: true });
  const routing = JSON.parse(readFileSync(path.join(root, 'fhir-mappings/routing.json'), 'utf8'));
  routing.flows.orders.rules = [
    { name: 'district stores', when: { facility: [RULED] }, system: 'openlmis' },
    ...routing.flows.orders.rules,
  ];
  writeFileSync(path.join(mappings, 'routing.json'), JSON.stringify(routing, null, 2));
  const rig = await startRig({ MAPPINGS_DIR: mappings });
  t.teardown(async () => {
    await rig.close();
    rmSync(mappings, { recursive: true, force: true });
  });
  const requisitionsBefore = rig.lmis.sb.state.store.requisitions.size;

  const byDefault = await rig.fhir('POST', '/fhir/SupplyRequest', order(FOREIGN, 1));
  t.equal(byDefault.status, 422);
  const issue = byDefault.body.issue[0];
  t.match(issue.diagnostics, `facility Location/${FOREIGN} is not an OpenLMIS facility`);
  t.match(
    issue.diagnostics,
    'fhir-mappings/routing.json orders sent it to openlmis by its default "any" (the first configured system taking it): no rule matched ("district stores"',
    'says the default chose OpenLMIS, and which rules did not match',
  );
  t.same(issue.expression, ['SupplyRequest.deliverTo'], 'at the element');

  const byRule = await rig.fhir('POST', '/fhir/SupplyRequest', order(RULED, 2));
  t.equal(byRule.status, 422);
  t.match(
    byRule.body.issue[0].diagnostics,
    'fhir-mappings/routing.json orders sent it to openlmis by rule "district stores"',
    'names the rule that chose it',
  );

  t.equal(rig.lmis.sb.state.store.requisitions.size, requisitionsBefore, 'nothing sent to OpenLMIS');
  t.equal(await jobs(rig), 0, 'nothing recorded');
});

t.test('an OpenMRS supplier it does not hold is refused at deliverFrom, naming no routing rule', async (t) => {
  const rig = await startOpenMrsRig('s-supplier-refusal');
  t.teardown(() => rig.close());
  const unknown = '0d3c2b1a-1111-4a2b-8c3d-00000000dead';
  const line = (order: string, deliverTo: string, deliverFrom: string) => ({
    resourceType: 'SupplyRequest',
    status: 'active',
    priority: 'routine',
    identifier: [{ type: { coding: [ORDER_NUMBER_TYPE] }, system: 'https://app.example.org/orders', value: order }],
    itemCodeableConcept: { coding: [{ system: GTIN, code: '10860012300058' }] },
    quantity: { value: 20, unit: 'dispensing unit', system: UNIT_SYSTEM, code: 'dispensing-unit' },
    authoredOn: '2026-12-01T08:00:00Z',
    deliverTo: { reference: `Location/${deliverTo}` },
    deliverFrom: { reference: `Location/${deliverFrom}` },
  });
  const operations = rig.sb.stock.operations.size;

  const supplier = await rig.fhir('POST', '/fhir/SupplyRequest', line('OMRS-SUP-1', LOC.kilima, unknown));
  t.equal(supplier.status, 422, why(supplier));
  t.same(supplier.body.issue[0].expression, ['SupplyRequest.deliverFrom']);
  t.equal(
    supplier.body.issue[0].diagnostics,
    `facility ${unknown} is not an OpenMRS location (by id, registry code or crosswalk)`,
    'the rule that placed the order at Kilima is beside the point: no rule places a supplier',
  );

  // the facility routing chose OpenMRS by: the refusal still says how
  const facility = await rig.fhir('POST', '/fhir/SupplyRequest', line('OMRS-SUP-2', unknown, LOC.mwangaza));
  t.equal(facility.status, 422, why(facility));
  t.same(facility.body.issue[0].expression, ['SupplyRequest.deliverTo']);
  t.match(
    facility.body.issue[0].diagnostics,
    /is not an OpenMRS location .*; fhir-mappings\/routing\.json orders sent it to openmrs by its default "any"/,
  );
  t.equal(rig.sb.stock.operations.size, operations, 'nothing sent to OpenMRS');
});
