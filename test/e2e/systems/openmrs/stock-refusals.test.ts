/**
 * OpenMRS stock refusals through the real mediator: an adjustment whose reason OpenMRS does not
 * know is a 422 naming the element the reason was sent in (the report's operationTypeReason, or
 * the item's stock-reason extension), and nothing reaches OpenMRS.
 */
import t from 'tap';
import { startOpenMrsRig, why } from '../../../support/openmrs-e2e.js';
import { PARACETAMOL_GTIN, openmrsInventoryReport } from '../../../support/openmrs-inventory-report.js';

const adjustment = (id: string, reason: { report?: string; item?: string }) =>
  openmrsInventoryReport({
    identifier: { system: 'https://app.example.org/adjustments', value: id },
    countType: 'difference',
    subtraction: true,
    reason: reason.report,
    itemReason: reason.item,
    gtin: PARACETAMOL_GTIN,
    lot: 'PCM-2401',
    quantity: 5,
  });

t.test('an unknown adjustment reason is refused at the element it was sent in; nothing written', async (t) => {
  const rig = await startOpenMrsRig('openmrs-stock-refusals');
  t.teardown(() => rig.close());
  const onReport = await rig.fhir(
    'POST',
    '/fhir/R5/InventoryReport',
    adjustment('ADJ-R-1', { report: 'NoSuchReason' }),
  );
  t.equal(onReport.status, 422, why(onReport));
  t.same(onReport.body.issue[0].expression, ['InventoryReport.operationTypeReason'], why(onReport));
  t.match(why(onReport), /'NoSuchReason' is not an adjustment reason OpenMRS knows/);

  const onItem = await rig.fhir('POST', '/fhir/R5/InventoryReport', adjustment('ADJ-R-2', { item: 'NoSuchReason' }));
  t.equal(onItem.status, 422, why(onItem));
  t.same(onItem.body.issue[0].expression, ['InventoryReport.inventoryListing[0].item[0].extension[1]'], why(onItem));

  const none = await rig.fhir('POST', '/fhir/R5/InventoryReport', adjustment('ADJ-R-3', {}));
  t.equal(none.status, 422, why(none));
  t.match(why(none), /needs a reason/);
  t.same(rig.sb.store.writes, {}, 'nothing reached OpenMRS');
});
