/**
 * Open mSupply, a mediator killed mid-order (issue 12 "Must show"): the real mediator process
 * (spawned, SQLite) takes an order for an mSupply store; its bearer expires while it adds the
 * lines (one re-login), and it is SIGKILLed while the SENT update hangs, after the insert and the
 * lines. Restarted on the same database, it resumes the journaled job: the same requisition is
 * SENT, with its lines once, and no second requisition exists.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { startMsupplySandbox } from '../../../../sandbox/msupply/index.js';
import { orderLine, transactionOf } from '../../../support/openlmis-e2e.js';
import { answerOf, startMediatorProcess } from '../../../support/mediator-process.js';
import { until } from '../../../support/net.js';

const root = path.resolve(import.meta.dirname, '../../../..');
const STORE = 'store-hc-north';

t.test('token expiry mid-flow and a SIGKILL between the lines and SENT: exactly one requisition, SENT', async (t) => {
  const ms = await startMsupplySandbox();
  const mappings = mkdtempSync(path.join(tmpdir(), 'msupply-crash-map-'));
  cpSync(path.join(root, 'fhir-mappings'), mappings, { recursive: true });
  const rule = {
    rules: [{ name: 'Open mSupply stores', when: { facility: [STORE] }, system: 'msupply' }],
    default: null,
  };
  writeFileSync(
    path.join(mappings, 'routing.json'),
    JSON.stringify({ flows: { orders: rule, deliveries: rule, stock: rule, facilities: { default: 'msupply' } } }),
  );
  const mediator = await startMediatorProcess('msupply-crash', {
    MAPPINGS_DIR: mappings,
    MSUPPLY_BASE_URL: ms.url,
    MSUPPLY_USERNAME: 'mediator',
    MSUPPLY_PASSWORD: 'password',
    MSUPPLY_SUPPLIER_CODE: 'WH-CENTRAL',
  });
  t.teardown(async () => {
    await mediator.close();
    await ms.close();
    rmSync(mappings, { recursive: true, force: true });
  });
  const requests = () => [...ms.state.requisitions.values()].filter((r) => r.type === 'REQUEST');

  ms.faults.add({ operation: 'insertRequestRequisitionLine', action: { type: 'expireToken' }, times: 1 });
  ms.faults.add({ operation: 'updateRequestRequisition', action: { type: 'hang' }, times: 1 });
  const bundle = transactionOf([
    orderLine({ order: 'MS-CRASH-1', facilityId: STORE, program: 'EM01', productCode: 'EM-AMX250', qty: 200 }),
    orderLine({
      order: 'MS-CRASH-1',
      facilityId: STORE,
      program: 'EM01',
      productCode: 'EM-ZNC20',
      qty: 1,
      packs: true,
    }),
  ]);
  const pending = mediator.fhir('POST', '/fhir', bundle).then((r) => (r === 'no answer' ? r : r.status));
  await until(
    'the SENT update under way',
    async () => ms.calls.some((c) => c.operation === 'updateRequestRequisition') || undefined,
    30_000,
  );
  t.equal(requests().length, 1, 'inserted before the kill');
  t.equal(requests()[0].status, 'DRAFT', 'not SENT when the mediator dies');
  t.equal(ms.state.linesOf(requests()[0].id).length, 2, 'both lines in');
  t.equal(ms.state.logins + ms.state.refreshes, 2, 'the bearer expired mid-flow: renewed once');
  t.equal(ms.state.refreshes, 1, 'with the refresh cookie, not the password');
  const lineWrites = ms.state.applied.filter((a) => a.mutation.includes('Line')).length;

  await mediator.kill();
  t.equal(await pending, 'no answer', 'the client got no answer from the killed mediator');
  await mediator.restart();
  await until(
    'the requisition SENT after the restart',
    async () => requests()[0]?.status === 'SENT' || undefined,
    60_000,
  );

  t.equal(requests().length, 1, 'exactly one requisition');
  t.equal(ms.state.applied.filter((a) => a.mutation === 'insertRequestRequisition').length, 1, 'inserted once');
  t.equal(
    ms.state.applied.filter((a) => a.mutation.includes('Line')).length,
    lineWrites,
    'no line written again: the journal resumed at SENT',
  );
  t.same(
    ms.state
      .linesOf(requests()[0].id)
      .map((l) => l.requestedQuantity)
      .sort((a, b) => a - b),
    [100, 200],
    '200 units; 1 pack of 100',
  );
  t.equal(ms.state.counts().responseRequisitions, 1, 'one response requisition at the warehouse');

  const again = answerOf(await mediator.fhir('POST', '/fhir', bundle));
  t.equal(again.status, 200);
  t.equal(requests().length, 1, 'the Bundle posted again creates nothing');
});
