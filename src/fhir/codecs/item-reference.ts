import { InvalidInputError } from '../../domain/errors.js';
import { GTIN_SYSTEM } from '../../domain/gtin.js';
import type { ProductRef } from '../../domain/product.js';
import { productFromConcept, type CodeableConcept, type Coding, type Json } from './common.js';

/**
 * Published guides (IHE PHARM supply, EAHP, ChanjoKe, ANS DMI) name the product of a SupplyRequest,
 * SupplyDelivery or InventoryReport by reference to a contained Medication, Device, InventoryItem
 * or Substance rather than by a code. This turns such a reference into the CodeableConcept the
 * decoders already read: every code the contained resource carries, in order, so the first one
 * the product catalogue maps wins.
 */
export function conceptFromItemReference(container: Json, reference: Json | undefined, where: string): CodeableConcept {
  const ref = typeof reference?.reference === 'string' ? reference.reference : undefined;
  if (!ref)
    throw new InvalidInputError(
      `${where}.reference is required when the item is given by reference`,
      `${where}.reference`,
      422,
      'required',
    );
  if (!ref.startsWith('#')) {
    throw new InvalidInputError(
      `${where}.reference '${ref.slice(0, 200)}' is not a contained resource: an item given by reference must be contained (#id) so its codes travel with the request`,
      `${where}.reference`,
      422,
      'not-supported',
    );
  }
  const target = containedById(container, ref.slice(1));
  if (!target)
    throw new InvalidInputError(
      `${where}.reference '${ref}' names no contained resource`,
      `${where}.reference`,
      422,
      'not-found',
    );
  const codings = codingsOf(container, target, new Set([ref.slice(1)]));
  if (!codings.length) {
    throw new InvalidInputError(
      `the contained ${target.resourceType} '${ref}' carries no product code (code, a GTIN identifier or a UDI device identifier)`,
      `${where}.reference`,
      422,
      'required',
    );
  }
  return { coding: codings, ...(typeof target.code?.text === 'string' ? { text: target.code.text } : {}) };
}

/**
 * The product of an item named by a code (`concept`, at `conceptPath`) or by a reference to a
 * contained resource (`reference`, at `referencePath`); neither is a 422 naming the code element.
 */
export function productOfItem(
  container: Json,
  item: { concept?: Json; reference?: Json },
  conceptPath: string,
  referencePath: string,
): ProductRef {
  if (item.concept) return productFromConcept(item.concept, conceptPath);
  if (item.reference)
    return productFromConcept(conceptFromItemReference(container, item.reference, referencePath), referencePath);
  throw new InvalidInputError(
    `${conceptPath} is required: the product, by code or by reference to a contained Medication, Device, InventoryItem or Substance`,
    conceptPath,
    422,
    'required',
  );
}

function containedById(container: Json, id: string): Json | undefined {
  return (Array.isArray(container.contained) ? container.contained : []).find((c: Json) => c?.id === id);
}

/** The codes a contained item resource carries, most specific first. `seen` stops reference cycles. */
function codingsOf(container: Json, r: Json, seen: Set<string>): Coding[] {
  switch (r.resourceType) {
    case 'Medication':
      return [...gtinIdentifiers(r.identifier), ...conceptCodings(r.code)];
    case 'Substance':
      // R4 Substance.code is a CodeableConcept, R5 a CodeableReference
      return [...gtinIdentifiers(r.identifier), ...conceptCodings(r.code?.concept ?? r.code)];
    case 'Device':
      return [
        ...(Array.isArray(r.udiCarrier) ? r.udiCarrier : []).flatMap(udiCodings),
        ...conceptCodings(r.code),
        ...(Array.isArray(r.type) ? r.type : [r.type]).flatMap(conceptCodings),
      ];
    case 'InventoryItem':
      return [
        ...(Array.isArray(r.instance) ? r.instance : [r.instance]).flatMap((i: Json) => gtinIdentifiers(i?.identifier)),
        ...gtinIdentifiers(r.identifier),
        ...(Array.isArray(r.code) ? r.code : [r.code]).flatMap(conceptCodings),
        ...productReferenceCodings(container, r.productReference, seen),
      ];
    default:
      return [];
  }
}

function conceptCodings(concept: Json | undefined): Coding[] {
  return (Array.isArray(concept?.coding) ? concept.coding : []).filter(
    (c: Json) => typeof c?.system === 'string' && typeof c?.code === 'string',
  );
}

/**
 * Identifiers that are GTINs: in the GS1 system, or a raw GS1 element string as scanned from a
 * DataMatrix or printed in human-readable form ("(01)…(17)…"), whose AI 01 is the GTIN.
 */
function gtinIdentifiers(list: Json[] | undefined): Coding[] {
  return (Array.isArray(list) ? list : []).flatMap((i: Json) => {
    if (typeof i?.value !== 'string') return [];
    if (i.system === GTIN_SYSTEM) return [{ system: GTIN_SYSTEM, code: i.value }];
    const gtin = gtinFromElementString(i.value);
    return gtin ? [{ system: GTIN_SYSTEM, code: gtin }] : [];
  });
}

/** A UDI carrier issued by GS1: its device identifier is the GTIN (FHIR Device.udiCarrier). */
function udiCodings(udi: Json): Coding[] {
  const di = typeof udi?.deviceIdentifier === 'string' ? udi.deviceIdentifier : undefined;
  const gs1 =
    udi?.issuer === 'http://hl7.org/fhir/NamingSystem/gs1-di' ||
    udi?.issuer === GTIN_SYSTEM ||
    (di && /^\d{14}$/.test(di));
  if (di && gs1) return [{ system: GTIN_SYSTEM, code: di }];
  for (const raw of [udi?.carrierHRF, udi?.carrierAIDC]) {
    const gtin =
      typeof raw === 'string'
        ? gtinFromElementString(raw.startsWith(']') ? raw : (decodeBase64(raw) ?? raw))
        : undefined;
    if (gtin) return [{ system: GTIN_SYSTEM, code: gtin }];
  }
  return [];
}

function productReferenceCodings(container: Json, ref: Json | undefined, seen: Set<string>): Coding[] {
  const id = typeof ref?.reference === 'string' && ref.reference.startsWith('#') ? ref.reference.slice(1) : undefined;
  if (!id || seen.has(id)) return [];
  const target = containedById(container, id);
  return target ? codingsOf(container, target, new Set([...seen, id])) : [];
}

/**
 * The GTIN (AI 01, 14 digits) at the start of a GS1 element string: a DataMatrix scan ("]d2" then
 * "01…", fields separated by FNC1/GS \u001d) or the human-readable form "(01)…".
 */
export function gtinFromElementString(raw: string): string | undefined {
  const text = raw.replace(/^\]d2/, '').replace(new RegExp(`^${GS}`), '');
  const match = /^\(01\)(\d{14})/.exec(text) ?? /^01(\d{14})/.exec(text);
  return match?.[1];
}

/** GS1's FNC1 as transmitted by a scanner: the ASCII group separator. */
const GS = String.fromCharCode(29);

function decodeBase64(value: string): string | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value)) return undefined;
  return Buffer.from(value, 'base64').toString('latin1');
}
