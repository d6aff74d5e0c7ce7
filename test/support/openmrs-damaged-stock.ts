import { DRUGS, LOC, type OpenMrsSandbox } from '../../sandbox/openmrs/index.js';
import type { StockReport } from '../../src/domain/index.js';
import { openmrsInventoryReport } from './openmrs-inventory-report.js';

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
  return openmrsInventoryReport({
    identifier: o.identifier,
    countType: 'difference',
    subtraction: true,
    reason: 'Damaged',
    gtin: o.gtin,
    lot: o.lot,
    quantity: o.quantity,
  });
}
