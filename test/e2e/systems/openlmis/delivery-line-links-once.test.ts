/**
 * A proof of delivery read by its own id (R5) links the ids R4 serves its lines under, so the R4
 * read the 301 points at resolves (routing's rememberNamed). Which of those ids had a link already
 * was one store look-up per line on every read (50 for a 50-line delivery); it is one look-up for
 * the whole delivery, with the same answers: the line ids read on R4. Through the OpenLMIS connector
 * and sandbox, both store engines.
 */
import t from 'tap';
import { engineCases } from '../../../support/outbox-engines.js';
import { orderLine, requisitionsAt, startRigOn, transactionOf, why } from '../../../support/openlmis-e2e.js';

const LINES = ['EM-AMX250', 'EM-PCM500', 'EM-ORS', 'EM-ZNC20'].map((productCode) => ({ productCode, qty: 100 }));

for (const engine of engineCases()) {
  t.test(`a proof of delivery's line ids are looked up at once (${engine.name})`, { skip: engine.skip }, async (t) => {
    const rig = await startRigOn(t, engine);
    // shipped, never read yet (shippedDelivery reads it: its lines would be linked already)
    const facilityId = rig.lmis.seed.facilities['LK-HC-105'];
    const lines = LINES.map((l) => orderLine({ order: 'LINKS-ONCE', facilityId, program: 'EM01', ...l }));
    const posted = await rig.fhir('POST', '/fhir', transactionOf(lines));
    t.equal(posted.status, 200, why(posted));
    const [requisition] = requisitionsAt(rig, 'LK-HC-105');
    const { orderId } = rig.lmis.sb.state.releaseRequisition(requisition.id);
    const podId: string = rig.lmis.sb.state.shipOrder(orderId).proofOfDeliveryId;

    const store = rig.mediator.store;
    const { getLink, putLinks } = store;
    const asked: string[] = [];
    const linked: string[] = [];
    store.getLink = async (flow, fhirId) => {
      asked.push(fhirId);
      return getLink.call(store, flow, fhirId);
    };
    store.putLinks = async (links) => {
      linked.push(...links.filter((l) => l.flow === 'deliveries').map((l) => l.fhirId));
      return putLinks.call(store, links);
    };
    t.teardown(() => {
      Object.assign(store, { getLink, putLinks });
    });
    const read = await rig.fhir('GET', `/fhir/R5/SupplyDelivery/${podId}`);
    t.equal(read.status, 200, why(read));
    t.equal(read.body.suppliedItem.length, LINES.length);
    t.same(asked, [podId], 'the delivery is looked up by its id, its lines not one by one');
    const first = [...linked];
    const again = await rig.fhir('GET', `/fhir/R5/SupplyDelivery/${podId}`);
    t.equal(again.status, 200, why(again));
    t.same(linked, first, 'read again: its lines are linked already, nothing new to store');
    Object.assign(store, { getLink, putLinks });

    // the same answers: each line's R4 id is linked by the read, and reads on R4 before any search
    t.equal(linked.length, LINES.length, `a link for each line: ${linked.join(', ')}`);
    for (const lineId of linked) {
      const line = await rig.fhir('GET', `/fhir/SupplyDelivery/${lineId}`);
      t.equal(line.status, 200, `R4 line ${lineId}: ${why(line)}`);
      t.equal(line.body.status, 'in-progress');
    }
  });
}
