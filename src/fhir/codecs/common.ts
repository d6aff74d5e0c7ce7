import type { Code, FacilityRef, Identifier } from '../../domain/identifiers.js';
import type { Lot, ProductRef, Quantity, QuantityUnit } from '../../domain/product.js';
import { InvalidInputError } from '../../domain/errors.js';
import { EXT, UNIT_SYSTEM } from '../conventions.js';
import type { FhirVersion } from '../versions.js';

/** Loose FHIR JSON shapes: the edge validated the resource against the official schema already. */
export type Json = Record<string, any>;

export interface Coding { system?: string; code?: string; display?: string }
export interface CodeableConcept { coding?: Coding[]; text?: string }

export function compact<T extends Json>(obj: T): T {
  for (const key of Object.keys(obj)) {
    const v = obj[key];
    if (v === undefined || (Array.isArray(v) && v.length === 0)) delete obj[key];
  }
  return obj;
}

export function identifierToFhir(id: Identifier, type?: Coding): Json {
  return compact({ ...(type ? { type: { coding: [type] } } : {}), system: id.system, value: id.value });
}

export function identifiersFromFhir(list: Json[] | undefined): Identifier[] {
  return (list ?? []).filter((i) => i.value).map((i) => ({ system: i.system ?? 'urn:ietf:rfc:3986', value: String(i.value) }));
}

/** The identifier marked with `type` (or, failing that, the one in `fallbackSystem`). */
export function findTypedIdentifier(list: Json[] | undefined, type: Coding, fallbackSystem: string): Identifier | undefined {
  const hit = (list ?? []).find((i) => (i.type?.coding ?? []).some((c: Coding) => c.system === type.system && c.code === type.code))
    ?? (list ?? []).find((i) => i.system === fallbackSystem);
  return hit?.value ? { system: hit.system ?? fallbackSystem, value: String(hit.value) } : undefined;
}

export function codeToConcept(code: Code): CodeableConcept {
  return { coding: [compact({ system: code.system, code: code.code, display: code.display })] };
}

export function conceptToCode(concept: CodeableConcept | undefined): Code | undefined {
  const c = concept?.coding?.find((x) => x.code);
  if (c?.code) return compact({ system: c.system, code: c.code, display: c.display });
  return concept?.text ? { code: concept.text, display: concept.text } : undefined;
}

export function productToConcept(product: ProductRef): CodeableConcept {
  return { coding: [compact({ system: product.system, code: product.code, display: product.display })] };
}

export function productFromConcept(concept: CodeableConcept | undefined, path: string): ProductRef {
  const c = concept?.coding?.find((x) => x.system && x.code);
  if (!c?.system || !c.code) {
    throw new InvalidInputError(`${path} needs a coding with a system and a code (a GTIN or a configured product code)`, path, 422, 'required');
  }
  return compact({ system: c.system, code: c.code, display: c.display });
}

const unitDisplay: Record<QuantityUnit, string> = { 'dispensing-unit': 'dispensing unit', pack: 'pack' };

export function quantityToFhir(q: Quantity): Json {
  return { value: q.value, unit: unitDisplay[q.unit], system: UNIT_SYSTEM, code: q.unit };
}

/** Quantities without our unit code count dispensing units (the unit requisitions and stock use). */
export function quantityFromFhir(q: Json | undefined, path: string, defaultUnit: QuantityUnit = 'dispensing-unit'): Quantity {
  if (!q || typeof q.value !== 'number') throw new InvalidInputError(`${path}.value is required`, `${path}.value`, 422, 'required');
  let unit = defaultUnit;
  if (q.system === UNIT_SYSTEM) {
    if (q.code !== 'pack' && q.code !== 'dispensing-unit') throw new InvalidInputError(`${path}.code must be 'pack' or 'dispensing-unit' in ${UNIT_SYSTEM}`, `${path}.code`, 422, 'code-invalid');
    unit = q.code;
  }
  return { value: q.value, unit };
}

export function facilityRefToFhir(ref: FacilityRef | undefined): Json | undefined {
  if (!ref) return undefined;
  return compact({ reference: ref.id ? `Location/${ref.id}` : undefined, identifier: ref.identifier ? identifierToFhir(ref.identifier) : undefined, display: ref.display });
}

export function facilityRefFromFhir(ref: Json | undefined, path: string): FacilityRef | undefined {
  if (!ref) return undefined;
  let id: string | undefined;
  if (typeof ref.reference === 'string') {
    const m = /(?:^|\/)Location\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/.*)?$/.exec(ref.reference);
    if (!m) throw new InvalidInputError(`${path}.reference must point to a Location ('Location/<id>'), got '${ref.reference}'`, `${path}.reference`, 422, 'value');
    id = m[1];
  }
  const identifier = ref.identifier?.value ? { system: ref.identifier.system ?? 'urn:ietf:rfc:3986', value: String(ref.identifier.value) } : undefined;
  return compact({ id, identifier, display: ref.display });
}

export function requireFacility(ref: FacilityRef | undefined, path: string): FacilityRef {
  if (!ref || (!ref.id && !ref.identifier)) {
    throw new InvalidInputError(`${path} is required: the Location (reference or identifier) the flow is for`, path, 422, 'required');
  }
  return ref;
}

export function extensionValue(el: Json | undefined, url: string): Json | undefined {
  return (el?.extension ?? []).find((e: Json) => e.url === url);
}

export function lotExtensions(lot: Lot | undefined): Json[] {
  if (!lot) return [];
  return [{ url: EXT.lotNumber, valueString: lot.number }, ...(lot.expiry ? [{ url: EXT.lotExpiry, valueDate: lot.expiry }] : [])];
}

export function lotFromExtensions(el: Json | undefined): Lot | undefined {
  const number = extensionValue(el, EXT.lotNumber)?.valueString;
  if (!number) return undefined;
  return compact({ number, expiry: extensionValue(el, EXT.lotExpiry)?.valueDate });
}

/** Location references differ between versions only in which element carries them; kept here so codecs stay version-neutral. */
export function isR5(version: FhirVersion): boolean {
  return version === 'r5';
}
