import { readFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { PRODUCT_CODE_SYSTEM, REQUISITION_SYSTEM } from '../../../../src/systems/openlmis/identifiers.js';
import {
  buildConfirmBody,
  matchReceivedLines,
  type ReceivedLine,
} from '../../../../src/systems/openlmis/proof-of-delivery/proof-of-delivery-confirm.js';
import {
  decodeDelivery,
  type DeliveryLookups,
} from '../../../../src/systems/openlmis/proof-of-delivery/proof-of-delivery-decode.js';
import type {
  FulfillmentOrderDto,
  ProofOfDeliveryDto,
  ShipmentDto,
} from '../../../../src/systems/openlmis/proof-of-delivery/shipment-dto.js';
import { shippedFiveLineOrder } from '../../../unit/systems/openlmis/deliveries-harness.js';
import { MemoryJournal, startFlowHarness } from '../../../unit/systems/openlmis/orders-harness.js';
import { fixturesDir, fixturesPresent, loadSchemas, readExample } from '../../sandbox/openlmis/schemas.js';

/**
 * Contract tier for the delivery flow: the POD confirmation the connector PUTs (recorded during a
 * real confirmation against the sandbox, and built from the upstream example POD) validates
 * against proofOfDeliveryDto.json and has the field set of the contract test's confirm body; the
 * upstream order/shipment/POD examples decode into a Delivery without losing a field the FHIR
 * side carries (shipped, accepted and rejected quantities, lots with expiry, reasons, VVM).
 * No deviations beyond the schema loader's (NULLS, MISSING_REFS, DRAFT03_REQUIRED).
 */
if (!fixturesPresent) {
  t.comment('contract tier skipped: ../shared/fixtures not found');
  t.pass('skipped');
} else {
  const { validator } = loadSchemas();
  const podSchema = validator('fulfillment', 'proofOfDeliveryDto.json');
  const products = { toProduct: (code: string, display?: string) => ({ system: PRODUCT_CODE_SYSTEM, code, display }) };
  const order = readExample('fulfillment/GET-api-orders-id.response.json') as FulfillmentOrderDto;
  const shipment = readExample('fulfillment/GET-api-shipments-id.response.json') as ShipmentDto;
  const pod = readExample('fulfillment/GET-api-proofsOfDelivery-id.response.json') as ProofOfDeliveryDto;
  const confirmExample = readExample(
    'fulfillment/PUT-api-proofsOfDelivery-id.confirm.request.json',
  ) as ProofOfDeliveryDto;
  const lots = JSON.parse(readFileSync(path.join(fixturesDir, 'demo-data/derived/lots.LotDto.json'), 'utf8')) as Array<{
    id: string;
    lotCode: string;
    expirationDate: string;
  }>;
  const reasons = readFileSync(
    path.join(fixturesDir, 'demo-data/stockmanagement/stockmanagement.stock_card_line_item_reasons.csv'),
    'utf8',
  )
    .split('\n')
    .slice(1)
    .filter(Boolean)
    .map((row) => row.split(','));
  const lookups: DeliveryLookups = {
    orderable: (id) =>
      order.orderLineItems!.map((l) => l.orderable).find((o) => o.id === id) as { productCode: string } | undefined,
    lot: (id) => lots.find((l) => l.id === id),
    reasonName: (id) => reasons.find((r) => r[0] === id)?.[1],
    products,
  };
  const keys = (o: object) => Object.keys(o).sort();

  t.test('the confirmation PUT validates and has the contract test body fields', async (t) => {
    const h = await startFlowHarness();
    t.teardown(h.close);
    const s = await shippedFiveLineOrder(h);
    const d = (await h.deliveries.get(s.podId))!;
    await h.deliveries.confirm(
      {
        ...d,
        status: 'completed',
        receivedBy: 'Nurse',
        lines: d.lines.map((l) => ({ product: l.product, lot: l.lot, quantityAccepted: l.quantityShipped })),
      },
      new MemoryJournal(),
    );
    const put = h.calls.find((c) => c.method === 'PUT' && c.path === `/api/proofsOfDelivery/${s.podId}`)!;
    t.ok(podSchema(put.body), 'PUT /api/proofsOfDelivery/{id} matches fulfillment/proofOfDeliveryDto.json', {
      errors: podSchema.errors,
    });
    const body = put.body as ProofOfDeliveryDto;
    t.same(keys(body), keys(confirmExample), 'same top-level fields as the contract test confirm body');
    t.same(keys(body.lineItems![0]), keys(confirmExample.lineItems![0]), 'same line fields');
    t.notOk(
      podSchema({ ...body, shipment: undefined, id: undefined }),
      'negative control: a POD without id and shipment is rejected',
    );
  });

  t.test('a confirmation built from the upstream example POD validates', async (t) => {
    const shippedOf = (id: string) => shipment.lineItems!.find((s) => s.orderable.id === id)?.quantityShipped ?? 0;
    const lines: ReceivedLine[] = pod
      .lineItems!.filter((p) => shippedOf(p.orderable.id) > 0)
      .map((p, i) => ({
        orderableId: p.orderable.id,
        lotId: p.lot?.id ?? null,
        accepted: shippedOf(p.orderable.id) - 1,
        rejected: 1,
        rejectionReasonId: reasons[0][0],
        where: `Delivery.lines[${i}]`,
        label: p.orderable.id,
      }));
    const body = buildConfirmBody(
      pod,
      matchReceivedLines(pod, shipment, lines, (p) => p.orderable.id),
      { receivedBy: 'Someone', deliveredBy: 'Someone', receivedDate: '2017-06-14' },
    );
    t.ok(podSchema(body), 'matches proofOfDeliveryDto.json', { errors: podSchema.errors });
    t.same(keys(body), keys(confirmExample));
  });

  t.test('the upstream order, shipment and POD examples decode into a Delivery', async (t) => {
    const d = decodeDelivery(
      { order, shipment, pod, orderNumber: { system: REQUISITION_SYSTEM, value: order.externalId! } },
      lookups,
    );
    t.same(
      [d.id, d.status, d.destination.identifier?.value, d.supplier?.identifier?.value],
      [pod.id, 'in-progress', order.receivingFacility!.code, order.supplyingFacility!.code],
    );
    t.same(
      d.basedOn?.orderNumber,
      { system: REQUISITION_SYSTEM, value: order.externalId },
      "based on the order's requisition",
    );
    t.equal(d.lines.length, shipment.lineItems!.length, 'one delivery line per shipment line');
    shipment.lineItems!.forEach((s, i) => {
      const code = lookups.orderable(s.orderable.id)?.productCode;
      t.ok(code, `shipment line ${i}: product code resolved from the order`);
      t.same(
        [d.lines[i].product.code, d.lines[i].quantityShipped],
        [code, { value: s.quantityShipped, unit: 'pack' }],
        `line ${code}`,
      );
      if (s.lot) t.same(d.lines[i].lot?.number, lookups.lot(s.lot.id)?.lotCode, `line ${code}: lot`);
    });

    const confirmed = decodeDelivery(
      { order, shipment, pod: confirmExample, orderNumber: { system: REQUISITION_SYSTEM, value: order.externalId! } },
      lookups,
    );
    t.same(
      [confirmed.status, confirmed.receivedBy, confirmed.occurredAt],
      ['completed', confirmExample.receivedBy, confirmExample.receivedDate],
    );
    for (const l of confirmExample.lineItems!) {
      const decoded = confirmed.lines.find((x) => x.product.code === lookups.orderable(l.orderable.id)?.productCode);
      if (!decoded) continue; // a POD line without a shipment line has nothing shipped to report
      t.same(
        [decoded.quantityAccepted, decoded.quantityRejected],
        [
          { value: l.quantityAccepted, unit: 'pack' },
          { value: l.quantityRejected, unit: 'pack' },
        ],
        `confirmed ${decoded.product.code}`,
      );
    }
    t.ok(
      confirmed.lines.some((x) => x.quantityAccepted),
      'at least one confirmed line was compared',
    );
  });
}
