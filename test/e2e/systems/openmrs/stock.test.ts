/**
 * OpenMRS stock end to end (issue 13 "Must show", stock): through the real mediator, a count and an
 * adjustment posted as R5 InventoryReports become completed stock operations in the OpenMRS
 * sandbox's stock management module, each exactly once (the count's create answer is lost and the
 * count posted again), and the inventory read back through FHIR equals what was counted.
 */
import t from 'tap';
import { LOC } from '../../../../sandbox/openmrs/index.js';
import { until } from '../../../support/net.js';
import { startOpenMrsRig, why } from '../../../support/openmrs-e2e.js';
import { appCount } from '../../../support/openmrs-inventory-report.js';

const report = (opts: {
  id: string;
  countType: 'snapshot' | 'difference';
  gtin: string;
  lot: string;
  qty: number;
  subtraction?: boolean;
  reason?: string;
}) => appCount(opts.id, { ...opts, quantity: opts.qty });

t.test('a count and an adjustment become stock operations once; the inventory reads back equal', async (t) => {
  const rig = await startOpenMrsRig('openmrs-stock-e2e');
  t.teardown(() => rig.close());
  const { sb, fhir } = rig;

  // the count's create is applied, its answer lost: the outbox retries, the connector finds it by reference
  sb.faults.add({
    method: 'POST',
    path: '/openmrs/ws/rest/v1/stockmanagement/stockoperation',
    action: { type: 'afterApply', answer: { type: 'reset' } },
    times: 1,
  });
  const count = report({ id: 'CNT-OMRS-1', countType: 'snapshot', gtin: '10860012300058', lot: 'AMX-2401', qty: 930 });
  const posted = await fhir('POST', '/fhir/R5/InventoryReport', count);
  t.ok([201, 202].includes(posted.status), why(posted));
  await until(
    'the stocktake completed',
    async () =>
      [...sb.stock.operations.values()].some((o) => o.operationType === 'stocktake' && o.status === 'COMPLETED'),
    20_000,
  );
  const again = await fhir('POST', '/fhir/R5/InventoryReport', count);
  t.ok(again.status < 300, why(again));

  const adjusted = await fhir(
    'POST',
    '/fhir/R5/InventoryReport',
    report({
      id: 'ADJ-OMRS-1',
      countType: 'difference',
      gtin: '10860012300065',
      lot: 'PCM-2401',
      qty: 40,
      subtraction: true,
      reason: 'Damaged',
    }),
  );
  t.equal(adjusted.status, 201, why(adjusted));
  t.same(
    sb.store.writes,
    {
      'stockoperation.create.stocktake': 1,
      'stockoperation.submit.stocktake': 1,
      'stockoperation.approve.stocktake': 1,
      'stockoperation.create.adjustment': 1,
      'stockoperation.submit.adjustment': 1,
      'stockoperation.approve.adjustment': 1,
    },
    'one operation each, submitted and approved once',
  );

  const read = await fhir('GET', `/fhir/R5/InventoryReport?location=${encodeURIComponent(`Location/${LOC.mwangaza}`)}`);
  t.equal(read.status, 200, why(read));
  const live = read.body.entry
    .map((e: any) => e.resource)
    .find((r: any) => r.countType === 'snapshot' && !r.identifier);
  const qty = (gtin: string) =>
    live.inventoryListing[0].item.find((i: any) => i.item.concept.coding[0].code === gtin)?.quantity.value;
  t.equal(qty('10860012300058'), 930, 'amoxicillin reads back as counted');
  t.equal(qty('10860012300065'), 1960, 'paracetamol down by the adjustment');
});
