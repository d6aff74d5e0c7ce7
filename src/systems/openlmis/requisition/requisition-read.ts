import { inRanges, narrowest, type Order } from '../../../domain/index.js';
import type { Page, SearchCriteria } from '../../../routing/ports.js';
import type { OpenLmisDeps } from '../types.js';
import { isUuid, REQUISITION_SYSTEM } from '../identifiers.js';
import { decodeRequisition } from './requisition-decode.js';
import type { RequisitionDto } from './requisition-dto.js';
import { decodeRequisitionLessOrder } from './requisition-less.js';
import { readRequisition, searchRequisitions, type RequisitionQuery } from './requisition-lookup.js';
import { requisitionStatusesFor } from './requisition-status.js';
import { searchFacilityFilter } from '../facility/facility-resolver.js';
import * as api from '../api.js';
import { takeWritten } from './requisition-recent.js';

/**
 * Reading orders: a requisition id gives the requisition; a requisition-less order is found by its
 * order id. Search narrows on the server (facility, status, initiated date) and finishes on our side
 * (order number, exact date comparisons), then reads the full requisition only for the page asked.
 */
export async function getOrder(deps: OpenLmisDeps, id: string): Promise<Order | undefined> {
  if (!isUuid(id)) return undefined;
  // the read-back right after our own write: what the write step just saw (requisition-recent.ts)
  const requisition = takeWritten(deps, id) ?? (await readRequisition(deps.client, id));
  if (requisition) return decodeRequisition(requisition, deps.products);
  // an order made from a requisition (externalId) is read as that requisition, never twice
  const order = await api.getOrder(deps.client, id);
  return order && !order.externalId ? decodeRequisitionLessOrder(order, deps.products) : undefined;
}

function matchesIdentifier(r: RequisitionDto, identifier: SearchCriteria['identifier']): boolean {
  if (!identifier) return true;
  if ((!identifier.system || identifier.system === REQUISITION_SYSTEM) && r.id === identifier.value) return true;
  const n = r.extraData?.fhirOrderNumber;
  return !!n && n.value === identifier.value && (!identifier.system || n.system === identifier.system);
}

function serverQuery(facility: string | undefined, criteria: SearchCriteria): RequisitionQuery | undefined {
  let statuses: string[] | undefined;
  if (criteria.status) {
    statuses = criteria.status.split(',').flatMap((s) => requisitionStatusesFor(s.trim()));
    if (!statuses.length) return undefined;
  }
  // OpenLMIS filters on whole days; the exact instants are tested on each requisition afterwards
  const { from: fromInstant, to: toInstant } = narrowest(criteria.date);
  const from = fromInstant?.slice(0, 10);
  const to = toInstant?.slice(0, 10);
  return { facility, requisitionStatus: statuses, initiatedDateFrom: from, initiatedDateTo: to };
}

export async function searchOrders(deps: OpenLmisDeps, criteria: SearchCriteria): Promise<Page<Order>> {
  if (criteria.ids?.length) {
    const found = await Promise.all(criteria.ids.map((id) => getOrder(deps, id)));
    return { items: found.filter((o): o is Order => !!o) };
  }
  const byId = criteria.identifier?.system === REQUISITION_SYSTEM ? criteria.identifier.value : undefined;
  if (byId) {
    // the requisition id itself: one read instead of a search over every requisition
    const found = await getOrder(deps, byId);
    const statuses = criteria.status?.split(',').map((x) => x.trim());
    return { items: found && (!statuses || statuses.includes(found.status)) ? [found] : [] };
  }
  const facility = await searchFacilityFilter(deps.resolveFacility, criteria.facility, 'facility');
  if (facility === null) return { items: [] };
  const query = serverQuery(facility, criteria);
  if (!query) return { items: [] };
  const basics = (await searchRequisitions(deps.client, query))
    .filter((r) => matchesIdentifier(r, criteria.identifier) && inRanges(r.createdDate, criteria.date))
    .sort((a, b) => (b.createdDate ?? '').localeCompare(a.createdDate ?? '') || a.id.localeCompare(b.id));
  const full = await Promise.all(basics.map((r) => readRequisition(deps.client, r.id)));
  return { items: full.filter((r): r is RequisitionDto => !!r).map((r) => decodeRequisition(r, deps.products)) };
}
