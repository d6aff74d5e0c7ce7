/**
 * An order line the mediator wrote keeps the id its write came under, in searches too (README,
 * Ids and versions): a search by that id (`_id`) asks its system by the system's own. For
 * SupplyRequest it did not: `GET SupplyRequest?_id=<the client's id>` asked OpenLMIS for a
 * requisition of that id and answered an empty searchset, while the read of the same id and a
 * search without `_id` both gave the line. It is now asked by the order's requisition (the write's
 * link), once for all its lines. Through the OpenLMIS sandbox, both store engines.
 */
import t from 'tap';
import { engineCases } from '../../support/outbox-engines.js';
import { orderLine, startRigOn, why } from '../../support/openlmis-e2e.js';

for (const engine of engineCases()) {
  t.test(
    `a SupplyRequest is found by the id it was written under (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startRigOn(t, engine);
      const line = (id: string, productCode: string) => ({
        fullUrl: `urn:uuid:${id}`,
        resource: {
          ...orderLine({
            order: 'SRCH-ID-1',
            facilityId: rig.lmis.seed.facilities['LK-HC-102'],
            program: 'EM01',
            productCode,
            qty: 10,
          }),
          id,
        },
        request: { method: 'PUT', url: `SupplyRequest/${id}` },
      });
      const ids = ['6f1c2d3e-0000-4000-8000-00000000aa01', '6f1c2d3e-0000-4000-8000-00000000aa02'];
      const written = await rig.fhir('POST', '/fhir', {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [line(ids[0], 'EM-ORS'), line(ids[1], 'EM-AMX250')],
      });
      t.equal(written.status, 200, why(written));
      t.equal((await rig.fhir('GET', `/fhir/SupplyRequest/${ids[0]}`)).status, 200, 'the read finds it');

      const one = await rig.fhir('GET', `/fhir/SupplyRequest?_id=${ids[0]}`);
      t.equal(one.status, 200, why(one));
      t.same(
        (one.body.entry ?? []).map((e: any) => e.resource.id),
        [ids[0]],
        'the search by its id finds that line alone',
      );
      const both = await rig.fhir('GET', `/fhir/SupplyRequest?_id=${ids.join(',')}`);
      t.same((both.body.entry ?? []).map((e: any) => e.resource.id).sort(), [...ids].sort(), 'and both lines');
      const none = await rig.fhir('GET', '/fhir/SupplyRequest?_id=6f1c2d3e-0000-4000-8000-00000000aa09');
      t.same(none.body.entry ?? [], [], 'an id nothing was written under finds nothing');
    },
  );
}
