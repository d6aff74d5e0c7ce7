import { stableUuid } from '../../domain/ids.js';
import type { FacilityRef, Identifier } from '../../domain/index.js';
import type { ShipmentRow } from './api.js';
import { NS } from '../../domain/namespace.js';

/**
 * Identifier systems for objects that originate in Open mSupply, and the ids the connector
 * derives. Open mSupply inserts take the record id from the client (every `Insert…Input` has
 * `id: String!`, server/graphql/(invoice|requisition|…)/src/mutations in msupply-foundation/open-msupply), so ids are
 * derived from the business key: a retry after a lost answer computes the same id and finds the
 * record instead of inserting a second one.
 */
export const MSUPPLY = 'msupply';
export const STORE_CODE_SYSTEM = `${NS}/identifier/msupply-store-code`;
export const NAME_CODE_SYSTEM = `${NS}/identifier/msupply-name-code`;
export const REQUISITION_NUMBER_SYSTEM = `${NS}/identifier/msupply-requisition`;
export const ITEM_CODE_SYSTEM = `${NS}/CodeSystem/msupply-item`;
export const SHIPMENT_SYSTEM = `${NS}/identifier/msupply-shipment`;

/** The id of the request requisition an order becomes in a store. */
export function requisitionIdFor(orderNumber: Identifier, storeId: string): string {
  return stableUuid(MSUPPLY, 'request-requisition', storeId, orderNumber.system, orderNumber.value);
}

/** A store as a facility reference: its id and its store code. */
export function storeRef(store: { id: string; code: string }): FacilityRef {
  return { id: store.id, identifier: { system: STORE_CODE_SYSTEM, value: store.code } };
}

/**
 * The other party of a shipment or requisition: its store (id and code) when it is one, and its
 * name either way (a supplier or customer that is only a name in this store).
 */
export function otherPartyRef(row: Pick<ShipmentRow, 'otherParty' | 'otherPartyName'>): FacilityRef {
  const store = row.otherParty?.store;
  return store ? { ...storeRef(store), display: row.otherPartyName } : { display: row.otherPartyName };
}

/** The id of one requisition line (one per item in Open mSupply: RequisitionLineWithItemIdExists). */
export function requisitionLineIdFor(requisitionId: string, itemId: string): string {
  return stableUuid(MSUPPLY, 'request-requisition-line', requisitionId, itemId);
}

/** Line ids: the FHIR edge's formula, so reads give back the posted ids. */
export { orderLineId, deliveryLineId } from '../../domain/line-ids.js';
