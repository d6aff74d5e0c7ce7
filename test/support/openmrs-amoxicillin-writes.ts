/**
 * Two writes of the OpenMRS connector tests, in the domain model, on the sandbox's seed: a count
 * of amoxicillin at Mwangaza, and an order of it for Kilima supplied by Mwangaza.
 */
import { LOC } from '../../sandbox/openmrs/index.js';
import type { Order, StockReport } from '../../src/domain/index.js';

const GTIN = 'https://www.gs1.org/gtin';
const AMOXICILLIN = '10860012300058';

/** A count (snapshot) of `quantity` amoxicillin tablets of batch AMX-2401 at Mwangaza, identified by `value`. */
export const amoxicillinCountAtMwangaza = (value: string, quantity = 940): StockReport => ({
  identifier: { system: 'urn:test:count', value },
  status: 'active',
  countType: 'snapshot',
  reportedAt: '2026-12-01T10:00:00Z',
  facility: { id: LOC.mwangaza },
  lines: [
    {
      product: { system: GTIN, code: AMOXICILLIN },
      quantity: { value: quantity, unit: 'dispensing-unit' },
      lot: { number: 'AMX-2401', expiry: '2031-12-31' },
    },
  ],
});

/** An order of 200 amoxicillin tablets for Kilima from Mwangaza, numbered `value`. */
export const amoxicillinOrderForKilima = (value: string): Order => ({
  orderNumber: { system: 'https://app.example.org/orders', value },
  status: 'active',
  priority: 'routine',
  facility: { id: LOC.kilima },
  supplier: { id: LOC.mwangaza },
  authoredOn: '2026-12-01T08:00:00Z',
  lines: [{ product: { system: GTIN, code: AMOXICILLIN }, quantity: { value: 200, unit: 'dispensing-unit' } }],
});
