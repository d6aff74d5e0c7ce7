import type { FhirVersion } from '../versions.js';

/**
 * Required-binding code lists (reference/fhir.md §2.5). The official JSON schemas miss most of
 * these (R5 has no resource enums at all; R4 misses shared ones such as priority), so the edge
 * checks them itself. Paths are element paths with arrays flattened.
 */
export interface RequiredBinding {
  path: string;
  codes: readonly string[];
  /** `coding` when the element is a CodeableConcept whose codings in `system` must be in the list. */
  kind?: 'code' | 'coding';
  system?: string;
  versions?: FhirVersion[];
}

export const requiredBindings: Record<string, RequiredBinding[]> = {
  SupplyRequest: [
    {
      path: 'status',
      codes: ['draft', 'active', 'suspended', 'cancelled', 'completed', 'entered-in-error', 'unknown'],
    },
    { path: 'priority', codes: ['routine', 'urgent', 'asap', 'stat'] },
  ],
  SupplyDelivery: [
    { path: 'status', codes: ['in-progress', 'completed', 'abandoned', 'entered-in-error'] },
    {
      path: 'type',
      kind: 'coding',
      system: 'http://terminology.hl7.org/CodeSystem/supply-item-type',
      codes: ['medication', 'device'],
      versions: ['r4'],
    },
    {
      path: 'type',
      kind: 'coding',
      system: 'http://hl7.org/fhir/supplydelivery-supplyitemtype',
      codes: ['medication', 'device', 'biologicallyderivedproduct'],
      versions: ['r5'],
    },
  ],
  Location: [
    { path: 'status', codes: ['active', 'suspended', 'inactive'] },
    { path: 'mode', codes: ['instance', 'kind'] },
    { path: 'hoursOfOperation.daysOfWeek', codes: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], versions: ['r4'] },
  ],
  InventoryReport: [
    { path: 'status', codes: ['draft', 'requested', 'active', 'entered-in-error'] },
    { path: 'countType', codes: ['snapshot', 'difference'] },
  ],
};

/** Elements whose minimum cardinality is 1 but which a schema cannot (choice types) or does not (R5) require. */
export const requiredElements: Record<string, { paths: string[][]; versions?: FhirVersion[]; parent?: string }[]> = {
  SupplyRequest: [
    { paths: [['itemCodeableConcept', 'itemReference']], versions: ['r4'] },
    { paths: [['item']], versions: ['r5'] },
    { paths: [['quantity']] },
  ],
  InventoryReport: [{ paths: [['status'], ['countType'], ['reportedDateTime']] }],
  SupplyDelivery: [],
  Location: [{ parent: 'position', paths: [['longitude'], ['latitude']] }],
};

/** Elements of cardinality 0..1 that the R4 schema lets through as arrays. */
export const singleElements: Record<string, { path: string; versions?: FhirVersion[] }[]> = {
  SupplyDelivery: [{ path: 'suppliedItem', versions: ['r4'] }],
};
