/**
 * DHIS2 consignments in tests: the settings naming the sandbox's consignment program, and a
 * completed SupplyDelivery received at an org unit (each line an event of that program).
 */
import { CONSIGNMENT } from '../../sandbox/dhis2/index.js';

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
