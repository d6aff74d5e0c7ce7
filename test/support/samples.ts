import { ORDER_NUMBER_TYPE, DELIVERY_NUMBER_TYPE, UNIT_SYSTEM } from '../../src/fhir/conventions.js';

export const GTIN = 'https://www.gs1.org/gtin';

export function supplyRequest(
  opts: { order?: string; gtin?: string; qty?: number; id?: string; facility?: string; r5?: boolean } = {},
): any {
  const concept = { coding: [{ system: GTIN, code: opts.gtin ?? '00012345600012', display: 'Amoxicillin 250mg' }] };
  return {
    resourceType: 'SupplyRequest',
    ...(opts.id ? { id: opts.id } : {}),
    identifier: [
      { type: { coding: [ORDER_NUMBER_TYPE] }, system: 'https://app.example.org/orders', value: opts.order ?? 'ORD-1' },
    ],
    status: 'active',
    priority: 'routine',
    category: { coding: [{ code: 'FP' }] },
    ...(opts.r5 ? { item: { concept } } : { itemCodeableConcept: concept }),
    quantity: { value: opts.qty ?? 100, unit: 'dispensing unit', system: UNIT_SYSTEM, code: 'dispensing-unit' },
    authoredOn: '2026-11-20T08:00:00Z',
    deliverTo: { reference: `Location/${opts.facility ?? 'fac-1'}` },
  };
}

export function location(opts: { id?: string; code?: string; name?: string } = {}): any {
  return {
    resourceType: 'Location',
    ...(opts.id ? { id: opts.id } : {}),
    identifier: [{ system: 'https://mfr.example.org/code', value: opts.code ?? 'HC01' }],
    status: 'active',
    name: opts.name ?? 'Comfort Health Clinic',
    mode: 'instance',
    position: { longitude: 36.8, latitude: -1.28 },
  };
}

export function supplyDelivery(
  opts: { number?: string; accepted?: number; rejected?: number; reason?: string } = {},
): any {
  return {
    resourceType: 'SupplyDelivery',
    identifier: [
      {
        type: { coding: [DELIVERY_NUMBER_TYPE] },
        system: 'https://lmis.example.org/pod',
        value: opts.number ?? 'POD-1',
      },
    ],
    status: 'completed',
    suppliedItem: {
      quantity: { value: opts.accepted ?? 10, unit: 'pack', system: UNIT_SYSTEM, code: 'pack' },
      itemCodeableConcept: { coding: [{ system: GTIN, code: '00012345600012' }] },
      ...(opts.rejected
        ? {
            extension: [
              {
                url: 'http://fhir-supply-mediator.org/fhir/StructureDefinition/quantity-rejected',
                valueQuantity: { value: opts.rejected, unit: 'pack', system: UNIT_SYSTEM, code: 'pack' },
              },
              ...(opts.reason
                ? [
                    {
                      url: 'http://fhir-supply-mediator.org/fhir/StructureDefinition/rejection-reason',
                      valueString: opts.reason,
                    },
                  ]
                : []),
            ],
          }
        : {}),
    },
    occurrenceDateTime: '2026-11-21T10:00:00Z',
    destination: { reference: 'Location/fac-1' },
  };
}

export function inventoryReport(opts: { countType?: string; qty?: number; id?: string } = {}): any {
  return {
    resourceType: 'InventoryReport',
    ...(opts.id ? { id: opts.id } : {}),
    identifier: [{ system: 'https://app.example.org/counts', value: 'CNT-1' }],
    status: 'active',
    countType: opts.countType ?? 'snapshot',
    reportedDateTime: '2026-11-21T09:00:00Z',
    inventoryListing: [
      {
        location: { reference: 'Location/fac-1' },
        countingDateTime: '2026-11-21T08:30:00Z',
        item: [
          {
            quantity: { value: opts.qty ?? 40, unit: 'dispensing unit', system: UNIT_SYSTEM, code: 'dispensing-unit' },
            item: { concept: { coding: [{ system: GTIN, code: '00012345600012' }] } },
          },
        ],
      },
    ],
  };
}

export function transaction(
  entries: { method: string; url: string; resource?: any; ifMatch?: string; ifNoneExist?: string }[],
): any {
  return {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: entries.map((e, i) => ({
      fullUrl: `urn:uuid:00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      ...(e.resource ? { resource: e.resource } : {}),
      request: {
        method: e.method,
        url: e.url,
        ...(e.ifMatch ? { ifMatch: e.ifMatch } : {}),
        ...(e.ifNoneExist ? { ifNoneExist: e.ifNoneExist } : {}),
      },
    })),
  };
}
