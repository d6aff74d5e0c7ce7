import type { Flow } from './services.js';
import type { FhirVersion } from './versions.js';
import {
  commonParams,
  inventoryReportParams,
  locationParams,
  supplyDeliveryParams,
  supplyRequestParams,
  type SearchParamDef,
} from './search-params.js';

export type ResourceType = 'Location' | 'SupplyRequest' | 'SupplyDelivery' | 'InventoryReport';
export type Interaction = 'read' | 'vread' | 'search-type' | 'create' | 'update' | 'patch' | 'delete';

export interface ResourceRoute {
  type: ResourceType;
  versions: FhirVersion[];
  flow: Flow;
  interactions: Interaction[];
  searchParams: SearchParamDef[];
  /** Sort keys accepted in _sort besides _lastUpdated and _id. */
  sortKeys: string[];
  documentation: string;
  /**
   * A create of a resource that exists replaces it: its id comes from its business identifier and
   * its system finds it by that (a facility: OpenLMIS, DHIS2, OpenMRS and mSupply upsert by code),
   * so it is a write of that resource like a PUT, serialized with the If-Match checks of it. The
   * other types' creates never replace: the outbox refuses one that reuses a business identifier
   * for other content (a conflict), and answers one that repeats it as the first (a duplicate).
   */
  createReplaces?: boolean;
}

/**
 * The one table that both serves requests and generates the CapabilityStatement, so the two can
 * never disagree (DESIGN §6, after Medplum's fhir-router).
 */
export const resourceRoutes: ResourceRoute[] = [
  {
    type: 'Location',
    versions: ['r4', 'r5'],
    flow: 'facilities',
    // delete = deactivate: a facility is closed, never erased from the systems that knew it
    interactions: ['read', 'vread', 'search-type', 'create', 'update', 'patch', 'delete'],
    searchParams: [...commonParams('Location'), ...locationParams],
    sortKeys: ['name'],
    documentation:
      'Facilities and administrative areas (mCSD), served live from the system of record; writes propagate registry changes to every system.',
    createReplaces: true,
  },
  {
    type: 'SupplyRequest',
    versions: ['r4', 'r5'],
    flow: 'orders',
    // delete = cancel the line (the order, when it is its last): what the upstream allows
    interactions: ['read', 'vread', 'search-type', 'create', 'update', 'patch', 'delete'],
    searchParams: [...commonParams('SupplyRequest'), ...supplyRequestParams],
    sortKeys: ['date'],
    documentation:
      'One order line. The lines of one order share an identifier typed PLAC (the order number); post them together in a transaction Bundle.',
  },
  {
    type: 'SupplyDelivery',
    versions: ['r4', 'r5'],
    flow: 'deliveries',
    interactions: ['read', 'vread', 'search-type', 'create', 'update', 'patch'],
    searchParams: [...commonParams('SupplyDelivery'), ...supplyDeliveryParams],
    sortKeys: [],
    documentation:
      'Shipments to a facility (read) and received quantities (create = confirm the proof of delivery). R4: one per line sharing an identifier typed FILL.',
  },
  {
    type: 'InventoryReport',
    versions: ['r5'],
    flow: 'stock',
    interactions: ['read', 'vread', 'search-type', 'create', 'update', 'patch'],
    searchParams: [...commonParams('InventoryReport'), ...inventoryReportParams],
    sortKeys: ['date'],
    documentation: 'Stock counts (snapshot) and adjustments (difference) at one facility.',
  },
];

export function routeFor(version: FhirVersion, type: string): ResourceRoute | undefined {
  return resourceRoutes.find((r) => r.type === type && r.versions.includes(version));
}

const METHOD_OF: Partial<Record<Interaction, string>> = {
  read: 'GET',
  update: 'PUT',
  patch: 'PATCH',
  delete: 'DELETE',
};

/** The HTTP methods an instance URL ([type]/[id]) or a type URL ([type]) of this route takes. */
export function allowedMethods(route: ResourceRoute, level: 'instance' | 'type'): string[] {
  if (level === 'type') return ['GET', 'POST'];
  return route.interactions.flatMap((i) => METHOD_OF[i] ?? []);
}
