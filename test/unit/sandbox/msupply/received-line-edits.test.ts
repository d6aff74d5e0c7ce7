/**
 * The mSupply sandbox edits inbound shipment lines as Open mSupply does: a RECEIVED shipment still
 * takes line edits, its stock line following them, until it is VERIFIED
 * (server/service/src/invoice/validate.rs check_invoice_is_editable; CannotEditFinalised answered
 * as CannotEditInvoice), and not once the received stock was used (BatchIsReserved:
 * invoice_line/stock_in_line/validate.rs check_batch).
 */
import t from 'tap';
import { AMOXICILLIN, MemoryJournal, order, startRig } from '../../systems/msupply/harness.js';
import { mediatorGql } from './gql.js';

t.test('a received line takes edits with its stock until used or VERIFIED', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const { state } = rig.sb;
  await rig.connector.orders!.submit(order('RCV-EDIT-1', [{ gtin: AMOXICILLIN, qty: 300 }]), new MemoryJournal());
  const response = [...state.requisitions.values()].find((r) => r.type === 'RESPONSE')!;
  const { inbound } = state.shipResponseRequisition(response.id);
  const gql = await mediatorGql(rig.sb.url);
  const edit = async (numberOfPacks: number) => {
    const answer = await gql(
      'mutation u($storeId: String!, $input: UpdateInboundShipmentLineInput!) { updateInboundShipmentLine(storeId: $storeId, input: $input) { __typename ... on UpdateInboundShipmentLineError { error { __typename } } } }',
      { storeId: inbound.storeId, input: { id: line.id, numberOfPacks } },
    );
    const r = answer.data.updateInboundShipmentLine;
    return r.error?.__typename ?? r.__typename;
  };
  const [line] = state.invoiceLinesOf(inbound.id);
  state.moveInbound(inbound, 'RECEIVED');
  const stock = () => state.stockLines.get(line.stockLineId!)!;
  const received = line.numberOfPacks;
  t.equal(stock().totalNumberOfPacks, received, 'received into stock');

  t.equal(await edit(received - 1), 'InvoiceLineNode', 'RECEIVED: the line is still edited');
  t.equal(stock().totalNumberOfPacks, received - 1, 'and its stock with it');
  t.equal(stock().availableNumberOfPacks, received - 1);

  stock().availableNumberOfPacks -= 1;
  t.equal(await edit(received), 'BatchIsReserved', 'refused once the received stock was used');
  stock().availableNumberOfPacks += 1;

  state.moveInbound(inbound, 'VERIFIED');
  t.equal(await edit(received), 'CannotEditInvoice', 'VERIFIED: no longer');
  t.equal(line.numberOfPacks, received - 1, 'refused edits change nothing');
  t.equal(stock().totalNumberOfPacks, received - 1);
});
