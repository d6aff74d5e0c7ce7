import { managedFacilityRef } from './managed-facility.js';
import { productOfItem } from './item-reference.js';
import type { Order, OrderLine } from '../../domain/order.js';
import { InvalidInputError } from '../../domain/errors.js';
import { ORDER_NUMBER_SYSTEM, ORDER_NUMBER_TYPE, PROGRAM_SYSTEM } from '../conventions.js';
import type { FhirVersion } from '../versions.js';
import {
  compact,
  facilityRefToFhir,
  identifierToFhir,
  identifiersFromFhir,
  singleTypedIdentifier,
  isR5,
  productToConcept,
  quantityFromFhir,
  quantityToFhir,
  requireFacility,
  type Json,
} from './common.js';

/** One SupplyRequest per order line, each carrying the shared order number (README "Orders"). */
export function encodeOrderLines(version: FhirVersion, order: Order, meta: (line: OrderLine) => Json): Json[] {
  return order.lines.map((line) => encodeOrderLine(version, order, line, meta(line)));
}

/**
 * One line's SupplyRequest, its members set in order and undefined ones left out (what compact()
 * of one literal gave, without copying every member again under a computed key).
 */
function encodeOrderLine(version: FhirVersion, order: Order, line: OrderLine, meta: Json): Json {
  const concept = productToConcept(line.product);
  const r: Json = { resourceType: 'SupplyRequest' };
  if (line.lineId !== undefined) r.id = line.lineId;
  r.meta = meta;
  r.identifier = [
    identifierToFhir(order.orderNumber, ORDER_NUMBER_TYPE),
    ...(line.identifiers ?? []).map((i) => identifierToFhir(i)),
  ];
  if (order.status !== undefined) r.status = order.status;
  if (order.program) r.category = { coding: [{ system: PROGRAM_SYSTEM, code: order.program }] };
  if (order.priority !== undefined) r.priority = order.priority;
  if (isR5(version)) r.item = { concept };
  else r.itemCodeableConcept = concept;
  r.quantity = quantityToFhir(line.quantity);
  // member by member, not a spread: the text is the versionId's (version-id.ts), and a period read
  // back from PostgreSQL's jsonb has its keys in another order
  if (order.period && (order.period.start || order.period.end))
    r.occurrencePeriod = compact({ start: order.period.start, end: order.period.end });
  // occurrence[x] is one choice: a period the client gave wins over a date read back from the system
  else if (order.neededBy !== undefined) r.occurrenceDateTime = order.neededBy;
  if (order.authoredOn !== undefined) r.authoredOn = order.authoredOn;
  if (order.requester) r.requester = { display: order.requester };
  if (line.explanation) {
    if (isR5(version)) r.reason = [{ concept: { text: line.explanation } }];
    else r.reasonCode = [{ text: line.explanation }];
  }
  const deliverFrom = facilityRefToFhir(order.supplier);
  if (deliverFrom !== undefined) r.deliverFrom = deliverFrom;
  const deliverTo = facilityRefToFhir(order.facility);
  if (deliverTo !== undefined) r.deliverTo = deliverTo;
  return r;
}

export interface DecodedLine {
  /** The order-level fields as this SupplyRequest states them. */
  order: Omit<Order, 'lines'>;
  line: OrderLine;
  /** True when the client gave an order number (otherwise the line is its own one-line order). */
  explicitOrderNumber: boolean;
}

/** Decodes one SupplyRequest; `path` is the FHIRPath of the resource (for error expressions). */
export function decodeSupplyRequest(version: FhirVersion, r: Json, path = 'SupplyRequest'): DecodedLine {
  const typed = singleTypedIdentifier(r.identifier, ORDER_NUMBER_TYPE, ORDER_NUMBER_SYSTEM, path, 'order number');
  const others = identifiersFromFhir(r.identifier).filter(
    (i) => !typed || i.system !== typed.system || i.value !== typed.value,
  );
  // Without a typed order number, the line's first business identifier (or its client-chosen id) is the number of a one-line order.
  const orderNumber =
    typed ?? others.shift() ?? (r.id ? { system: `${ORDER_NUMBER_SYSTEM}/line`, value: String(r.id) } : undefined);
  if (!orderNumber) {
    throw new InvalidInputError(
      `${path}.identifier needs the order number (an identifier with type ${ORDER_NUMBER_TYPE.system}|${ORDER_NUMBER_TYPE.code}, or any business identifier for a one-line order): it is what makes a retried order safe`,
      `${path}.identifier`,
      422,
      'required',
    );
  }
  const product = isR5(version)
    ? productOfItem(
        r,
        { concept: r.item?.concept, reference: r.item?.reference },
        `${path}.item.concept`,
        `${path}.item.reference`,
      )
    : productOfItem(
        r,
        { concept: r.itemCodeableConcept, reference: r.itemReference },
        `${path}.itemCodeableConcept`,
        `${path}.itemReference`,
      );
  const quantity = quantityFromFhir(r.quantity, `${path}.quantity`);
  if (quantity.value <= 0 || !Number.isFinite(quantity.value)) {
    throw new InvalidInputError(
      `${path}.quantity.value must be greater than 0 (got ${quantity.value})`,
      `${path}.quantity.value`,
      422,
      'value',
    );
  }
  const explanation = isR5(version) ? r.reason?.[0]?.concept?.text : r.reasonCode?.[0]?.text;
  const program = r.category?.coding?.find((c: Json) => c.code)?.code;
  return {
    explicitOrderNumber: !!typed,
    order: compact({
      orderNumber,
      status: r.status ?? 'active',
      priority: r.priority ?? 'routine',
      facility: requireFacility(managedFacilityRef(r, r.deliverTo, `${path}.deliverTo`), `${path}.deliverTo`),
      supplier: managedFacilityRef(r, r.deliverFrom, `${path}.deliverFrom`),
      program,
      requester: r.requester?.display ?? r.requester?.reference,
      authoredOn: r.authoredOn,
      period: r.occurrencePeriod
        ? compact({ start: r.occurrencePeriod.start, end: r.occurrencePeriod.end })
        : undefined,
      neededBy: typeof r.occurrenceDateTime === 'string' ? r.occurrenceDateTime : undefined,
    }) as Omit<Order, 'lines'>,
    line: compact({
      lineId: r.id,
      identifiers: others.length ? others : undefined,
      product,
      quantity,
      explanation,
    }) as OrderLine,
  };
}
