/**
 * The mSupply sandbox refuses UpdateInboundShipmentInput.receivedDatetime as Open mSupply does
 * (server/service/src/invoice/inbound_shipment/update/validate.rs, "Backdating: Inbound Shipment
 * Received Date"): it backdates a received shipment, under the store's backdating preference
 * (PreferencesNode.backdating: shipmentsEnabled, maxDays), and never dates a receipt as it is made.
 */
import t from 'tap';
import { AMOXICILLIN, MemoryJournal, order, startRig } from '../../systems/msupply/harness.js';
import { mediatorGql } from './gql.js';

const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;

t.test('receivedDatetime: off by default, only on a received shipment, only earlier, within maxDays', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const { state } = rig.sb;
  await rig.connector.orders!.submit(order('BKD-1', [{ gtin: AMOXICILLIN, qty: 300 }]), new MemoryJournal());
  const response = [...state.requisitions.values()].find((r) => r.type === 'RESPONSE')!;
  const { inbound } = state.shipResponseRequisition(response.id);
  const gql = await mediatorGql(rig.sb.url);
  const update = async (input: Record<string, unknown>) => {
    const answer = await gql(
      'mutation u($storeId: String!, $input: UpdateInboundShipmentInput!) { updateInboundShipment(storeId: $storeId, input: $input) { __typename ... on InvoiceNode { id status receivedDatetime } } }',
      { storeId: inbound.storeId, input: { id: inbound.id, ...input } },
    );
    return answer.errors?.[0]?.extensions?.details ?? answer.data.updateInboundShipment.status;
  };
  const invoice = () => state.invoices.get(inbound.id)!;
  const before = (ms: number) => new Date(Date.parse(invoice().receivedDatetime!) - ms).toISOString();

  t.equal(await update({ status: 'DELIVERED' }), 'DELIVERED');
  const asked = new Date(Date.parse(invoice().deliveredDatetime!) - HOUR).toISOString();
  t.equal(await update({ status: 'RECEIVED', receivedDatetime: asked }), 'BackdatingNotEnabled', 'off by default');
  state.backdating = { shipmentsEnabled: true, maxDays: 3 };
  t.equal(
    await update({ status: 'RECEIVED', receivedDatetime: asked }),
    'CanOnlyBackdateReceivedShipments',
    'not with the update that receives it',
  );
  t.equal(invoice().status, 'DELIVERED', 'a refused update receives nothing');
  t.equal(await update({ status: 'RECEIVED' }), 'RECEIVED');
  const stamp = invoice().receivedDatetime!;
  t.equal(await update({ receivedDatetime: stamp }), 'CannotMoveReceivedDateForward', 'the same date');
  t.equal(await update({ receivedDatetime: before(-HOUR) }), 'CannotMoveReceivedDateForward', 'a later one');
  t.equal(await update({ receivedDatetime: before(10 * DAY) }), 'ExceedsMaximumBackdatingDays', 'beyond maxDays');
  t.equal(invoice().receivedDatetime, stamp, 'refused: the date is unchanged');
  const earlier = before(DAY);
  t.equal(await update({ receivedDatetime: earlier }), 'RECEIVED', 'a day earlier, within 3');
  t.equal(invoice().receivedDatetime, earlier, 'backdated');
  state.backdating = { shipmentsEnabled: false, maxDays: 3 };
  t.equal(await update({ receivedDatetime: before(HOUR) }), 'BackdatingNotEnabled', 'turned off again');
});
