/**
 * An OpenMRS 500 caused by a database constraint, through the real mediator and its outbox on
 * both store engines: a NOT NULL column left empty answers the client 422 naming the column,
 * with nothing written and no job left to retry (the same count posted again is refused the same
 * way, not "in progress"); a deadlock is retried and the count lands once.
 */
import t from 'tap';
import { columnCannotBeNull, deadlock, type SandboxError } from '../../../../sandbox/openmrs/errors.js';
import { engineCases } from '../../../support/outbox-engines.js';
import { startOpenMrsRigOn, why, type OpenMrsRig } from '../../../support/openmrs-e2e.js';
import { appCount } from '../../../support/openmrs-inventory-report.js';

const count = (id: string) => appCount(id);

const createAnswers = (rig: OpenMrsRig, answer: SandboxError, times?: number) =>
  rig.sb.faults.add({
    method: 'POST',
    path: '/openmrs/ws/rest/v1/stockmanagement/stockoperation',
    action: { type: 'status', status: answer.status, body: answer.body },
    times,
  });

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    const start = () => startOpenMrsRigOn(t, engine, `openmrs-constraint-${engine.name}`);

    t.test('a NOT NULL column left empty: 422 naming the column, nothing written, not retried', async (t) => {
      const rig = await start();
      createAnswers(rig, columnCannotBeNull('operation_date'));
      const first = await rig.fhir('POST', '/fhir/R5/InventoryReport', count('CNT-CONSTRAINT-1'));
      t.equal(first.status, 422, why(first));
      t.match(why(first), /column 'operation_date' cannot be null.*nothing was kept/);
      const again = await rig.fhir('POST', '/fhir/R5/InventoryReport', count('CNT-CONSTRAINT-1'));
      t.equal(again.status, 422, `refused again, the key free: ${why(again)}`);
      t.same(rig.sb.store.writes, {}, 'nothing reached OpenMRS');
    });

    t.test('a deadlock: retried, the count written once', async (t) => {
      const rig = await start();
      createAnswers(rig, deadlock(), 1);
      const posted = await rig.fhir('POST', '/fhir/R5/InventoryReport', count('CNT-CONSTRAINT-2'));
      t.ok([201, 202].includes(posted.status), why(posted));
      const ops = () =>
        [...rig.sb.stock.operations.values()].filter((o) => o.externalReference?.endsWith('|CNT-CONSTRAINT-2'));
      for (let i = 0; i < 200 && !ops().some((o) => o.status === 'COMPLETED'); i++)
        await new Promise((r) => setTimeout(r, 50));
      t.equal(ops().length, 1, 'one stocktake');
      t.equal(ops()[0]?.status, 'COMPLETED');
    });
  });
}
