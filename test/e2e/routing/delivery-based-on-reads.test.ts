/**
 * A SupplyDelivery names the order it fulfils by its lines (`basedOn: SupplyRequest/<line id>`),
 * and a client confirming a delivery follows those references to show the order. For an order
 * made in OpenLMIS (not through the mediator) those line ids are derived (order number + product),
 * and a read by id found them only after a SupplyRequest search had listed them: on a fresh store
 * each one was a 404, and `SupplyRequest?_id=` an empty searchset. Reading deliveries (by id or by
 * search) now remembers the lines they name; a line of an order a client wrote under its own ids
 * answers 301 to that id, so it is never served under two. Through the OpenLMIS sandbox, both
 * store engines.
 */
import t, { type Test } from 'tap';
import { engineCases } from '../../support/outbox-engines.js';
import { orderLine, requisitionsAt, startRigOn, why, type Rig } from '../../support/openlmis-e2e.js';
import { shipEmergencyOrder } from '../../support/openlmis-faults-setup.js';
import { linkUpserts } from '../../support/link-upserts.js';

/** The SupplyRequest ids a SupplyDelivery's basedOn references name. */
function basedOnIds(delivery: any): string[] {
  return (delivery.basedOn ?? [])
    .map((ref: any) => /^SupplyRequest\/(.+)$/.exec(ref.reference ?? '')?.[1])
    .filter((id: string | undefined): id is string => !!id);
}

/** Each id read by id, then all of them searched by `_id`: every one is found, under that id. */
async function followed(t: Test, rig: Rig, base: string, ids: string[]) {
  for (const id of ids) {
    const read = await rig.fhir('GET', `${base}/SupplyRequest/${id}`);
    t.equal(read.status, 200, `GET SupplyRequest/${id}: ${why(read)}`);
    t.equal(read.body?.id, id, 'the line it names');
  }
  const search = await rig.fhir('GET', `${base}/SupplyRequest?_id=${ids.join(',')}`);
  t.equal(search.status, 200, why(search));
  t.same(
    (search.body.entry ?? []).map((e: any) => e.resource.id).sort(),
    [...ids].sort(),
    'a search by those ids finds every line',
  );
}

for (const engine of engineCases()) {
  t.test(
    `the order lines a delivery is based on read by id, with no SupplyRequest search before (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const rig = await startRigOn(t, engine);
      const token = await rig.lmis.login();
      // made in OpenLMIS: requisition, approval, release and shipment, none through the mediator
      const byId = await shipEmergencyOrder(rig.lmis, token, 'LK-HC-101', ['EM-ORS', 'EM-AMX250']);
      const bySearch = await shipEmergencyOrder(rig.lmis, token, 'LK-HC-102', ['EM-ZNC20', 'EM-PCM500', 'EM-ORS']);

      await t.test('a delivery read by id (R5)', async (t) => {
        const res = await rig.fhir('GET', `/fhir/R5/SupplyDelivery/${byId.podId}`);
        t.equal(res.status, 200, why(res));
        const ids = basedOnIds(res.body);
        t.equal(ids.length, 2, 'one reference per order line');
        await followed(t, rig, '/fhir/R5', ids);
      });

      await t.test('a delivery read again stores nothing: its links are there', async (t) => {
        const store = rig.mediator.store as typeof rig.mediator.store & { commitStats?(): { commits: number } };
        const upserted = linkUpserts(store);
        const commits = store.commitStats?.().commits;
        for (let read = 0; read < 3; read++) {
          const res = await rig.fhir('GET', `/fhir/R5/SupplyDelivery/${byId.podId}`);
          t.equal(res.status, 200, why(res));
          t.equal(basedOnIds(res.body).length, 2, 'still based on both lines');
        }
        t.same(upserted, [], 'three reads: no link upserted');
        t.equal(store.commitStats?.().commits, commits, 'and no commit (SQLite)');
      });

      await t.test('deliveries searched by destination (R4, one per line)', async (t) => {
        const res = await rig.fhir(
          'GET',
          `/fhir/SupplyDelivery?destination=${encodeURIComponent(`Location/${bySearch.facilityId}`)}`,
        );
        t.equal(res.status, 200, why(res));
        const ids = [...new Set<string>((res.body.entry ?? []).flatMap((e: any) => basedOnIds(e.resource)))];
        t.equal(ids.length, 3, 'one reference per order line');
        await followed(t, rig, '/fhir', ids);
      });

      await t.test("an order written under its client's ids: basedOn leads to those ids", async (t) => {
        const facilityId = rig.lmis.seed.facilities['LK-HC-103'];
        const clientIds = ['0b5e7a9c-0000-4000-8000-0000000000c1', '0b5e7a9c-0000-4000-8000-0000000000c2'];
        const entry = (id: string, productCode: string) => ({
          fullUrl: `urn:uuid:${id}`,
          resource: { ...orderLine({ order: 'BASED-ON-1', facilityId, program: 'EM01', productCode, qty: 10 }), id },
          request: { method: 'PUT', url: `SupplyRequest/${id}` },
        });
        const written = await rig.fhir('POST', '/fhir', {
          resourceType: 'Bundle',
          type: 'transaction',
          entry: [entry(clientIds[0], 'EM-ORS'), entry(clientIds[1], 'EM-AMX250')],
        });
        t.equal(written.status, 200, why(written));
        const [requisition] = requisitionsAt(rig, 'LK-HC-103');
        const { orderId } = rig.lmis.sb.state.releaseRequisition(requisition.id);
        const { proofOfDeliveryId } = rig.lmis.sb.state.shipOrder(orderId);

        const res = await rig.fhir('GET', `/fhir/R5/SupplyDelivery/${proofOfDeliveryId}`);
        t.equal(res.status, 200, why(res));
        const ids = basedOnIds(res.body);
        t.equal(ids.length, 2, 'one reference per order line');
        const reached: string[] = [];
        for (const id of ids) {
          // fetch follows the 301 to the id the line was written under
          const read = await rig.fhir('GET', `/fhir/R5/SupplyRequest/${id}`);
          t.equal(read.status, 200, `GET SupplyRequest/${id}: ${why(read)}`);
          reached.push(read.body?.id);
        }
        t.same(
          reached.sort(),
          [...clientIds].sort(),
          'each reference leads to the line under the id it was written under',
        );
      });
    },
  );
}
