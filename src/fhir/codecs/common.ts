import type { Code, FacilityRef, Identifier } from '../../domain/identifiers.js';
import type { Lot, ProductRef, Quantity, QuantityUnit } from '../../domain/product.js';
import { InvalidInputError } from '../../domain/errors.js';
import { EXT, UNIT_SYSTEM } from '../conventions.js';
import type { FhirVersion } from '../versions.js';

/** Loose FHIR JSON shapes: the edge validated the resource against the official schema already. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- FHIR JSON as parsed, checked by the validators before use
export type Json = Record<string, any>;

export interface Coding {
  system?: string;
  code?: string;
  display?: string;
}
export interface CodeableConcept {
  coding?: Coding[];
  text?: string;
}

/**
 * The object without its undefined members and empty arrays, as a new object: deleting them in
 * place turned every encoded resource into a slow dictionary-mode object, which each later
 * read, copy and JSON.stringify paid for.
 */
export function compact<T extends Json>(obj: T): T {
  const out: Json = {};
  for (const key of Object.keys(obj)) {
    const v = obj[key];
    if (v !== undefined && !(Array.isArray(v) && v.length === 0)) out[key] = v;
  }
  return out as T;
}

// The encoders below set members one by one, skipping undefined ones, where compact() of a
// literal would copy every member with a computed key (the same keys in the same order).

export function identifierToFhir(id: Identifier, type?: Coding): Json {
  const out: Json = {};
  if (type) out.type = { coding: [type] };
  if (id.system !== undefined) out.system = id.system;
  if (id.value !== undefined) out.value = id.value;
  return out;
}

export function identifiersFromFhir(list: Json[] | undefined): Identifier[] {
  return (list ?? [])
    .filter((i) => i.value)
    .map((i) => ({ system: i.system ?? 'urn:ietf:rfc:3986', value: String(i.value) }));
}

/** The identifier marked with `type` (or, failing that, the one in `fallbackSystem`). */
export function findTypedIdentifier(
  list: Json[] | undefined,
  type: Coding,
  fallbackSystem: string,
): Identifier | undefined {
  const hit =
    (list ?? []).find((i) =>
      (i.type?.coding ?? []).some((c: Coding) => c.system === type.system && c.code === type.code),
    ) ?? (list ?? []).find((i) => i.system === fallbackSystem);
  return hit?.value ? { system: hit.system ?? fallbackSystem, value: String(hit.value) } : undefined;
}

export function codeToConcept(code: Code): CodeableConcept {
  return { coding: [compact({ system: code.system, code: code.code, display: code.display })] };
}

/**
 * A CodeableConcept as a domain code: its first coding with a code, the others (then its text) as
 * alternatives, so that a system which does not know the first tries the rest (issue 16: read
 * every coding; the first that maps wins).
 */
export function conceptToCode(concept: CodeableConcept | undefined): Code | undefined {
  const codes: Code[] = (concept?.coding ?? [])
    .filter((x): x is Coding & { code: string } => !!x.code)
    .map((x) => compact({ system: x.system, code: x.code, display: x.display }));
  if (concept?.text) codes.push({ code: concept.text, display: concept.text });
  const [first, ...alternatives] = codes;
  if (!first) return undefined;
  return alternatives.length ? { ...first, alternatives } : first;
}

export function productToConcept(product: ProductRef): CodeableConcept {
  const coding: Coding = {};
  if (product.system !== undefined) coding.system = product.system;
  if (product.code !== undefined) coding.code = product.code;
  if (product.display !== undefined) coding.display = product.display;
  return { coding: [coding] };
}

/** The product a concept names: its first coding with a system and a code, the others as alternatives. */
export function productFromConcept(concept: CodeableConcept | undefined, path: string): ProductRef {
  const codes = (concept?.coding ?? []).filter(
    (x): x is Coding & { system: string; code: string } => !!x.system && !!x.code,
  );
  if (!codes.length) {
    throw new InvalidInputError(
      `${path} needs a coding with a system and a code (a GTIN or a configured product code)`,
      path,
      422,
      'required',
    );
  }
  const [c, ...others] = codes;
  const alternatives = others
    .map((o) => ({ system: o.system, code: o.code }))
    .filter((o) => o.system !== c.system || o.code !== c.code);
  return compact({
    system: c.system,
    code: c.code,
    display: c.display ?? others.find((o) => o.display)?.display,
    alternatives,
  });
}

const unitDisplay: Record<QuantityUnit, string> = { 'dispensing-unit': 'dispensing unit', pack: 'pack' };

export function quantityToFhir(q: Quantity): Json {
  return { value: q.value, unit: unitDisplay[q.unit], system: UNIT_SYSTEM, code: q.unit };
}

const UCUM = 'http://unitsofmeasure.org';

/** UCUM units that count items: unity "1" and a bare annotation such as {tablet} (UCUM §2.4 "curly braces"). */
function isUcumCount(code: string): boolean {
  return code === '1' || /^\{[^{}]*\}$/.test(code);
}

/** Free-text units that are plainly a measure (mass, volume, activity), not a count of items. */
const MEASURE_UNITS = /^(?:[mµu]?g|mcg|kg|m?l|dl|cl|iu|ui|mmol|mol|meq)$/i;

export function unitOf(q: Json, path: string, defaultUnit: QuantityUnit): QuantityUnit {
  if (q.system === UNIT_SYSTEM) {
    if (q.code !== 'pack' && q.code !== 'dispensing-unit')
      throw new InvalidInputError(
        `${path}.code must be 'pack' or 'dispensing-unit' in ${UNIT_SYSTEM}`,
        `${path}.code`,
        422,
        'code-invalid',
      );
    return q.code;
  }
  if (q.system === UCUM) {
    if (q.code === undefined || isUcumCount(String(q.code))) return defaultUnit;
    throw new InvalidInputError(
      `${path}.code '${q.code}' is a UCUM unit of measure, not a count of items; give the quantity in dispensing units or packs (system ${UNIT_SYSTEM})`,
      `${path}.code`,
      422,
      'business-rule',
    );
  }
  if (q.system !== undefined) {
    throw new InvalidInputError(
      `${path}.system '${q.system}' is not a unit system this server converts; use ${UNIT_SYSTEM} (dispensing-unit or pack) or a UCUM count ({tablet}, 1)`,
      `${path}.system`,
      422,
      'not-supported',
    );
  }
  if (q.code !== undefined)
    throw new InvalidInputError(
      `${path}.code is given without ${path}.system (qty-3)`,
      `${path}.system`,
      422,
      'invariant',
    );
  if (typeof q.unit === 'string' && MEASURE_UNITS.test(q.unit.trim())) {
    throw new InvalidInputError(
      `${path}.unit '${q.unit}' is a unit of measure, not a count of items; give the quantity in dispensing units or packs (system ${UNIT_SYSTEM})`,
      `${path}.unit`,
      422,
      'business-rule',
    );
  }
  return defaultUnit;
}

/**
 * Every quantity this server takes counts items (dispensing units or packs; without our unit code,
 * dispensing units, the unit requisitions and stock use). So it must be exact (no comparator), a
 * whole number and one JavaScript holds exactly: beyond 2^53 − 1 a JSON number is silently
 * rounded (9007199254740993 reads as …992), and OpenLMIS stores integers.
 */
export function quantityFromFhir(
  q: Json | undefined,
  path: string,
  defaultUnit: QuantityUnit = 'dispensing-unit',
): Quantity {
  if (!q || typeof q.value !== 'number')
    throw new InvalidInputError(`${path}.value is required`, `${path}.value`, 422, 'required');
  if (q.comparator !== undefined) {
    throw new InvalidInputError(
      `${path}.comparator '${q.comparator}' makes the quantity a bound, not an amount; an order, delivery or count needs the exact quantity`,
      `${path}.comparator`,
      422,
      'business-rule',
    );
  }
  const unit = unitOf(q, path, defaultUnit);
  if (!Number.isSafeInteger(q.value)) {
    throw new InvalidInputError(
      `${path}.value ${q.value} is not a whole number of ${unitDisplay[unit]}s within ±${Number.MAX_SAFE_INTEGER}`,
      `${path}.value`,
      422,
      'value',
    );
  }
  return { value: q.value, unit };
}

/**
 * The one identifier marked with `type` (or in `fallbackSystem`): two different ones on one
 * resource would put it in two orders (or deliveries), so that is refused, naming the second.
 */
export function singleTypedIdentifier(
  list: Json[] | undefined,
  type: Coding,
  fallbackSystem: string,
  path: string,
  what: string,
): Identifier | undefined {
  const typedAt: number[] = [];
  (list ?? []).forEach((i, k) => {
    const typed = (i.type?.coding ?? []).some((c: Coding) => c.system === type.system && c.code === type.code);
    if (typed || i.system === fallbackSystem) typedAt.push(k);
  });
  const key = (k: number) => `${list![k].system ?? ''}|${list![k].value ?? ''}`;
  const second = typedAt.find((k) => key(k) !== key(typedAt[0]));
  if (second !== undefined) {
    throw new InvalidInputError(
      `${path}.identifier has two different ${what}s ('${list![typedAt[0]].value}' and '${list![second].value}'); a line belongs to one`,
      `${path}.identifier[${second}]`,
      422,
      'business-rule',
    );
  }
  return findTypedIdentifier(list, type, fallbackSystem);
}

export function facilityRefToFhir(ref: FacilityRef | undefined): Json | undefined {
  if (!ref) return undefined;
  const out: Json = {};
  if (ref.id) out.reference = `Location/${ref.id}`;
  if (ref.identifier) out.identifier = identifierToFhir(ref.identifier);
  if (ref.display !== undefined) out.display = ref.display;
  return out;
}

export function facilityRefFromFhir(ref: Json | undefined, path: string): FacilityRef | undefined {
  if (!ref) return undefined;
  let id: string | undefined;
  if (typeof ref.reference === 'string') {
    // Location/[id], or [base]/Location/[id] (the edge refused absolute references to other servers and dot segments)
    const m = /^(?:https?:\/\/[^\s]+\/)?Location\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[A-Za-z0-9\-.]{1,64})?$/.exec(
      ref.reference,
    );
    if (!m)
      throw new InvalidInputError(
        `${path}.reference must point to a Location ('Location/<id>'), got '${ref.reference}'`,
        `${path}.reference`,
        422,
        'value',
      );
    id = m[1];
  }
  const identifier = ref.identifier?.value
    ? { system: ref.identifier.system ?? 'urn:ietf:rfc:3986', value: String(ref.identifier.value) }
    : undefined;
  return compact({ id, identifier, display: ref.display });
}

export function requireFacility(ref: FacilityRef | undefined, path: string): FacilityRef {
  if (!ref || (!ref.id && !ref.identifier)) {
    throw new InvalidInputError(
      `${path} is required: the Location (reference or identifier) the flow is for`,
      path,
      422,
      'required',
    );
  }
  return ref;
}

export function extensionValue(el: Json | undefined, url: string): Json | undefined {
  return (el?.extension ?? []).find((e: Json) => e.url === url);
}

export function lotExtensions(lot: Lot | undefined): Json[] {
  if (!lot) return [];
  return [
    { url: EXT.lotNumber, valueString: lot.number },
    ...(lot.expiry ? [{ url: EXT.lotExpiry, valueDate: lot.expiry }] : []),
  ];
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
