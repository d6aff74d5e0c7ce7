/**
 * Open mSupply login failures seen from outside the mediator: /ready names the upstream's typed
 * error and what to check, an order answers an OperationOutcome that says the same, and the
 * configured password appears in neither.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { startMsupplySandbox } from '../../../../sandbox/msupply/index.js';
import { RIG_AUTH, orderLine, startRig } from '../../../support/openlmis-e2e.js';

const root = path.resolve(import.meta.dirname, '../../../..');
const WRONG = 'wrong-msupply-pw-Hx4';

/** The mediator routing the HC-NORTH store to an Open mSupply sandbox, logging in with `password`. */
async function startWithMsupply(t: Test, password: string) {
  const ms = await startMsupplySandbox();
  const mappings = mkdtempSync(path.join(tmpdir(), 'msupply-auth-'));
  cpSync(path.join(root, 'fhir-mappings'), mappings, { recursive: true });
  const rule = {
    rules: [{ name: 'Open mSupply stores', when: { facility: ['store-hc-north'] }, system: 'msupply' }],
    default: null,
  };
  writeFileSync(
    path.join(mappings, 'routing.json'),
    JSON.stringify({ flows: { orders: rule, deliveries: rule, stock: rule, facilities: { default: 'msupply' } } }),
  );
  // the rig's OpenLMIS password is the word "password", which the redactor would mask in every message
  const rig = await startRig({
    OPENLMIS_BASE_URL: '',
    OPENLMIS_PASSWORD: '',
    MAPPINGS_DIR: mappings,
    MSUPPLY_BASE_URL: ms.url,
    MSUPPLY_USERNAME: 'mediator',
    MSUPPLY_PASSWORD: password,
    MSUPPLY_SUPPLIER_CODE: 'WH-CENTRAL',
  });
  t.teardown(async () => {
    await rig.close();
    await ms.close();
    rmSync(mappings, { recursive: true, force: true });
  });
  return { ms, rig };
}

async function msupplyReadiness(rig: Awaited<ReturnType<typeof startRig>>) {
  const ready = await fetch(`${rig.mediator.url}/ready`, { headers: { authorization: RIG_AUTH } });
  const text = await ready.text();
  const check = (JSON.parse(text).checks as { name: string; status: string; reason?: string }[]).find(
    (c) => c.name === 'msupply',
  );
  return { status: ready.status, text, check };
}

const order = (number: string) =>
  orderLine({ order: number, facilityId: 'store-hc-north', program: 'EM01', productCode: 'EM-AMX250', qty: 100 });

t.test('a refused login: /ready and the OperationOutcome name InvalidCredentials, never the password', async (t) => {
  const { ms, rig } = await startWithMsupply(t, WRONG);

  const ready = await msupplyReadiness(rig);
  t.equal(ready.status, 200, 'degraded: the mediator still serves');
  t.equal(ready.check?.status, 'down');
  t.match(
    ready.check?.reason,
    /login as 'mediator' refused \(InvalidCredentials\): check msupply\.username and msupply\.password/,
  );
  t.notOk(ready.text.includes(WRONG), 'no password in /ready');

  const answer = await rig.fhir('POST', '/fhir/SupplyRequest', order('MS-AUTH-1'));
  t.equal(answer.status, 502, "the mediator's configuration, not the request, is wrong");
  t.equal(answer.body.resourceType, 'OperationOutcome');
  t.match(answer.body.issue[0].diagnostics, /InvalidCredentials/);
  t.notOk(JSON.stringify(answer.body).includes(WRONG), 'no password in the OperationOutcome');
  t.equal(ms.state.requisitions.size, 0, 'nothing written');
});

t.test("a proxy's 401 to the login: /ready and the order say what to check at once, no retries", async (t) => {
  const PROXY_SECRET = 'Basic cHJveHk6c2VjcmV0';
  const { ms, rig } = await startWithMsupply(t, 'correct-horse-Zq8');
  ms.faults.add({
    operation: 'authToken',
    action: { type: 'status', status: 401, body: `<html><body>401 Unauthorized ${PROXY_SECRET}</body></html>` },
  });

  const ready = await msupplyReadiness(rig);
  t.equal(ready.status, 200, 'degraded: the mediator still serves');
  t.equal(ready.check?.status, 'down');
  t.match(ready.check?.reason, /answered HTTP 401 .*check msupply\.username and msupply\.password/);
  t.notOk(ready.text.includes(PROXY_SECRET), "none of the proxy's page in /ready");

  const before = ms.faults.list()[0].hits;
  const answer = await rig.fhir('POST', '/fhir/SupplyRequest', order('MS-AUTH-PROXY-1'));
  t.equal(answer.status, 502, 'settled at once, not queued for retries that cannot help');
  t.match(answer.body.issue[0].diagnostics, /answered HTTP 401 .*msupply\.password/);
  t.notOk(JSON.stringify(answer.body).includes(PROXY_SECRET), "none of the proxy's page in the outcome");
  t.ok(ms.faults.list()[0].hits - before <= 2, `the login was asked ${ms.faults.list()[0].hits - before} times`);
  t.equal(ms.state.requisitions.size, 0, 'nothing written');
});
