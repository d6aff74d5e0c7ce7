import { managedFacilityRef } from './managed-facility.js';
import { productOfItem } from './item-reference.js';
import { receiverName, supplierName } from './delivery-parties.js';
import type { Delivery, DeliveryLine } from '../../domain/delivery.js';
import type { Identifier } from '../../domain/identifiers.js';
import { InvalidInputError } from '../../domain/errors.js';
import { DELIVERY_NUMBER_SYSTEM, DELIVERY_NUMBER_TYPE, EXT, ORDER_NUMBER_TYPE } from '../conventions.js';
import type { FhirVersion } from '../versions.js';
import {
  compact,
  extensionValue,
  facilityRefToFhir,
  identifierToFhir,
  identifiersFromFhir,
  singleTypedIdentifier,
  isR5,
  unitOf,
  lotExtensions,
  lotFromExtensions,
  productToConcept,
  quantityFromFhir,
  quantityToFhir,
  requireFacility,
  type Json,
} from './common.js';

const TYPE_SYSTEM: Record<FhirVersion, string> = {
  r4: 'http://terminology.hl7.org/CodeSystem/supply-item-type',
  r5: 'http://hl7.org/fhir/supplydelivery-supplyitemtype',
};

/** The accepted quantity is `suppliedItem.quantity`; shipped, rejected, reason, lot and VVM travel as extensions. */
function encodeSuppliedItem(line: DeliveryLine): Json {
  const extension = [
    ...(line.quantityShipped
      ? [{ url: EXT.quantityShipped, valueQuantity: quantityToFhir(line.quantityShipped) }]
      : []),
    ...(line.quantityRejected
      ? [{ url: EXT.quantityRejected, valueQuantity: quantityToFhir(line.quantityRejected) }]
      : []),
    ...(line.rejectionReason ? [{ url: EXT.rejectionReason, valueString: line.rejectionReason }] : []),
    ...lotExtensions(line.lot),
    ...(line.vvmStatus ? [{ url: EXT.vvmStatus, valueCode: line.vvmStatus }] : []),
  ];
  const concept = productToConcept(line.product);
  return compact({
    extension,
    quantity: line.quantityAccepted ? quantityToFhir(line.quantityAccepted) : undefined,
    itemCodeableConcept: concept,
  });
}

function commonFields(version: FhirVersion, d: Delivery): Json {
  return {
    identifier: [identifierToFhir(d.identifier, DELIVERY_NUMBER_TYPE)],
    basedOn: [
      ...(d.basedOn?.lineIds ?? []).map((id) => ({ reference: `SupplyRequest/${id}` })),
      ...(d.basedOn?.orderNumber && !(d.basedOn.lineIds ?? []).length
        ? [{ identifier: identifierToFhir(d.basedOn.orderNumber, ORDER_NUMBER_TYPE) }]
        : []),
    ],
    status: d.status,
    type: { coding: [{ system: TYPE_SYSTEM[version], code: 'medication' }] },
    occurrenceDateTime: d.occurredAt,
    supplier: d.supplier?.display ? { display: d.supplier.display } : undefined,
    // the Location a `supplier` search names: supplier itself may not reference a Location
    extension: d.supplier?.id
      ? [{ url: EXT.supplyingLocation, valueReference: facilityRefToFhir(d.supplier) }]
      : undefined,
    destination: facilityRefToFhir(d.destination),
    receiver: d.receivedBy ? [{ display: d.receivedBy }] : undefined,
  };
}

/** R5: one SupplyDelivery with one suppliedItem per line. R4 (suppliedItem 0..1): one SupplyDelivery per line sharing the delivery number. */
export function encodeDelivery(version: FhirVersion, d: Delivery, meta: (lineId: string | undefined) => Json): Json[] {
  if (isR5(version)) {
    return [
      compact({
        resourceType: 'SupplyDelivery',
        id: d.id,
        meta: meta(d.id),
        ...commonFields(version, d),
        suppliedItem: d.lines.map((l) => encodeSuppliedItem(l)),
      }),
    ];
  }
  return d.lines.map((line) =>
    compact({
      resourceType: 'SupplyDelivery',
      id: line.lineId,
      meta: meta(line.lineId),
      ...commonFields(version, d),
      suppliedItem: encodeSuppliedItem(line),
    }),
  );
}

export interface DecodedDelivery {
  delivery: Omit<Delivery, 'lines'>;
  lines: DeliveryLine[];
  explicitNumber: boolean;
}

/** FHIRPath of the extension with this url on an element (`…extension[2]`), for error expressions. */
function extensionAt(el: Json, url: string, path: string): string {
  const index = ((el.extension ?? []) as Json[]).findIndex((e) => e.url === url);
  return index >= 0 ? `${path}.extension[${index}]` : `${path}.extension`;
}

/**
 * A shipped or accepted quantity. A fraction of a pack is what a shipment line of broken packs
 * holding a fraction of a unit reads as (Open mSupply's 2.505 packs of 100: 250.5 tablets; a
 * whole number of units reads as units): an app that sends such a delivery back as read is told
 * what the connector would tell it, and how to get through, not only that the number is not whole.
 */
function packsFromFhir(q: Json, path: string, isR4Line: boolean) {
  const quantity = () => quantityFromFhir(q, path, 'pack');
  if (typeof q?.value !== 'number' || Number.isInteger(q.value) || !Number.isFinite(q.value)) return quantity();
  if (q.comparator !== undefined || unitOf(q, path, 'pack') !== 'pack') return quantity();
  throw new InvalidInputError(
    `${path}.value ${q.value} is not a whole number of packs; a shipment line whose broken packs hold a fraction of a unit reads as its packs (${q.value} packs), which no whole number of packs or units states: leave the line out of the confirmation to receive it as shipped (${isR4Line ? "send the delivery's other lines, not this SupplyDelivery" : 'send the SupplyDelivery without this suppliedItem'}), or receive it in the system of record`,
    `${path}.value`,
    422,
    'value',
  );
}

function decodeSuppliedItem(r: Json, item: Json, path: string, lineId: string | undefined): DeliveryLine {
  const isR4Line = !Array.isArray(r.suppliedItem);
  const shipped = extensionValue(item, EXT.quantityShipped)?.valueQuantity;
  const rejected = extensionValue(item, EXT.quantityRejected)?.valueQuantity;
  const line = compact({
    lineId,
    product: productOfItem(
      r,
      { concept: item.itemCodeableConcept, reference: item.itemReference },
      `${path}.itemCodeableConcept`,
      `${path}.itemReference`,
    ),
    quantityAccepted: item.quantity ? packsFromFhir(item.quantity, `${path}.quantity`, isR4Line) : undefined,
    quantityShipped: shipped
      ? packsFromFhir(shipped, `${extensionAt(item, EXT.quantityShipped, path)}.valueQuantity`, isR4Line)
      : undefined,
    quantityRejected: rejected
      ? quantityFromFhir(rejected, `${extensionAt(item, EXT.quantityRejected, path)}.valueQuantity`, 'pack')
      : undefined,
    rejectionReason: extensionValue(item, EXT.rejectionReason)?.valueString,
    lot: lotFromExtensions(item),
    vvmStatus: extensionValue(item, EXT.vvmStatus)?.valueCode,
  }) as DeliveryLine;
  for (const [field, q, at] of [
    ['quantity', line.quantityAccepted, `${path}.quantity.value`],
    [
      'quantity-rejected',
      line.quantityRejected,
      `${extensionAt(item, EXT.quantityRejected, path)}.valueQuantity.value`,
    ],
  ] as const) {
    if (q && q.value < 0)
      throw new InvalidInputError(`${path} ${field} must not be negative (got ${q.value})`, at, 422, 'value');
  }
  if (line.quantityRejected && line.quantityRejected.value > 0 && !line.rejectionReason) {
    throw new InvalidInputError(
      `${path} rejects ${line.quantityRejected.value} but gives no rejection reason (extension ${EXT.rejectionReason})`,
      `${path}.extension`,
      422,
      'required',
    );
  }
  return line;
}

/**
 * The delivery number a SupplyDelivery belongs to (`explicit`: typed FILL or in our system), read
 * alone: which delivery a resource read back belongs to is decided by it, never by its quantities.
 */
export function deliveryNumberOf(r: Json, path = 'SupplyDelivery'): { identifier?: Identifier; explicit: boolean } {
  const typed = singleTypedIdentifier(
    r.identifier,
    DELIVERY_NUMBER_TYPE,
    DELIVERY_NUMBER_SYSTEM,
    path,
    'delivery number',
  );
  const identifier =
    typed ??
    identifiersFromFhir(r.identifier)[0] ??
    (r.id ? { system: `${DELIVERY_NUMBER_SYSTEM}/line`, value: String(r.id) } : undefined);
  return { identifier, explicit: !!typed };
}

export function decodeSupplyDelivery(version: FhirVersion, r: Json, path = 'SupplyDelivery'): DecodedDelivery {
  const { identifier, explicit } = deliveryNumberOf(r, path);
  if (!identifier) {
    throw new InvalidInputError(
      `${path}.identifier needs the delivery number (the shipment or proof-of-delivery number, type ${DELIVERY_NUMBER_TYPE.system}|${DELIVERY_NUMBER_TYPE.code})`,
      `${path}.identifier`,
      422,
      'required',
    );
  }
  const items: Json[] = isR5(version) ? (r.suppliedItem ?? []) : r.suppliedItem ? [r.suppliedItem] : [];
  if (items.length === 0)
    throw new InvalidInputError(
      `${path}.suppliedItem is required: what was received`,
      `${path}.suppliedItem`,
      422,
      'required',
    );
  const lineIds: string[] = [];
  let orderNumber;
  for (const b of r.basedOn ?? []) {
    const m = typeof b.reference === 'string' ? /SupplyRequest\/([A-Za-z0-9\-.]{1,64})$/.exec(b.reference) : null;
    if (m) lineIds.push(m[1]);
    else if (b.identifier?.value)
      orderNumber = { system: b.identifier.system ?? 'urn:ietf:rfc:3986', value: String(b.identifier.value) };
  }
  const lines = items.map((item, i) =>
    decodeSuppliedItem(
      r,
      item,
      isR5(version) ? `${path}.suppliedItem[${i}]` : `${path}.suppliedItem`,
      isR5(version) ? undefined : r.id,
    ),
  );
  return {
    explicitNumber: explicit,
    lines,
    delivery: compact({
      id: isR5(version) ? r.id : undefined,
      identifier,
      status: r.status ?? 'completed',
      basedOn:
        lineIds.length || orderNumber
          ? compact({ lineIds: lineIds.length ? lineIds : undefined, orderNumber })
          : undefined,
      destination: requireFacility(managedFacilityRef(r, r.destination, `${path}.destination`), `${path}.destination`),
      supplier: r.supplier ? { display: supplierName(r, path) } : undefined,
      occurredAt: r.occurrenceDateTime,
      receivedBy: receiverName(r, path),
    }) as Omit<Delivery, 'lines'>,
  };
}
