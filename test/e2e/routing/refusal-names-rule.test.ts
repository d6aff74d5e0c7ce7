/**
 * A write whose facility is not one of the system routing chose (an id of another system's
 * facility: a DHIS2 org unit id the mediator's own search returned, posted with an order or a
 * stock report) is refused by that system's connector; the refusal says how routing.json chose
 * the system, by which rule or by the default, so the implementer knows what to change. Through
 * the real OpenLMIS connector and sandbox; nothing is recorded or sent.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { orderLine, RIG_AUTH, startRig, type Rig } from '../../support/openlmis-e2e.js';

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
