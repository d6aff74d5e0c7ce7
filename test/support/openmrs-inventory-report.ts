/**
 * The FHIR R5 InventoryReport the OpenMRS e2e tests post: one line of one batch at a sandbox
 * location (Mwangaza unless told), counted 2026-12-01. A count (snapshot) of 930 amoxicillin
 * AMX-2401 unless told otherwise; `subtraction` and `reason` make a difference report an
 * adjustment taken off with its reason, `itemReason` puts one on the line instead. One builder for
 * what five test files each wrote out.
 */
import { LOC } from '../../sandbox/openmrs/index.js';
import { EXT, UNIT_SYSTEM } from '../../src/fhir/conventions.js';

const GTIN = 'https://www.gs1.org/gtin';
/** Amoxicillin tablets (fhir-mappings/products.json). */
export const AMOXICILLIN_GTIN = '10860012300058';
/** Paracetamol 500 mg tablets (fhir-mappings/products.json). */
export const PARACETAMOL_GTIN = '10860012300065';

export interface OpenMrsReportOptions {
  /** The report's business identifier. */
  identifier: { system: string; value: string };
  countType?: 'snapshot' | 'difference';
  /** A difference taken off (operationType subtraction). */
  subtraction?: boolean;
  /** The report's reason (operationTypeReason). */
  reason?: string;
  /** A reason on the line (the stock-reason extension). */
  itemReason?: string;
  note?: string;
  /** The OpenMRS location uuid; default Mwangaza. */
  location?: string;
  gtin?: string;
  lot?: string;
  quantity?: number;
}

export function openmrsInventoryReport(o: OpenMrsReportOptions) {
  return {
    resourceType: 'InventoryReport',
    identifier: [o.identifier],
    status: 'active',
    countType: o.countType ?? 'snapshot',
    ...(o.subtraction ? { operationType: { coding: [{ code: 'subtraction', display: 'subtraction' }] } } : {}),
    ...(o.reason ? { operationTypeReason: { coding: [{ code: o.reason, display: o.reason }] } } : {}),
    reportedDateTime: '2026-12-01T09:00:00Z',
    ...(o.note ? { note: [{ text: o.note }] } : {}),
    inventoryListing: [
      {
        location: { reference: `Location/${o.location ?? LOC.mwangaza}` },
        countingDateTime: '2026-12-01T08:30:00Z',
        item: [
          {
            extension: [
              { url: EXT.lotNumber, valueString: o.lot ?? 'AMX-2401' },
              ...(o.itemReason ? [{ url: EXT.stockReason, valueCoding: { code: o.itemReason } }] : []),
            ],
            quantity: {
              value: o.quantity ?? 930,
              unit: 'dispensing unit',
              system: UNIT_SYSTEM,
              code: 'dispensing-unit',
            },
            item: { concept: { coding: [{ system: GTIN, code: o.gtin ?? AMOXICILLIN_GTIN }] } },
          },
        ],
      },
    ],
  };
}

/** A count of the app's, numbered `value` (https://app.example.org/counts). */
export const appCount = (value: string, o: Omit<OpenMrsReportOptions, 'identifier'> = {}) =>
  openmrsInventoryReport({ identifier: { system: 'https://app.example.org/counts', value }, ...o });
