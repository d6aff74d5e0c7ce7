import { MediatorError, type Issue } from '../domain/errors.js';
import type { Delivery } from '../domain/index.js';
import type { FacilityRef, Identifier } from '../domain/identifiers.js';
import type { Part } from './adapters.js';

/**
 * A transaction's SupplyDelivery entries of one delivery number are one delivery (R4 has one
 * SupplyDelivery per line), written as one. What the delivery itself says (its status, when it
 * was received, by whom, where to, from whom, for which order) each line repeats, and the lines
 * merged into one delivery took the last line's word (or the first's) silently: a first line "in
 * progress" was confirmed by the next. The lines of one order refuse such a disagreement (422,
 * adapters.ts assertSameOrder); so do these, each disagreeing entry named at its element, before
 * anything is recorded. A line that leaves a field unsaid agrees with the others (the merge takes
 * the said one); a status unsaid is "completed", as the delivery is decoded.
 */

/** One field of the delivery every line of it states, as FHIR names it and as its value compares. */
interface SharedField {
  element: string;
  what: string;
  /** The value as shown in the answer, or undefined when the line leaves it unsaid. */
  valueOf(d: Delivery): string | undefined;
  /** Whether two said values are the same statement (equal text unless given). */
  same?(a: string, b: string): boolean;
}

const SHARED: SharedField[] = [
  { element: 'status', what: 'status', valueOf: (d) => d.status },
  { element: 'occurrenceDateTime', what: 'date received', valueOf: (d) => d.occurredAt, same: sameDateTime },
  { element: 'receiver', what: 'receiver', valueOf: (d) => d.receivedBy },
  { element: 'destination', what: 'destination', valueOf: (d) => facilityOf(d.destination), same: sameFacility },
  { element: 'supplier', what: 'supplier', valueOf: (d) => d.supplier?.display },
  { element: 'basedOn', what: 'order', valueOf: (d) => identifierText(d.basedOn?.orderNumber) },
];

/** One entry of a delivery's group: where it is in the Bundle and what it decoded to. */
export interface DeliveryLineEntry {
  index: number;
  part: Part<Delivery>;
}

/**
 * Throws a 422 naming every entry of a delivery whose delivery-level fields differ from another
 * entry's of the same delivery, each at the element that differs. `lines`: the entries of one
 * delivery number, in Bundle order.
 */
export function assertDeliveryLinesAgree(lines: DeliveryLineEntry[]): void {
  if (lines.length < 2) return;
  const decoded = lines.map(({ index, part }) => ({ index, delivery: part.build(undefined) }));
  const issues = SHARED.flatMap((field) => disagreements(field, decoded));
  if (issues.length) throw new MediatorError(422, issues);
}

/** The issues of one field: none when every line stating it says the same. */
function disagreements(field: SharedField, lines: { index: number; delivery: Delivery }[]): Issue[] {
  const said = lines.flatMap(({ index, delivery }) => {
    const value = field.valueOf(delivery);
    return value === undefined ? [] : [{ index, value }];
  });
  const same = field.same ?? ((a: string, b: string) => a === b);
  const number = lines[0].delivery.identifier.value;
  return said.flatMap(({ index, value }) => {
    const differing = said.filter((o) => !same(o.value, value));
    if (!differing.length) return [];
    const others = differing.map((o) => `Bundle.entry[${o.index}] '${o.value}'`).join(', ');
    return [
      {
        code: 'business-rule' as const,
        diagnostics: `Bundle.entry[${index}] is a line of delivery ${number} with ${field.what} '${value}', but other lines of it say otherwise (${others}): a delivery has one ${field.what}, which each of its lines states; send every line of it with the same ${field.what} (the lines of another delivery go under that delivery's own number)`,
        expression: [`Bundle.entry[${index}].resource.${field.element}`],
      },
    ];
  });
}

/**
 * Equal, or one a date and the other a time on that day (the lines agree on the day), or two
 * spellings of one instant (another zone offset).
 */
function sameDateTime(a: string, b: string): boolean {
  if (a === b) return true;
  if (a.length === 10 || b.length === 10) return a.slice(0, 10) === b.slice(0, 10);
  return Date.parse(a) === Date.parse(b);
}

/** A facility as told in the answer: its reference, else its identifier. */
function facilityOf(f: FacilityRef): string | undefined {
  if (f.id) return `Location/${f.id}`;
  return identifierText(f.identifier);
}

/**
 * Equal, or one named by id and the other by identifier: those may be one facility (the crosswalk
 * knows, and the write resolves both), so they are not told to disagree here.
 */
function sameFacility(a: string, b: string): boolean {
  return a === b || a.startsWith('Location/') !== b.startsWith('Location/');
}

function identifierText(i: Identifier | undefined): string | undefined {
  return i ? `${i.system}|${i.value}` : undefined;
}
