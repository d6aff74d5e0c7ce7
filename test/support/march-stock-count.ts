/**
 * The InventoryReport the DHIS2 e2e tests post: one facility's March 2024 count of one product
 * (condoms by GTIN, in dispensing units), the report a health facility sends in early April.
 */
const GTIN = 'https://www.gs1.org/gtin';
const UNIT = 'http://fhir-supply-mediator.org/fhir/CodeSystem/quantity-unit';
export const CONDOM_GTIN = '10860012300034';

export function marchStockCount(location: string, reportId: string, quantity: number) {
  return marchStockCountOf(location, reportId, [[CONDOM_GTIN, quantity]]);
}

/** The same count of several products: [GTIN, dispensing units] each. */
export function marchStockCountOf(location: string, reportId: string, items: [string, number][]) {
  return {
    resourceType: 'InventoryReport',
    identifier: [{ system: 'https://hmis.example.org/stock-reports', value: reportId }],
    status: 'active',
    countType: 'snapshot',
    reportedDateTime: '2024-04-02T09:00:00Z',
    reportingPeriod: { start: '2024-03-01T00:00:00Z', end: '2024-03-31T23:59:59Z' },
    inventoryListing: [
      {
        location: { reference: `Location/${location}` },
        item: items.map(([gtin, value]) => ({
          item: { concept: { coding: [{ system: GTIN, code: gtin }] } },
          quantity: { value, unit: 'dispensing unit', system: UNIT, code: 'dispensing-unit' },
        })),
      },
    ],
  };
}

/** `units` condoms distributed at the facility in March: a difference report that subtracts them. */
export function marchDistribution(location: string, reportId: string, units: number) {
  return {
    ...marchStockCount(location, reportId, units),
    countType: 'difference',
    operationType: { coding: [{ code: 'subtraction', display: 'subtraction' }] },
    operationTypeReason: { coding: [{ code: 'distributed', display: 'distributed' }] },
  };
}

/** A call to the mediator's admin API with the operator's bearer token; the JSON answer. */
export async function adminCall(base: string, token: string, method: string, path: string) {
  const res = await fetch(`${base}/admin${path}`, { method, headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, body: (await res.json()) as any };
}
