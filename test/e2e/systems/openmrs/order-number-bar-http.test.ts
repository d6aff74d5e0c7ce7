/**
 * OpenMRS keeps an app's order number as the operation's external reference, `system|value`,
 * read back at the first bar (operations.ts identifierOf): through the real mediator's FHIR API
 * and the OpenMRS sandbox, a number holding `|` is found by a search for it, under that number;
 * a system holding `|` (which would read back as another number) is refused in words at
 * SupplyRequest.identifier, and nothing written.
 */
import t from 'tap';
import { AMOXICILLIN, ORDERS, order } from '../../../support/openmrs-app-orders.js';
import { until } from '../../../support/net.js';
import { startOpenMrsRig, why } from '../../../support/openmrs-e2e.js';

t.test('an order number holding | is found by it; a system holding | is refused', async (t) => {
  const rig = await startOpenMrsRig('openmrs-order-number-bar');
  t.teardown(() => rig.close());
  const { sb, fhir } = rig;
  const operations = () => sb.stock.operations.size;
  const before = operations();

  const barred = order('ORD-77', 20);
  barred.identifier[0].system = 'urn:app|orders';
  const refused = await fhir('POST', '/fhir/SupplyRequest', barred);
  t.equal(refused.status, 422, why(refused));
  t.equal(refused.body.issue[0].expression?.[0], 'SupplyRequest.identifier');
  t.match(why(refused), /holds a '\|'/);
  t.equal(operations(), before, 'no stock operation created');

  const posted = await fhir('POST', '/fhir/SupplyRequest', order('ORD|77', 20));
  t.ok([201, 202].includes(posted.status), why(posted));
  const search = `/fhir/SupplyRequest?identifier=${encodeURIComponent(`${ORDERS}|ORD|77`)}`;
  const found = await until('the order found by its number', async () => {
    const r = await fhir('GET', search);
    return r.status === 200 && r.body.entry?.length ? r.body : undefined;
  });
  t.same(
    found.entry.map((e: any) => e.resource.identifier?.[0]?.value),
    ['ORD|77'],
    'found by the number posted, under it',
  );
  t.match(found.entry[0].resource.itemCodeableConcept?.coding?.[0], { code: AMOXICILLIN });
});
