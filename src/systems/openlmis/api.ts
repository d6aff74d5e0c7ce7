import type { LmisClient, LmisResponse } from './types.js';
import { getOrAbsent } from './lookup.js';
import type { InitiablePeriodDto, RequisitionDto } from './requisition/requisition-dto.js';
import type { FulfillmentOrderDto, ProofOfDeliveryDto, ShipmentDto } from './proof-of-delivery/shipment-dto.js';

/**
 * One small named function per OpenLMIS operation the connector uses (DESIGN §3, as OpenFn's
 * adaptors do): path, method, query, credential and retry policy live here, so the per-concept
 * files (facility/, product/, requisition/, proof-of-delivery/, stock/) call named operations and
 * never build requests. Paths and parameters follow the services' RAML (openlmis-referencedata,
 * -requisition, -fulfillment, -stockmanagement `src/main/resources/api-definition.yaml`).
 *
 * Credentials (reference data and stock summaries accept the API key, which spares the user
 * token; requisition, fulfillment and stock-card calls need the user): see types.ts TokenKind.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- OpenLMIS JSON as parsed
type Json = Record<string, any>;
type Query = Record<string, string | number | boolean | (string | number)[] | undefined>;

const enc = encodeURIComponent;

// ---- referencedata ----------------------------------------------------------------------------

/** GET /api/facilities/{id}: the full FacilityDto (supportedPrograms, location), or undefined. */
export const getFacility = (client: LmisClient, id: string, absentOn: number[] = [404]) =>
  getOrAbsent<Json>(client, { path: `/api/facilities/${enc(id)}`, token: 'service' }, absentOn);

/** GET /api/facilities (BasicFacilityDto, every page); `code`/`name` are substring filters, `type` a type code. */
export const listFacilities = (client: LmisClient, query: Query = {}) =>
  client.all<Json>({ path: '/api/facilities', query, token: 'service' });

/** GET /api/facilities, one page (Spring page, or a plain array on servers that ignore paging). */
export const facilitiesPage = (client: LmisClient, query: Query) =>
  client.call<Json | Json[]>({ method: 'GET', path: '/api/facilities', query, token: 'service', listed: true });

/** GET /api/facilities/full: FacilityDto with location, operator and programs, every page. */
export const listFullFacilities = (client: LmisClient, query: Query = {}) =>
  client.all<Json>({ path: '/api/facilities/full', query, token: 'service' });

/**
 * GET /api/facilities/full, one page: a Location search's (issue 18). OpenLMIS sends no
 * validators, so it is fetched every time; an unchanged page is not parsed again but answered as
 * the same deep-frozen value (upstream/reused-parse.ts), whose facilities decoded-facilities.ts
 * then finds by identity.
 */
export const fullFacilitiesPage = (client: LmisClient, query: Query) =>
  client.call<Readonly<Json> | readonly Json[]>({
    method: 'GET',
    path: '/api/facilities/full',
    query,
    token: 'service',
    reuseParsed: true,
    listed: true,
  });

/** POST /api/facilities (needs FACILITIES_MANAGE: the user token). */
export const createFacility = (client: LmisClient, body: unknown) =>
  client.call<Json>({ method: 'POST', path: '/api/facilities', body, token: 'user', carries: ['id'] });

/** PUT /api/facilities/{id}; idempotent, so it may be retried. */
export const updateFacility = (client: LmisClient, id: string, body: unknown) =>
  client.call<Json>({
    method: 'PUT',
    path: `/api/facilities/${enc(id)}`,
    body,
    token: 'user',
    retry: true,
    carries: ['id'],
  });

/** GET /api/geographicZones/{id}, or undefined. */
export const getZone = (client: LmisClient, id: string, absentOn: number[] = [404]) =>
  getOrAbsent<Json>(client, { path: `/api/geographicZones/${enc(id)}`, token: 'service' }, absentOn);

/** GET /api/geographicZones, every page. */
export const listZones = (client: LmisClient) => client.all<Json>({ path: '/api/geographicZones', token: 'service' });

/** GET /api/facilityTypes. */
export const listFacilityTypes = (client: LmisClient) =>
  client.all<Json>({ path: '/api/facilityTypes', token: 'service' });

/** GET /api/facilityOperators. */
export const listFacilityOperators = (client: LmisClient) =>
  client.all<Json>({ path: '/api/facilityOperators', token: 'service' });

/** GET /api/programs (a plain array). */
export const listPrograms = (client: LmisClient) => client.all<Json>({ path: '/api/programs', token: 'service' });

/** GET /api/programs with the user token and no retry: the readiness probe (the user token is what most flows need). */
export const pingPrograms = (client: LmisClient) =>
  client.call<unknown>({ method: 'GET', path: '/api/programs', token: 'user', retry: false });

/** GET /api/orderables?code= (substring filter), every page. */
export const listOrderables = (client: LmisClient, query: Query) =>
  client.all<Json>({ path: '/api/orderables', query, token: 'service' });

/** GET /api/orderables/{id}[?versionNumber=], or undefined. */
export const getOrderable = (client: LmisClient, id: string, versionNumber?: number) =>
  getOrAbsent<Json>(client, { path: `/api/orderables/${enc(id)}`, query: { versionNumber }, token: 'service' });

/** GET /api/lots?tradeItemId=, every page. */
export const listLots = (client: LmisClient, tradeItemId: string) =>
  client.all<Json>({ path: '/api/lots', query: { tradeItemId }, token: 'service' });

// ---- stockmanagement --------------------------------------------------------------------------

/** GET /api/validReasons (refuses API keys: the user token). Array, or a page on some versions. */
export const listValidReasons = (client: LmisClient, programId: string, facilityTypeId: string) =>
  client.call<Json[] | { content?: Json[] }>({
    method: 'GET',
    path: '/api/validReasons',
    query: { program: programId, facilityType: facilityTypeId },
    token: 'user',
    listed: true,
  });

/** GET /api/v2/stockCardSummaries for a facility and program, every page. */
export const listStockCardSummaries = (client: LmisClient, facilityId: string, programId: string) =>
  client.all<Json>({ path: '/api/v2/stockCardSummaries', query: { facilityId, programId }, token: 'service' });

/** GET /api/public/stockCardSummaries (stockmanagement ≥ 5.2.0), answering 400/403/404 instead of throwing: the probe. */
export const probePublicStockApi = (client: LmisClient, facilityCode: string, programCode: string) =>
  client.send<unknown>({
    method: 'GET',
    path: '/api/public/stockCardSummaries',
    query: { facility: facilityCode, program: programCode, size: 1 },
    token: 'service',
    accept: [400, 403, 404],
    listed: true,
  });

/** POST /api/public/stockEvents (codes); the user token, since an API key needs a userId in the event. */
export const postPublicStockEvent = (client: LmisClient, body: unknown) =>
  client.call<unknown>({ method: 'POST', path: '/api/public/stockEvents', body, token: 'user' });

/** POST /api/stockEvents (UUIDs), the user token. */
export const postStockEvent = (client: LmisClient, body: unknown) =>
  client.call<unknown>({ method: 'POST', path: '/api/stockEvents', body, token: 'user' });

/**
 * GET /api/stockCards/{id} (refuses API keys); `absentOn` statuses answer undefined. A card always
 * lists its `lineItems` (one per event that made it): an answer without them (a gateway's JSON
 * page) is held, never a card without events, which made a stock event applied look unsent and
 * sent it again (counted twice).
 */
export async function getStockCard(client: LmisClient, id: string, absentOn?: number[]): Promise<Json | undefined> {
  const path = `/api/stockCards/${id}`;
  return client.call<Json>({ method: 'GET', path, token: 'user', carries: ['lineItems'], accept: absentOn });
}

// ---- requisition ------------------------------------------------------------------------------

/** GET /api/requisitions/periodsForInitiate: the periods that can be initiated, with any draft's id. */
export const periodsForInitiate = (client: LmisClient, programId: string, facilityId: string, emergency: boolean) =>
  client.call<InitiablePeriodDto[]>({
    method: 'GET',
    path: '/api/requisitions/periodsForInitiate',
    query: { programId, facilityId, emergency },
    listed: true,
  });

/** GET /api/requisitions/search, every page (BasicRequisitionDto: no line items). */
export const searchRequisitions = (client: LmisClient, query: Query) =>
  client.all<RequisitionDto>({ path: '/api/requisitions/search', query });

/** GET /api/requisitions/{id} (v1, orderables embedded), or undefined. */
export const getRequisition = (client: LmisClient, id: string) =>
  getOrAbsent<RequisitionDto>(client, { path: `/api/requisitions/${id}` });

/**
 * GET /api/requisitions/{id}, which must exist. Every RequisitionDto carries its `id` and `status`:
 * an answer without them (a gateway's JSON page) is held (transient). Read as a requisition with
 * no status, a resumed order's submit was skipped and the order reported done, still INITIATED.
 */
export const readRequisition = (client: LmisClient, id: string) =>
  client.call<RequisitionDto>({ method: 'GET', path: `/api/requisitions/${id}`, carries: ['id', 'status'] });

/** POST /api/requisitions/initiate with an Idempotency-Key; never retried by the client (not idempotent without the key's guarantee). */
export const initiateRequisition = (
  client: LmisClient,
  p: { programId: string; facilityId: string; periodId: string; emergency: boolean },
  idempotencyKey: string,
) =>
  client.call<RequisitionDto>({
    method: 'POST',
    path: '/api/requisitions/initiate',
    query: { program: p.programId, facility: p.facilityId, suggestedPeriod: p.periodId, emergency: p.emergency },
    idempotencyKey,
    retry: false,
    carries: ['id', 'status'],
  });

/** PUT /api/requisitions/{id}: the whole requisition back with edited lines; idempotent. */
export const updateRequisition = (client: LmisClient, id: string, body: RequisitionDto) =>
  client.call<RequisitionDto>({
    method: 'PUT',
    path: `/api/requisitions/${id}`,
    body,
    retry: true,
    carries: ['id', 'status', 'requisitionLineItems'],
  });

/** POST /api/requisitions/{id}/submit|authorize: one status transition (BasicRequisitionDto). */
export const transitionRequisition = (client: LmisClient, id: string, action: 'submit' | 'authorize') =>
  client.call<RequisitionDto>({
    method: 'POST',
    path: `/api/requisitions/${id}/${action}`,
    retry: false,
    carries: ['status'],
  });

/** PUT /api/requisitions/{id}/skip: INITIATED → SKIPPED where the program allows skipping periods. */
export const skipRequisition = (client: LmisClient, id: string) =>
  client.call<RequisitionDto>({
    method: 'PUT',
    path: `/api/requisitions/${id}/skip`,
    retry: true,
    carries: ['status'],
  });

/** DELETE /api/requisitions/{id} (INITIATED/REJECTED/SUBMITTED/SKIPPED only); a 404 is an answer. */
export const deleteRequisition = (client: LmisClient, id: string): Promise<LmisResponse<unknown>> =>
  client.send({ method: 'DELETE', path: `/api/requisitions/${id}`, accept: [404], retry: true });

// ---- fulfillment ------------------------------------------------------------------------------

/** GET /api/orders (BasicOrderDto), every page. */
export const listOrders = (client: LmisClient, query: Query) =>
  client.all<FulfillmentOrderDto>({ path: '/api/orders', query });

/**
 * GET /api/orders/{id}, which must exist. An answer without the order's id (a gateway's JSON page)
 * is held (transient): read as an order without a status, a requisition-less order never sent was
 * reported ORDERED.
 */
export const readOrder = (client: LmisClient, id: string) =>
  client.call<FulfillmentOrderDto>({ method: 'GET', path: `/api/orders/${id}`, carries: ['id'] });

/** GET /api/orders/{id}, or undefined. */
export const getOrder = (client: LmisClient, id: string) =>
  getOrAbsent<FulfillmentOrderDto>(client, { path: `/api/orders/${id}` });

/**
 * GET /api/orders/{id} for the undo, which reads what is left: undefined when OpenLMIS has no such
 * order (404). An answer without the order's id (a 204, a gateway's JSON page) is no answer, held
 * (lookup.ts): it crashed the undo, or kept a draft the undo should have deleted.
 */
export const probeOrder = (client: LmisClient, id: string) =>
  getOrAbsent<{ id: string; status?: string }>(client, { path: `/api/orders/${id}` });

/** POST /api/orders/requisitionLess (packs); no Idempotency-Key exists here, so never retried blindly. */
export const createRequisitionLessOrder = (client: LmisClient, body: unknown) =>
  client.call<FulfillmentOrderDto>({
    method: 'POST',
    path: '/api/orders/requisitionLess',
    body,
    retry: false,
    carries: ['id'],
  });

/** PUT /api/orders/{id}/requisitionLess/send. */
export const sendRequisitionLessOrder = (client: LmisClient, id: string) =>
  client.call<FulfillmentOrderDto>({
    method: 'PUT',
    path: `/api/orders/${id}/requisitionLess/send`,
    retry: false,
    carries: ['status'],
  });

/** DELETE /api/orders {ids}: drafts (CREATING) only; a 404 is an answer. */
export const deleteDraftOrders = (client: LmisClient, ids: string[]) =>
  client.send({ method: 'DELETE', path: '/api/orders', body: { ids }, accept: [404], retry: true });

/** GET /api/shipments?orderId=, every page. */
export const listShipments = (client: LmisClient, orderId: string) =>
  client.all<ShipmentDto>({ path: '/api/shipments', query: { orderId } });

/** GET /api/shipments/{id}, or undefined. */
export const getShipment = (client: LmisClient, id: string) =>
  getOrAbsent<ShipmentDto>(client, { path: `/api/shipments/${id}` });

/** GET /api/proofsOfDelivery?shipmentId=, every page. */
export const listProofsOfDelivery = (client: LmisClient, shipmentId: string) =>
  client.all<ProofOfDeliveryDto>({ path: '/api/proofsOfDelivery', query: { shipmentId } });

/** GET /api/proofsOfDelivery/{id}, or undefined. */
export const getProofOfDelivery = (client: LmisClient, id: string) =>
  getOrAbsent<ProofOfDeliveryDto>(client, { path: `/api/proofsOfDelivery/${id}` });

/** PUT /api/proofsOfDelivery/{id} without status CONFIRMED: the draft saved (quantities, receiver, date). */
export const saveProofOfDeliveryDraft = (client: LmisClient, id: string, body: unknown) =>
  // the same draft again is the same draft: safe to retry
  client.call<ProofOfDeliveryDto>({
    method: 'PUT',
    path: `/api/proofsOfDelivery/${id}`,
    body,
    retry: true,
    carries: ['id', 'status'],
  });

/** PUT /api/proofsOfDelivery/{id} with status CONFIRMED: the confirmation (no /confirm endpoint exists). */
export const confirmProofOfDelivery = (client: LmisClient, id: string, body: unknown) =>
  client.call<ProofOfDeliveryDto>({
    method: 'PUT',
    path: `/api/proofsOfDelivery/${id}`,
    body,
    retry: false,
    carries: ['id', 'status'],
  });
