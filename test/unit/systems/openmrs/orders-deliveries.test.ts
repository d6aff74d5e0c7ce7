import t, { type Test } from 'tap';
import { LOC, startOpenMrsSandbox } from '../../../../sandbox/openmrs/index.js';
import type { Order } from '../../../../src/domain/index.js';
import { orderLineId } from '../../../../src/systems/openmrs/operations.js';
import { memoryJournal } from './journal.js';
import { failure, sandboxConnector } from './rig.js';

const GTIN = 'https://www.gs1.org/gtin';
const AMOXICILLIN = { system: GTIN, code: '10860012300058' };
const ORS = { system: GTIN, code: '10860012300072' };
const MWANGAZA_PARTY = 'e5d4c3b2-0001-4a1b-8c2d-3e4f50617281';
const KILIMA_PARTY = 'e5d4c3b2-0003-4a1b-8c2d-3e4f50617283';

async function setup(t: Test) {
  const { sb, c } = await sandboxConnector(t);
  return { sb, c };
}
const order = (over: Partial<Order> = {}): Order => ({
  orderNumber: { system: 'https://app.example.org/orders', value: 'ORD-77' },
  status: 'active',
  priority: 'routine',
  facility: { id: LOC.kilima },
  supplier: { id: LOC.mwangaza },
  authoredOn: '2026-12-01T08:00:00Z',
  lines: [
    { product: AMOXICILLIN, quantity: { value: 200, unit: 'dispensing-unit' } },
    { product: ORS, quantity: { value: 1, unit: 'pack' } },
  ],
  ...over,
});
const itemOf = (sb: Awaited<ReturnType<typeof startOpenMrsSandbox>>, drug: string) =>
  [...sb.stock.items.values()].find((i) => i.drugUuid === drug)!.uuid;

t.test(
  'an order becomes one SUBMITTED requisition, across a lost answer; it reads back with the posted line ids',
  async (t) => {
    const { sb, c } = await setup(t);
    sb.faults.add({
      method: 'POST',
      path: '/openmrs/ws/rest/v1/stockmanagement/stockoperation',
      action: { type: 'afterApply', answer: { type: 'reset' } },
      times: 1,
    });
    t.equal((await failure(c.orders!.submit(order(), memoryJournal()))).transient, true);
    const r = await c.orders!.submit(order(), memoryJournal());
    t.equal(r.status, 'active');
    const reqs = [...sb.stock.operations.values()].filter((o) => o.operationType === 'requisition');
    t.equal(reqs.length, 1, 'one requisition');
    t.match(reqs[0], {
      status: 'SUBMITTED',
      sourceUuid: MWANGAZA_PARTY,
      destinationUuid: KILIMA_PARTY,
      externalReference: 'https://app.example.org/orders|ORD-77',
    });
    t.same(
      reqs[0].items.map((i) => i.quantity),
      [200, 50],
      'a pack of ORS is 50 sachets',
    );
    const [read] = (
      await c.orders!.search({ identifier: { system: 'https://app.example.org/orders', value: 'ORD-77' } })
    ).items;
    t.same(read.orderNumber, order().orderNumber);
    t.equal(read.facility.id, LOC.kilima);
    t.equal(read.supplier?.id, LOC.mwangaza);
    t.same(
      read.lines.map((l) => l.lineId),
      [orderLineId(read.orderNumber, AMOXICILLIN), orderLineId(read.orderNumber, ORS)],
    );
    t.same((await c.orders!.get(read.lines[1].lineId!))?.id, read.id, 'by line id');
    t.match(await failure(c.orders!.submit(order({ supplier: undefined }), memoryJournal())), {
      status: 422,
      message: /needs deliverFrom/,
    });
  },
);

t.test(
  'the supplier ships; the delivery reads in progress, and its confirmation completes the transfer once',
  async (t) => {
    const { sb, c } = await setup(t);
    const r = await c.orders!.submit(order(), memoryJournal());
    const transfer = sb.stock.fulfil(r.ids.requisition);
    t.equal(
      sb.stock.quantity(MWANGAZA_PARTY, itemOf(sb, '3f2a1b0c-0001-4d5e-8f70-a1b2c3d4e501')),
      800,
      'out of the supplier at dispatch',
    );
    const [d] = (await c.deliveries!.search({ facility: LOC.kilima, status: 'in-progress' })).items;
    t.ok(d, 'an in-progress delivery to Kilima');
    t.same(d.basedOn?.orderNumber, order().orderNumber, 'based on the order');
    t.equal(d.identifier.value, transfer.operationNumber);
    t.same(
      d.lines.map((l) => l.quantityShipped?.value),
      [200, 50],
    );

    const partial = {
      ...d,
      status: 'completed' as const,
      lines: d.lines.map((l, i) => ({
        ...l,
        quantityAccepted: {
          value: (l.quantityShipped?.value ?? 0) - (i === 0 ? 10 : 0),
          unit: 'dispensing-unit' as const,
        },
      })),
    };
    t.match(await failure(c.deliveries!.confirm(partial, memoryJournal())), {
      status: 422,
      message: /completes a transfer as shipped/,
    });

    const accepted = {
      ...d,
      status: 'completed' as const,
      lines: d.lines.map((l) => ({ ...l, quantityAccepted: l.quantityShipped })),
    };
    const journal = memoryJournal();
    const done = await c.deliveries!.confirm(accepted, journal);
    t.equal(done.status, 'completed');
    t.equal(
      sb.stock.quantity(KILIMA_PARTY, itemOf(sb, '3f2a1b0c-0001-4d5e-8f70-a1b2c3d4e501')),
      200,
      'into Kilima on completion',
    );
    t.equal(
      (await c.deliveries!.confirm(accepted, memoryJournal())).status,
      'completed',
      'confirming again changes nothing',
    );
    t.same(sb.store.writes['stockoperation.complete.stockissue'], 1, 'completed once');
    t.equal((await c.deliveries!.get(d.lines[0].lineId!))?.status, 'completed');
  },
);

t.test(
  'a receipt from an external supplier awaiting approval reads in progress; its confirmation approves it once',
  async (t) => {
    const { sb, c } = await setup(t);
    const admin = sb.store.userByName('admin')!;
    const receipt = sb.stock.create(
      {
        operationTypeUuid: sb.stock.typeUuid('receipt'),
        sourceUuid: 'e5d4c3b2-0000-4a1b-8c2d-3e4f50617280',
        destinationUuid: KILIMA_PARTY,
        operationDate: '2026-12-01T07:00:00.000+0000',
        stockOperationItems: [
          {
            stockItemUuid: itemOf(sb, '3f2a1b0c-0004-4d5e-8f70-a1b2c3d4e504'),
            batchNo: 'ZNC-2611',
            expiration: '2028-01-31',
            quantity: 500,
          },
        ],
      },
      admin,
      true,
    );
    const newOnes = (await c.deliveries!.search({ facility: LOC.kilima })).items;
    t.same(newOnes, [], 'a NEW receipt is a draft, not a delivery');
    sb.stock.act({ name: 'SUBMIT', uuid: receipt.uuid }, true);
    const [d] = (await c.deliveries!.search({ facility: LOC.kilima, status: 'in-progress' })).items;
    t.equal(d.identifier.value, receipt.operationNumber);
    t.same(
      d.lines.map((l) => [l.lot?.number, l.lot?.expiry, l.quantityShipped?.value]),
      [['ZNC-2611', '2028-01-31', 500]],
    );
    const accepted = {
      ...d,
      status: 'completed' as const,
      lines: d.lines.map((l) => ({ ...l, quantityAccepted: l.quantityShipped })),
    };
    t.equal((await c.deliveries!.confirm(accepted, memoryJournal())).status, 'completed');
    t.equal((await c.deliveries!.confirm(accepted, memoryJournal())).status, 'completed', 'again: nothing more');
    t.equal(sb.store.writes['stockoperation.approve.receipt'], 1, 'approved once');
    t.equal(
      sb.stock.quantity(KILIMA_PARTY, itemOf(sb, '3f2a1b0c-0004-4d5e-8f70-a1b2c3d4e504')),
      500,
      'the stock arrived',
    );
  },
);

t.test("a delivery read while its requisition's read fails: an error, not a delivery without its order", async (t) => {
  const { sb, c } = await setup(t);
  const r = await c.orders!.submit(order(), memoryJournal());
  sb.stock.fulfil(r.ids.requisition);
  sb.faults.add({
    method: 'GET',
    path: `/openmrs/ws/rest/v1/stockmanagement/stockoperation/${r.ids.requisition}`,
    action: { type: 'status', status: 503 },
  });
  const err = await failure(c.deliveries!.search({ facility: LOC.kilima }));
  t.equal(err.transient, true, `the outage is reported: ${err.message}`);
  sb.faults.clear();
  const [d] = (await c.deliveries!.search({ facility: LOC.kilima })).items;
  t.same(d.basedOn?.orderNumber, order().orderNumber);
  sb.stock.operations.delete(r.ids.requisition);
  const [gone] = (await c.deliveries!.search({ facility: LOC.kilima })).items;
  t.equal(gone.basedOn, undefined, 'a requisition OpenMRS no longer has (404): no order to name');
});
