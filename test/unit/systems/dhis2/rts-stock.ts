/**
 * Stock written as RTS tracker events through the connector, for the RTS unit tests: the stock
 * capability over the harness's client, and a distribution of the seeded condoms.
 */
import type { StockReport } from '../../../../src/domain/index.js';
import { createOrgUnitReader } from '../../../../src/systems/dhis2/facilities.js';
import { loadDhis2Products } from '../../../../src/systems/dhis2/products.js';
import { RTS_TRANSACTION_SYSTEM } from '../../../../src/systems/dhis2/rts.js';
import { createStockCapability } from '../../../../src/systems/dhis2/stock.js';
import type { Harness } from './harness.js';

export const CONDOM = { system: 'https://www.gs1.org/gtin', code: '10860012300034' };

/** The connector's stock capability with the default product map. */
export const stockFor = (h: Harness) => {
  const products = loadDhis2Products({});
  return createStockCapability({ client: h.client, reader: createOrgUnitReader(h.client), products: () => products });
};

/** Condoms distributed to OUTREACH at `facility` on 25 March 2024: one line per quantity (negative, dispensing units). */
export const outreachDistribution = (facility: string, ...quantities: number[]): StockReport => ({
  status: 'active',
  countType: 'difference',
  operation: 'subtraction',
  reportedAt: '2024-03-25T09:00:00Z',
  reason: { system: RTS_TRANSACTION_SYSTEM, code: 'distributed', display: 'OUTREACH' },
  facility: { id: facility },
  lines: quantities.map((value) => ({ product: CONDOM, quantity: { value, unit: 'dispensing-unit' } })),
});
