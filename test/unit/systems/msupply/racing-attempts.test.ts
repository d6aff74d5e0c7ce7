/**
 * Two attempts of one write racing in Open mSupply, as when an instance takes over a job whose
 * lease lapsed while the stale attempt is still writing (outbox/journal.ts): both look before they
 * write, both find nothing, and the later insert or send is refused because the other's landed
 * first ("Bad user input" RequisitionAlreadyExists / RequisitionLineAlreadyExists, or
 * CannotEditRequisition once it is SENT: server/graphql/requisition in
 * msupply-foundation/open-msupply). That refusal is the other attempt's success, under the same
 * derived id: both attempts end with the one requisition, never a refusal of a write that is there.
 */
import t from 'tap';
import type { Order } from '../../../../src/domain/index.js';
import { AMOXICILLIN, MemoryJournal, PARACETAMOL, order, startRig } from './harness.js';

const REQUEST_WRITES = ['insertRequestRequisition', 'insertRequestRequisitionLine', 'updateRequestRequisition'];

for (const operation of REQUEST_WRITES) {
  t.test(`an order: the first ${operation} held back while a second attempt runs`, async (t) => {
    const rig = await startRig();
    t.teardown(() => rig.close());
    // the first attempt's write arrives late: the second attempt's lands first
    rig.sb.faults.add({ operation, action: { type: 'delay', ms: 400 }, times: 1 });
    const o = order('RACE-1', [
      { gtin: AMOXICILLIN, qty: 300 },
      { gtin: PARACETAMOL, qty: 500 },
    ]);
    const [a, b] = await Promise.allSettled([
      rig.connector.orders!.submit(o, new MemoryJournal()),
      rig.connector.orders!.submit(o, new MemoryJournal()),
    ]);
    t.same(
      [a.status, b.status],
      ['fulfilled', 'fulfilled'],
      `neither attempt is refused: ${[a, b].map((x) => (x.status === 'rejected' ? String(x.reason) : 'ok')).join(' / ')}`,
    );
    t.ok(
      rig.sb.calls.filter((c) => c.operation === operation).length >= 2,
      `both attempts sent ${operation}: they raced`,
    );
    const requests = [...rig.sb.state.requisitions.values()].filter((r) => r.type === 'REQUEST');
    t.equal(requests.length, 1, 'one requisition');
    t.equal(requests[0].status, 'SENT');
    t.same(
      rig.sb.state
        .linesOf(requests[0].id)
        .map((l) => [rig.sb.state.items.get(l.itemId)!.code, l.requestedQuantity])
        .sort(),
      [
        ['AMX250T', 300],
        ['PCM500T', 500],
      ],
      'one line per item, with its quantity',
    );
    t.equal(rig.sb.state.applied.filter((x) => x.mutation === 'insertRequestRequisition').length, 1, 'inserted once');
  });
}

/** A DHIS2 requisition of the West Community Clinic (a customer of the warehouse) to fulfil. */
function clinicOrder(): Order {
  return {
    ...order('RTS-EVENT-1', [
      { gtin: AMOXICILLIN, qty: 300 },
      { gtin: PARACETAMOL, qty: 500 },
    ]),
    facility: { identifier: { system: 'https://dhis2.example.org/orgUnit-code', value: 'CL-WEST' } },
  };
}

for (const operation of ['insertResponseRequisition', 'insertResponseRequisitionLine']) {
  t.test(`a fulfilment: the first ${operation} held back while a second attempt runs`, async (t) => {
    const rig = await startRig();
    t.teardown(() => rig.close());
    rig.sb.faults.add({ operation, action: { type: 'delay', ms: 400 }, times: 1 });
    const o = clinicOrder();
    const [a, b] = await Promise.allSettled([
      rig.connector.fulfilment.respond(o, new MemoryJournal()),
      rig.connector.fulfilment.respond(o, new MemoryJournal()),
    ]);
    t.same(
      [a.status, b.status],
      ['fulfilled', 'fulfilled'],
      `neither attempt is refused: ${[a, b].map((x) => (x.status === 'rejected' ? String(x.reason) : 'ok')).join(' / ')}`,
    );
    t.ok(
      rig.sb.calls.filter((c) => c.operation === operation).length >= 2,
      `both attempts sent ${operation}: they raced`,
    );
    const responses = [...rig.sb.state.requisitions.values()].filter((r) => r.type === 'RESPONSE');
    t.equal(responses.length, 1, 'one response requisition');
    t.equal(responses[0].theirReference, 'RTS-EVENT-1');
    t.same(
      rig.sb.state
        .linesOf(responses[0].id)
        .map((l) => [rig.sb.state.items.get(l.itemId)!.code, l.requestedQuantity])
        .sort(),
      [
        ['AMX250T', 300],
        ['PCM500T', 500],
      ],
      'one line per item, with its quantity',
    );
  });
}
