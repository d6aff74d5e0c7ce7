import { DRUGS, LOC, type OpenMrsSandbox } from '../../sandbox/openmrs/index.js';
import type { StockReport } from '../../src/domain/index.js';
import { EXT, UNIT_SYSTEM } from '../../src/fhir/conventions.js';

/** The OpenMRS stock party of the Mwangaza location (sandbox seed). */
export const MWANGAZA_PARTY = 'e5d4c3b2-0001-4a1b-8c2d-3e4f50617281';

/** An adjustment taking `quantity` damaged tablets of amoxicillin batch AMX-2401 off Mwangaza's stock. */
export function damagedAmoxicillin(value: string, quantity: number): StockReport {
  return {
    identifier: { system: 'urn:test:adj', value },
    status: 'active',
    countType: 'difference',
    operation: 'subtraction',
    reason: { code: 'Damaged' },
    reportedAt: '2026-12-01T11:00:00Z',
    facility: { id: LOC.mwangaza },
    lines: [
      {
        product: { system: 'https://www.gs1.org/gtin', code: '10860012300058' },
        quantity: { value: quantity, unit: 'dispensing-unit' },
        lot: { number: 'AMX-2401' },
      },
    ],
  };
}

/** The sandbox's stock item of amoxicillin. */
export function amoxicillinItem(sb: OpenMrsSandbox): string {
  return [...sb.stock.items.values()].find((i) => i.drugUuid === DRUGS.amoxicillin)!.uuid;
}

/** How many AMX-2401 tablets Mwangaza holds now, as the sandbox's ledger has it. */
export function amoxicillinAtMwangaza(sb: OpenMrsSandbox): () => number {
  const item = amoxicillinItem(sb);
  return () => sb.stock.quantity(MWANGAZA_PARTY, item, 'AMX-2401');
}

/**
 * The FHIR R5 InventoryReport a client posts for such an adjustment: `quantity` damaged units of
 * `gtin` batch `lot` taken off Mwangaza's stock, counted 2026-12-01.
 */
export function damagedAtMwangazaReport(o: {
  identifier: { system: string; value: string };
  gtin: string;
  lot: string;
  quantity: number;
}) {
  return {
    resourceType: 'InventoryReport',
    identifier: [o.identifier],
    status: 'active',
    countType: 'difference',
    operationType: { coding: [{ code: 'subtraction', display: 'subtraction' }] },
    operationTypeReason: { coding: [{ code: 'Damaged', display: 'Damaged' }] },
    reportedDateTime: '2026-12-01T09:00:00Z',
    inventoryListing: [
      {
        location: { reference: `Location/${LOC.mwangaza}` },
        countingDateTime: '2026-12-01T08:30:00Z',
        item: [
          {
            extension: [{ url: EXT.lotNumber, valueString: o.lot }],
            quantity: { value: o.quantity, unit: 'dispensing unit', system: UNIT_SYSTEM, code: 'dispensing-unit' },
            item: { concept: { coding: [{ system: 'https://www.gs1.org/gtin', code: o.gtin }] } },
          },
        ],
      },
    ],
  };
}
