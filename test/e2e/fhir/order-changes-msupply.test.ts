/**
 * Orders that can be changed and cancelled, on Open mSupply (issue 16): the mediator sends each
 * request requisition as soon as its lines are in, and Open mSupply lets a request requisition
 * change or be deleted only while DRAFT. So a change or a cancellation of a delivered order is
 * a 409 naming SENT, and the requisition in the Open mSupply sandbox stays as it was.
 */
import t from 'tap';
import { startMsupplyRig, toStore } from '../../support/msupply-e2e.js';
import { putTransaction } from '../../support/android-sdk.js';
import { orderLine, why } from '../../support/openlmis-e2e.js';

const STORE = 'store-hc-north';

t.test('a SENT request requisition: change and cancel are refused naming its status', async (t) => {
  const rig = await startMsupplyRig({
    orders: { ...toStore(STORE), default: 'openlmis' },
    deliveries: { default: 'openlmis' },
    stock: { default: 'openlmis' },
    facilities: { default: 'openlmis' },
  });
  t.teardown(() => rig.close());
  const { ms } = rig;
  const line = (qty: number) => ({
    ...orderLine({ order: 'MS-CHG-1', facilityId: STORE, program: 'EM01', productCode: 'EM-AMX250', qty }),
    id: 'ms-chg-1',
  });
  const requests = () => [...ms.state.requisitions.values()].filter((r) => r.type === 'REQUEST');

  const created = await rig.fhir('PUT', '/fhir/SupplyRequest/ms-chg-1', line(300));
  t.equal(created.status, 201, why(created));
  t.equal(requests()[0]?.status, 'SENT');
  const mutations = ms.state.applied.length;

  const changed = await rig.fhir('PUT', '/fhir/SupplyRequest/ms-chg-1', line(500));
  t.equal(changed.status, 409, why(changed));
  t.match(why(changed), /is SENT in Open mSupply/);
  const cancelled = await rig.fhir('DELETE', '/fhir/SupplyRequest/ms-chg-1');
  t.equal(cancelled.status, 409, why(cancelled));
  t.match(why(cancelled), /can no longer be cancelled.*SENT/);
  t.equal(ms.state.applied.length, mutations, 'no mutation reached Open mSupply');
  t.same(
    ms.state.linesOf(requests()[0].id).map((l) => l.requestedQuantity),
    [300],
  );
  const read = await rig.fhir('GET', '/fhir/SupplyRequest/ms-chg-1');
  t.equal(read.status, 200, why(read));
  t.equal(read.body.quantity.value, 300, 'the order reads as Open mSupply holds it');
  t.equal(read.body.status, 'active');

  // one line of a two-line order: Open mSupply cannot drop it from a SENT requisition, so the line
  // is not gone (no 410): it reads and is listed as Open mSupply holds it
  const two = ['EM-AMX250', 'EM-ORS'].map((productCode, i) => ({
    ...orderLine({ order: 'MS-CHG-2', facilityId: STORE, program: 'EM01', productCode, qty: 10 + i }),
    id: `ms-chg-2-${i}`,
  }));
  const posted = await rig.fhir('POST', '/fhir', putTransaction(two));
  t.equal(posted.status, 200, why(posted));
  const before = ms.state.applied.length;
  const cancelLine = await rig.fhir('DELETE', '/fhir/SupplyRequest/ms-chg-2-1');
  t.equal(cancelLine.status, 409, why(cancelLine));
  t.match(why(cancelLine), /SENT/, 'naming the status that forbids it');
  t.equal(ms.state.applied.length, before, 'no mutation reached Open mSupply');
  const kept = await rig.fhir('GET', '/fhir/SupplyRequest/ms-chg-2-1');
  t.equal(kept.status, 200, `the line is still there: ${why(kept)}`);
  const listed = await rig.fhir('GET', '/fhir/SupplyRequest?identifier=MS-CHG-2');
  t.same(
    listed.body.entry.map((e: any) => e.resource.id).sort(),
    ['ms-chg-2-0', 'ms-chg-2-1'],
    'and both lines are listed, under the client ids',
  );
});
