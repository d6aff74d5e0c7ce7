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
 * (order number), then reads each full requisition and tests the exact authoredOn instants.
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
  return { facility, requisitionStatus: statuses, initiatedDateFrom: initiatedFrom(criteria) };
}

/**
 * `date` is the order's authoredOn: the client's, kept in extraData (order-authored.ts), which
 * OpenLMIS cannot filter on. It can filter on the day a requisition was initiated, which is when
 * the mediator delivered the order, so after the client authored it: an order authored from `from`
 * on was initiated from that day on (a day earlier allowed for a phone's clock running ahead). No
 * upper bound: an order authored before `to` may reach OpenLMIS days later (a phone offline). The
 * exact instants are tested on each order afterwards.
 */
function initiatedFrom(criteria: SearchCriteria): string | undefined {
  const from = narrowest(criteria.date).from;
  if (!from) return undefined;
  const day = new Date(`${from.slice(0, 10)}T00:00:00Z`);
  day.setUTCDate(day.getUTCDate() - 1);
  return day.toISOString().slice(0, 10);
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
  const basics = (await searchRequisitions(deps.client, query)).filter((r) =>
    matchesIdentifier(r, criteria.identifier),
  );
  const full = await Promise.all(basics.map((r) => readRequisition(deps.client, r.id)));
  const orders = full
    .filter((r): r is RequisitionDto => !!r)
    .map((r) => decodeRequisition(r, deps.products))
    .filter((o) => inRanges(o.authoredOn, criteria.date));
  return { items: orders.sort(newestAuthoredFirst) };
}

function newestAuthoredFirst(a: Order, b: Order): number {
  return (b.authoredOn ?? '').localeCompare(a.authoredOn ?? '') || (a.id ?? '').localeCompare(b.id ?? '');
}
