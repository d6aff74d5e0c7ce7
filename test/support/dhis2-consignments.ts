/**
 * DHIS2 consignments in tests: the settings naming the sandbox's consignment program, and a
 * completed SupplyDelivery received at an org unit (each line an event of that program).
 */
import { CONSIGNMENT, type Dhis2Sandbox } from '../../sandbox/dhis2/index.js';
import type { TrackerEvent } from '../../sandbox/dhis2/tracker.js';
import { webMessage } from '../../sandbox/dhis2/webmessage.js';
import type { Dhis2Client } from '../../src/systems/dhis2/client.js';
import { createConsignmentCapability, parseConsignmentElements } from '../../src/systems/dhis2/consignments.js';
import { createOrgUnitReader } from '../../src/systems/dhis2/facilities.js';
import { loadDhis2Products } from '../../src/systems/dhis2/products.js';
import { orgUnitResolver } from '../../src/systems/dhis2/stock.js';

/** dhis2.consignmentProgram, its stage and data elements, as the sandbox serves them. */
export const CONSIGNMENT_ENV = {
  DHIS2_CONSIGNMENT_PROGRAM: CONSIGNMENT.program,
  DHIS2_CONSIGNMENT_STAGE: CONSIGNMENT.stage,
  DHIS2_CONSIGNMENT_DATA_ELEMENTS: `item=${CONSIGNMENT.item},quantity=${CONSIGNMENT.quantity},reference=${CONSIGNMENT.reference},lot=${CONSIGNMENT.lot}`,
};

const GTIN = 'https://www.gs1.org/gtin';
const UNIT = 'http://fhir-supply-mediator.org/fhir/CodeSystem/quantity-unit';

export interface ConsignmentLine {
  gtin: string;
  value: number;
  /** Packs (converted with the catalogue's pack size) or dispensing units. */
  unit: 'pack' | 'dispensing-unit';
}

/** A completed consignment `shipment` received at the org unit `location` (an R5 SupplyDelivery). */
export function consignmentDelivery(opts: {
  shipment: string;
  location: string;
  lines: ConsignmentLine[];
  at?: string;
}): Record<string, any> {
  return {
    resourceType: 'SupplyDelivery',
    status: 'completed',
    occurrenceDateTime: opts.at ?? '2024-04-10T14:00:00Z',
    identifier: [
      {
        type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'FILL' }] },
        system: 'https://msupply.example.org/shipments',
        value: opts.shipment,
      },
    ],
    destination: { reference: `Location/${opts.location}` },
    suppliedItem: opts.lines.map((l) => ({
      itemCodeableConcept: { coding: [{ system: GTIN, code: l.gtin }] },
      quantity: {
        value: l.value,
        unit: l.unit === 'pack' ? 'pack' : 'dispensing unit',
        system: UNIT,
        code: l.unit,
      },
    })),
  };
}

/** The connector's consignment capability on `client`, with the catalogue under `settings`. */
export function consignmentCapability(client: Dhis2Client, settings: Record<string, string> = {}) {
  const products = loadDhis2Products(settings);
  const reader = createOrgUnitReader(client);
  const program = parseConsignmentElements(
    CONSIGNMENT.program,
    CONSIGNMENT.stage,
    CONSIGNMENT_ENV.DHIS2_CONSIGNMENT_DATA_ELEMENTS,
  );
  return createConsignmentCapability({
    client,
    reader,
    products: () => products,
    program: () => program,
    resolveOrgUnit: orgUnitResolver(reader),
  });
}

/** An event DHIS2's users entered for consignment `ref` at `orgUnit` (ACTIVE: not yet received). */
export function nativeEvent(uid: string, orgUnit: string, ref: string, item: string, quantity: string): TrackerEvent {
  const now = new Date().toISOString();
  return {
    event: uid,
    program: CONSIGNMENT.program,
    programStage: CONSIGNMENT.stage,
    orgUnit,
    occurredAt: '2026-12-01T09:15:00',
    status: 'ACTIVE',
    dataValues: [
      { dataElement: CONSIGNMENT.item, value: item },
      { dataElement: CONSIGNMENT.quantity, value: quantity },
      { dataElement: CONSIGNMENT.reference, value: ref },
    ],
    notes: [],
    createdAt: now,
    updatedAt: now,
  };
}

/** A native event of a consignment: its UID, item code and quantity (as DHIS2's users typed it). */
export type NativeLine = [uid: string, item: string, quantity: string];

/**
 * Consignment `ref` as DHIS2's users entered it at LK-HC-102 (each of `events` ACTIVE), and the
 * connector's capability on `h`: `caps`, the org unit `hc`, `read()` the consignment as the
 * connector reads it, and `enter()` for events a user adds or changes later.
 */
export function nativeConsignment(
  h: { sandbox: Dhis2Sandbox; client: Dhis2Client },
  ref: string,
  events: NativeLine[],
) {
  const caps = consignmentCapability(h.client);
  const hc = h.sandbox.state.summary().orgUnits['LK-HC-102'];
  const enter = (...more: NativeLine[]) => {
    for (const [uid, item, quantity] of more)
      h.sandbox.tracker.events.set(uid, nativeEvent(uid, hc, ref, item, quantity));
  };
  enter(...events);
  return { caps, hc, enter, read: async () => (await caps.get(`${hc}~${ref}`))! };
}

/** The next tracker import answered 409 with a plain WebMessage saying `words` (no import report). */
export function trackerConflictOnce(sb: Dhis2Sandbox, words: string): void {
  sb.faults.add({
    method: 'POST',
    path: '/api/tracker',
    times: 1,
    action: { type: 'status', status: 409, body: webMessage(409, 'ERROR', words) },
  });
}

/** The events of consignment `ref` the sandbox holds: UID, status, item and quantity, by UID. */
export function consignmentEventsOf(sb: Dhis2Sandbox, ref: string): (string | undefined)[][] {
  return [...sb.tracker.events.values()]
    .filter(
      (e) =>
        e.program === CONSIGNMENT.program &&
        e.dataValues.some((d) => d.dataElement === CONSIGNMENT.reference && d.value === ref),
    )
    .map((e) => [
      e.event,
      e.status,
      e.dataValues.find((d) => d.dataElement === CONSIGNMENT.item)?.value,
      e.dataValues.find((d) => d.dataElement === CONSIGNMENT.quantity)?.value,
    ])
    .sort();
}
