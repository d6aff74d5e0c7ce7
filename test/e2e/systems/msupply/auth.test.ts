/**
 * Open mSupply login failures seen from outside the mediator: /ready names the upstream's typed
 * error and what to check, an order answers an OperationOutcome that says the same, and the
 * configured password appears in neither.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { startMsupplySandbox } from '../../../../sandbox/msupply/index.js';
import { RIG_AUTH, orderLine, startRig } from '../../../support/openlmis-e2e.js';

const root = path.resolve(import.meta.dirname, '../../../..');
const WRONG = 'wrong-msupply-pw-Hx4';

t.test('a refused login: /ready and the OperationOutcome name InvalidCredentials, never the password', async (t) => {
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
    MSUPPLY_PASSWORD: WRONG,
    MSUPPLY_SUPPLIER_CODE: 'WH-CENTRAL',
  });
  t.teardown(async () => {
    await rig.close();
    await ms.close();
    rmSync(mappings, { recursive: true, force: true });
  });

  const ready = await fetch(`${rig.mediator.url}/ready`, { headers: { authorization: RIG_AUTH } });
  t.equal(ready.status, 503);
  const text = await ready.text();
  const check = (JSON.parse(text).checks as { name: string; status: string; reason?: string }[]).find(
    (c) => c.name === 'msupply',
  );
  t.equal(check?.status, 'down');
  t.match(
    check?.reason,
    /login as 'mediator' refused \(InvalidCredentials\): check msupply\.username and msupply\.password/,
  );
  t.notOk(text.includes(WRONG), 'no password in /ready');

  const order = await rig.fhir(
    'POST',
    '/fhir/SupplyRequest',
    orderLine({
      order: 'MS-AUTH-1',
      facilityId: 'store-hc-north',
      program: 'EM01',
      productCode: 'EM-AMX250',
      qty: 100,
    }),
  );
  t.equal(order.status, 502, "the mediator's configuration, not the request, is wrong");
  t.equal(order.body.resourceType, 'OperationOutcome');
  t.match(order.body.issue[0].diagnostics, /InvalidCredentials/);
  t.notOk(JSON.stringify(order.body).includes(WRONG), 'no password in the OperationOutcome');
  t.equal(ms.state.requisitions.size, 0, 'nothing written');
});
