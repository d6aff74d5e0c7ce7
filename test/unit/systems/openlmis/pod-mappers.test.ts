import t from 'tap';
import { BusinessRuleError } from '../../../../src/domain/index.js';
import {
  PRODUCT_CODE_SYSTEM,
  PROOF_OF_DELIVERY_SYSTEM,
  deliveryLineId,
  orderLineId,
} from '../../../../src/systems/openlmis/identifiers.js';
import {
  buildConfirmBody,
  holdsSameConfirmation,
  matchReceivedLines,
  type ReceivedLine,
} from '../../../../src/systems/openlmis/proof-of-delivery/proof-of-delivery-confirm.js';
import {
  SHIPMENT_SYSTEM,
  decodeDelivery,
  type DeliveryLookups,
} from '../../../../src/systems/openlmis/proof-of-delivery/proof-of-delivery-decode.js';
import type {
  FulfillmentOrderDto,
  ProofOfDeliveryDto,
  ShipmentDto,
} from '../../../../src/systems/openlmis/proof-of-delivery/shipment-dto.js';

/** Pure POD mappers: order + shipment + POD → Delivery, and the confirmation plan and body. */
const products = { toProduct: (code: string, display?: string) => ({ system: PRODUCT_CODE_SYSTEM, code, display }) };
const ORDER_NUMBER = { system: 'urn:orders', value: 'ORD-1' };

const order: FulfillmentOrderDto = {
  id: 'ord-1',
  externalId: 'req-1',
  status: 'SHIPPED',
  lastUpdatedDate: '2026-05-03T00:00:00Z',
  program: { id: 'p-1', code: 'PRG001' },
  receivingFacility: { id: 'f-1', code: 'HC01', name: 'Comfort' },
  supplyingFacility: { id: 'wh-1', code: 'WH01', name: 'Ntcheu' },
  orderLineItems: [
    { orderable: { id: 'o1', productCode: 'C100', fullProductName: 'Levora', netContent: 84 }, orderedQuantity: 10 },
    { orderable: { id: 'o2', productCode: 'C200', netContent: 1 }, orderedQuantity: 5 },
  ],
};
const shipment: ShipmentDto = {
  id: 'shp-1',
  order: { id: 'ord-1' },
  shippedDate: '2026-05-02T08:00:00Z',
  lineItems: [
    { orderable: { id: 'o1', versionNumber: 1 }, lot: { id: 'lot-1' }, quantityShipped: 10 },
    { orderable: { id: 'o2', versionNumber: 1 }, lot: null, quantityShipped: 4 },
  ],
};
const pod: ProofOfDeliveryDto = {
  id: 'pod-1',
  shipment: { id: 'shp-1' },
  status: 'INITIATED',
  deliveredBy: null,
  receivedBy: null,
  receivedDate: null,
  lineItems: [
    {
      id: 'pl1',
      orderable: { id: 'o1', versionNumber: 1 },
      lot: { id: 'lot-1' },
      quantityAccepted: null,
      quantityRejected: null,
      rejectionReasonId: null,
      useVvm: false,
      vvmStatus: null,
      notes: null,
    },
    {
      id: 'pl2',
      orderable: { id: 'o2', versionNumber: 1 },
      lot: null,
      quantityAccepted: null,
      quantityRejected: null,
      rejectionReasonId: null,
      useVvm: true,
      vvmStatus: null,
      notes: null,
    },
  ],
};
const lookups: DeliveryLookups = {
  orderable: (id) => order.orderLineItems!.map((l) => l.orderable).find((o) => o.id === id) as { productCode: string },
  lot: (id) => (id === 'lot-1' ? { lotCode: 'L-1', expirationDate: '2027-01-31' } : undefined),
  reasonName: (id) => (id === 'r-dmg' ? 'Damage' : undefined),
  products,
};

const received = (patch: Partial<ReceivedLine>[] = []): ReceivedLine[] => [
  {
    orderableId: 'o1',
    lotId: 'lot-1',
    accepted: 8,
    rejected: 2,
    rejectionReasonId: 'r-dmg',
    where: 'Delivery.lines[0]',
    label: 'C100 lot L-1',
    ...patch[0],
  },
  {
    orderableId: 'o2',
    accepted: 4,
    rejected: 0,
    vvmStatus: 'STAGE_1',
    where: 'Delivery.lines[1]',
    label: 'C200',
    ...patch[1],
  },
];

t.test('decode: an initiated POD is an in-progress delivery in packs, based on the order', async (t) => {
  const d = decodeDelivery({ order, shipment, pod, orderNumber: ORDER_NUMBER }, lookups);
  const identifier = { system: PROOF_OF_DELIVERY_SYSTEM, value: 'pod-1' };
  t.same(d.identifier, identifier);
  t.equal(d.status, 'in-progress');
  t.equal(d.occurredAt, '2026-05-02T08:00:00Z', 'shipped date until received');
  t.same(d.basedOn, {
    orderNumber: ORDER_NUMBER,
    lineIds: [
      orderLineId(ORDER_NUMBER, products.toProduct('C100', 'Levora')),
      orderLineId(ORDER_NUMBER, products.toProduct('C200')),
    ],
    orderId: 'req-1',
  });
  t.equal(
    decodeDelivery({ order: { ...order, externalId: null }, shipment, pod, orderNumber: ORDER_NUMBER }, lookups).basedOn
      ?.orderId,
    'ord-1',
    'a requisition-less order is read as itself',
  );
  t.same(d.lines[0], {
    lineId: deliveryLineId(identifier, products.toProduct('C100', 'Levora'), 'L-1'),
    product: products.toProduct('C100', 'Levora'),
    quantityShipped: { value: 10, unit: 'pack' },
    lot: { number: 'L-1', expiry: '2027-01-31' },
  });
  t.same([d.destination.identifier?.value, d.supplier?.display], ['HC01', 'Ntcheu']);
  const noPod = decodeDelivery({ order, shipment, orderNumber: ORDER_NUMBER }, lookups);
  t.same(
    [noPod.id, noPod.identifier],
    ['shp-1', { system: SHIPMENT_SYSTEM, value: 'shp-1' }],
    'before a POD exists the shipment is the delivery',
  );
});

t.test('plan and body: accepted + rejected = shipped, reasons, VVM, every shipped line', async (t) => {
  const matched = matchReceivedLines(pod, shipment, received(), () => 'x');
  const body = buildConfirmBody(pod, matched, {
    receivedBy: 'Nurse',
    deliveredBy: 'Driver',
    receivedDate: '2026-05-04',
  });
  t.same(
    [body.status, body.receivedBy, body.deliveredBy, body.receivedDate],
    ['CONFIRMED', 'Nurse', 'Driver', '2026-05-04'],
  );
  t.same(
    body.lineItems!.map((l) => [l.id, l.quantityAccepted, l.quantityRejected, l.rejectionReasonId, l.vvmStatus]),
    [
      ['pl1', 8, 2, 'r-dmg', null],
      ['pl2', 4, 0, null, 'STAGE_1'],
    ],
  );
  t.equal(pod.status, 'INITIATED', 'the read POD is not mutated');

  const confirmedPod = { ...body } as ProofOfDeliveryDto;
  const decoded = decodeDelivery({ order, shipment, pod: confirmedPod, orderNumber: ORDER_NUMBER }, lookups);
  t.same(
    [
      decoded.status,
      decoded.receivedBy,
      decoded.occurredAt,
      decoded.lines[0].rejectionReason,
      decoded.lines[0].quantityRejected,
    ],
    ['completed', 'Nurse', '2026-05-04', 'Damage', { value: 2, unit: 'pack' }],
  );
  t.ok(
    holdsSameConfirmation(
      confirmedPod,
      matchReceivedLines(confirmedPod, shipment, received(), () => 'x'),
    ),
  );
  t.notOk(
    holdsSameConfirmation(
      confirmedPod,
      matchReceivedLines(confirmedPod, shipment, received([{ accepted: 9, rejected: 1 }]), () => 'x'),
    ),
  );

  const fails = (lines: ReceivedLine[], pattern: RegExp) =>
    t.throws(() => matchReceivedLines(pod, shipment, lines, (p) => p.orderable.id), pattern);
  fails(received([{ accepted: 9 }]), /accepted 9 \+ rejected 2 packs must equal the 10 packs shipped/);
  fails(received([{ rejectionReasonId: undefined }]), /rejected without a rejection reason/);
  fails(received([{}, { vvmStatus: undefined }]), /VVM status/);
  fails(received([{ accepted: 7.5, rejected: 2.5 }]), /whole, non-negative/);
  fails(received([{ lotId: null }]), /C100 lot L-1 is not in proof of delivery pod-1/);
  fails(received().slice(0, 1), /leaves out shipped lines of proof of delivery pod-1: o2/);
  fails([...received(), received()[1]], /given twice/);
  const err = t.throws(() =>
    matchReceivedLines(pod, shipment, received([{ accepted: 1 }]), () => 'x'),
  ) as unknown as BusinessRuleError;
  t.same(err.issues[0].expression, ['Delivery.lines[0]']);
});
