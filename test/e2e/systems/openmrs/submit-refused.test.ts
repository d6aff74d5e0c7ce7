/**
 * Through the real mediator and its outbox, on both store engines (SQLite always, PostgreSQL when
 * TEST_DATABASE_URL is set): an adjustment accepted while OpenMRS answers its SUBMIT with 503 is
 * created NEW; the stock is dispensed meanwhile, so when OpenMRS is back the module refuses the
 * SUBMIT ("… will have a negative balance …"). The operation ends CANCELLED, not NEW, nothing
 * moves, and the cancel is sent once.
 */
import t from 'tap';
import { DRUGS, LOC } from '../../../../sandbox/openmrs/index.js';
import { until } from '../../../support/net.js';
import { startOpenMrsRigOn, why } from '../../../support/openmrs-e2e.js';
import { engineCases } from '../../../support/outbox-engines.js';
import { MWANGAZA_PARTY, damagedAtMwangazaReport } from '../../../support/openmrs-damaged-stock.js';

const damaged = damagedAtMwangazaReport({
  identifier: { system: 'https://app.example.org/adjustments', value: 'ADJ-SHORT-1' },
  gtin: '10860012300058',
  lot: 'AMX-2401',
  quantity: 900,
});

for (const engine of engineCases()) {
  t.test(
    `${engine.name}: a SUBMIT refused after the stock moved leaves the operation CANCELLED`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startOpenMrsRigOn(t, engine, 'openmrs-submit-refused', { OUTBOX_DEADLINE_MS: '1500' });
      const { sb } = rig;
      sb.faults.add({
        method: 'POST',
        path: '/openmrs/ws/rest/v1/stockmanagement/stockoperationaction',
        action: { type: 'status', status: 503 },
      });
      const accepted = await rig.fhir('POST', '/fhir/R5/InventoryReport', damaged);
      t.equal(accepted.status, 202, why(accepted));
      const adjustments = () => [...sb.stock.operations.values()].filter((o) => o.operationType === 'adjustment');
      await until('created NEW', async () => adjustments().length === 1, 10_000);
      sb.stock.dispense({
        locationUuid: LOC.mwangaza,
        drugUuid: DRUGS.amoxicillin,
        batchNo: 'AMX-2401',
        quantity: 500,
      });
      sb.faults.clear();
      await until('refused and cancelled', async () => adjustments()[0].status === 'CANCELLED', 20_000);
      await new Promise((r) => setTimeout(r, 1000)); // another attempt, if any, would have run by now
      const amoxicillin = [...sb.stock.items.values()].find((i) => i.drugUuid === DRUGS.amoxicillin)!.uuid;
      t.equal(sb.stock.quantity(MWANGAZA_PARTY, amoxicillin, 'AMX-2401'), 500, 'no stock moved');
      t.same(
        adjustments().map((o) => o.status),
        ['CANCELLED'],
        'one operation, cancelled',
      );
      t.equal(sb.store.writes['stockoperation.cancel.adjustment'], 1, 'cancelled once');
      t.equal(sb.store.writes['stockoperation.create.adjustment'], 1, 'created once');
    },
  );
}
