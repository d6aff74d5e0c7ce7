import { GraphQLError } from 'graphql';
import type { InvoiceStatus, Requisition, RequisitionLine, Stocktake, StocktakeLine, User } from './model.js';
import type { MsupplyState } from './state.js';
import { ledgerRows } from './ledger.js';
import { itemStatsNode } from './item-stats.js';
import { backdateRefusal } from './backdating.js';
import { moreUpdated, stocktakeLineMore } from './stock-line-more.js';
import { refusedLocation, refusedSource } from './line-refusals.js';
import {
  connector,
  invoiceLineNode,
  invoiceNode,
  itemNode,
  nameNode,
  requisitionLineNode,
  requisitionNode,
  stockLineNode,
  stocktakeLineNode,
  stocktakeNode,
  storeNode,
} from './views.js';

/**
 * The root resolvers of the operations the sandbox implements, with Open mSupply's rules: a
 * bearer for everything but the login, `storeId` the user may act in, client-supplied ids that
 * must be new, the request requisition's DRAFT → SENT machine, one line per item, and errors typed
 * as the real API types them (union members inside `data`; "Unauthenticated", "Forbidden" and
 * "Bad user input" in errors[]: server/graphql/core/src/standard_graphql_error.rs). Any other root
 * field of the schema answers that the sandbox does not implement it.
 */
export interface RequestContext {
  state: MsupplyState;
  token?: string;
  user?: User;
  /** The request's refresh_token cookie. */
  refreshCookie?: string;
  /** A refresh_token cookie to set on the answer (authToken, refreshToken). */
  setRefreshCookie?: string;
}

type Args = Record<string, any>;
type Obj = Record<string, unknown>;

const unauthenticated = () => new GraphQLError('Unauthenticated', { extensions: { details: 'Not authenticated' } });
const forbidden = (details: string) => new GraphQLError('Forbidden', { extensions: { details } });
const badUserInput = (details: string) => new GraphQLError('Bad user input', { extensions: { details } });
const typedError = (wrapper: string, type: string, description: string, extra: Obj = {}): Obj => ({
  __typename: wrapper,
  error: { __typename: type, description, ...extra },
});
const recordNotFound = (): Obj => ({ __typename: 'RecordNotFound', description: 'Record not found' });

function userOf(ctx: RequestContext): User {
  if (!ctx.user) throw unauthenticated();
  return ctx.user;
}

function inStore(ctx: RequestContext, storeId: string): User {
  const user = userOf(ctx);
  if (!user.storeIds.includes(storeId)) throw forbidden(`user ${user.username} has no permission in store ${storeId}`);
  return user;
}

// filters (EqualFilter*Input, StringFilterInput) --------------------------------------------------

function equalOk(value: unknown, f: Args | null | undefined): boolean {
  if (!f) return true;
  if (f.equalTo !== undefined && f.equalTo !== null && value !== f.equalTo) return false;
  if (f.notEqualTo !== undefined && f.notEqualTo !== null && value === f.notEqualTo) return false;
  if (Array.isArray(f.equalAny) && !f.equalAny.includes(value)) return false;
  if (Array.isArray(f.notEqualAll) && f.notEqualAll.includes(value)) return false;
  return true;
}

function stringOk(value: string | null | undefined, f: Args | null | undefined): boolean {
  if (!f) return true;
  if (f.equalTo !== undefined && f.equalTo !== null && value !== f.equalTo) return false;
  if (f.like !== undefined && f.like !== null && !(value ?? '').toLowerCase().includes(String(f.like).toLowerCase()))
    return false;
  return true;
}

/** DatetimeFilterInput {afterOrEqualTo, beforeOrEqualTo, equalTo}: a null time matches no bound. */
function datetimeOk(value: string | null, f: Args | null | undefined): boolean {
  if (!f) return true;
  const t = value === null ? NaN : Date.parse(value);
  if (f.equalTo && t !== Date.parse(f.equalTo)) return false;
  if (f.afterOrEqualTo && !(t >= Date.parse(f.afterOrEqualTo))) return false;
  if (f.beforeOrEqualTo && !(t <= Date.parse(f.beforeOrEqualTo))) return false;
  return true;
}

function boolOk(value: boolean, wanted: boolean | null | undefined): boolean {
  return wanted === undefined || wanted === null || value === wanted;
}

// root ------------------------------------------------------------------------------------------

export function rootResolvers(): Record<string, (args: Args, ctx: RequestContext) => unknown> {
  return {
    apiVersion: () => '2.0.0-sandbox',

    authToken: ({ username, password }, ctx) => {
      const result = ctx.state.login(username, password);
      if ('token' in result) {
        ctx.setRefreshCookie = result.refresh;
        return { __typename: 'AuthToken', token: result.token };
      }
      const descriptions = {
        InvalidCredentials: 'Invalid credentials',
        NoSiteAccess: 'User has no access to this site',
        AccountBlocked: 'Account blocked',
      };
      return typedError(
        'AuthTokenError',
        result.error,
        descriptions[result.error],
        'timeoutRemaining' in result ? { timeoutRemaining: result.timeoutRemaining } : {},
      );
    },

    refreshToken: (_args, ctx) => {
      const result = ctx.state.refresh(ctx.refreshCookie);
      if ('token' in result) {
        ctx.setRefreshCookie = result.refresh;
        return { __typename: 'RefreshToken', token: result.token };
      }
      const descriptions = {
        NoRefreshTokenProvided: 'No refresh token provided',
        TokenExpired: 'Token is expired',
        InvalidToken: 'Invalid token',
      };
      return typedError('RefreshTokenError', result.error, descriptions[result.error]);
    },

    logout: (_args, ctx) => {
      const user = userOf(ctx);
      ctx.state.expireToken(ctx.token);
      return { __typename: 'Logout', userId: user.id };
    },

    me: (_args, ctx) => {
      const user = userOf(ctx);
      const stores = user.storeIds
        .map((id) => ctx.state.stores.get(id)!)
        .map((s) => ({
          __typename: 'UserStoreNode',
          id: s.id,
          code: s.code,
          name: s.name,
          nameId: s.nameId,
          isDisabled: false,
          storeMode: 'STORE',
          createdDate: null,
          homeCurrencyCode: null,
        }));
      return {
        __typename: 'UserNode',
        userId: user.id,
        username: user.username,
        defaultStore: stores[0] ?? null,
        language: 'ENGLISH',
        email: null,
        firstName: null,
        lastName: null,
        jobTitle: null,
        phoneNumber: null,
        stores: { __typename: 'UserStoreConnector', totalCount: stores.length, nodes: stores },
      };
    },

    stores: ({ filter, page }, ctx) => {
      userOf(ctx);
      const all = [...ctx.state.stores.values()].filter(
        (s) =>
          equalOk(s.id, filter?.id) &&
          stringOk(s.code, filter?.code) &&
          stringOk(s.name, filter?.name) &&
          (!filter?.codeOrName || stringOk(s.code, filter.codeOrName) || stringOk(s.name, filter.codeOrName)) &&
          stringOk(ctx.state.names.get(s.nameId)?.code, filter?.nameCode) &&
          equalOk(s.siteId, filter?.siteId),
      );
      return connector(
        'StoreConnector',
        all.map((s) => storeNode(ctx.state, s)),
        page,
      );
    },

    store: ({ id }, ctx) => {
      userOf(ctx);
      const s = ctx.state.stores.get(id);
      return s ? storeNode(ctx.state, s) : null;
    },

    names: ({ storeId, filter, page }, ctx) => {
      inStore(ctx, storeId);
      const all = ctx.state.namesVisibleIn(storeId).filter((n) => {
        const store = n.storeId ? ctx.state.stores.get(n.storeId) : undefined;
        return (
          equalOk(n.id, filter?.id) &&
          stringOk(n.code, filter?.code) &&
          stringOk(n.name, filter?.name) &&
          (!filter?.codeOrName || stringOk(n.code, filter.codeOrName) || stringOk(n.name, filter.codeOrName)) &&
          boolOk(n.isCustomer, filter?.isCustomer) &&
          boolOk(n.isSupplier, filter?.isSupplier) &&
          boolOk(!!store, filter?.isStore) &&
          (!filter?.storeCode || (!!store && stringOk(store.code, filter.storeCode)))
        );
      });
      return connector(
        'NameConnector',
        all.map((n) => nameNode(ctx.state, n, storeId)),
        page,
      );
    },

    items: ({ storeId, filter, page }, ctx) => {
      inStore(ctx, storeId);
      const all = [...ctx.state.items.values()].filter(
        (i) =>
          equalOk(i.id, filter?.id) &&
          stringOk(i.code, filter?.code) &&
          stringOk(i.name, filter?.name) &&
          (!filter?.codeOrName || stringOk(i.code, filter.codeOrName) || stringOk(i.name, filter.codeOrName)),
      );
      // stats take their own storeId: a user may ask for another of their stores' figures
      const withStats = (i: (typeof all)[number]) => ({
        ...itemNode(i),
        stats: (a: Args) => {
          inStore(ctx, a.storeId);
          return itemStatsNode(ctx.state, a.storeId, i.id, a);
        },
      });
      return connector('ItemConnector', all.map(withStats), page);
    },

    requisition: ({ storeId, id }, ctx) => {
      inStore(ctx, storeId);
      const r = ctx.state.requisitions.get(id);
      return r && r.storeId === storeId ? requisitionNode(ctx.state, r) : recordNotFound();
    },

    requisitions: ({ storeId, filter, page }, ctx) => {
      inStore(ctx, storeId);
      const all = [...ctx.state.requisitions.values()].filter(
        (r) =>
          r.storeId === storeId &&
          equalOk(r.id, filter?.id) &&
          equalOk(r.type, filter?.type) &&
          equalOk(r.status, filter?.status) &&
          equalOk(r.otherPartyId, filter?.otherPartyId) &&
          stringOk(r.theirReference, filter?.theirReference) &&
          equalOk(r.requisitionNumber, filter?.requisitionNumber),
      );
      return connector(
        'RequisitionConnector',
        all.sort((a, b) => a.requisitionNumber - b.requisitionNumber).map((r) => requisitionNode(ctx.state, r)),
        page,
      );
    },

    insertRequestRequisition: ({ storeId, input }, ctx) => {
      const user = inStore(ctx, storeId);
      const { state } = ctx;
      if (state.requisitions.has(input.id)) throw badUserInput('RequisitionAlreadyExists');
      const other = state.visibleName(storeId, input.otherPartyId);
      if (!other) return typedError('InsertRequestRequisitionError', 'OtherPartyNotVisible', 'Other party not visible');
      if (!other.isSupplier)
        return typedError('InsertRequestRequisitionError', 'OtherPartyNotASupplier', 'Other party is not a supplier');
      const r: Requisition = {
        id: input.id,
        storeId,
        requisitionNumber: state.nextRequisitionNumber(storeId),
        type: 'REQUEST',
        status: 'DRAFT',
        otherPartyId: input.otherPartyId,
        theirReference: input.theirReference ?? null,
        comment: input.comment ?? null,
        maxMonthsOfStock: input.maxMonthsOfStock,
        minMonthsOfStock: input.minMonthsOfStock,
        expectedDeliveryDate: input.expectedDeliveryDate ?? null,
        createdDatetime: state.iso(),
        sentDatetime: null,
        finalisedDatetime: null,
        linkedRequisitionId: null,
        userId: user.id,
      };
      state.requisitions.set(r.id, r);
      state.applied.push({ mutation: 'insertRequestRequisition', id: r.id });
      return requisitionNode(state, r);
    },

    insertRequestRequisitionLine: ({ storeId, input }, ctx) => {
      inStore(ctx, storeId);
      const { state } = ctx;
      if (state.requisitionLines.has(input.id)) throw badUserInput('RequisitionLineAlreadyExists');
      const r = state.requisitions.get(input.requisitionId);
      if (!r)
        return typedError('InsertRequestRequisitionLineError', 'ForeignKeyError', 'FK error', { key: 'requisitionId' });
      if (r.storeId !== storeId) throw badUserInput('NotThisStoreRequisition');
      if (r.type !== 'REQUEST') throw badUserInput('NotARequestRequisition');
      if (r.status !== 'DRAFT')
        return typedError('InsertRequestRequisitionLineError', 'CannotEditRequisition', 'Cannot edit requisition');
      // the service checks only that the item exists (ItemDoesNotExist, a standard "Bad user input"),
      // not that a master list visible to the store holds it (ItemIsNotVisibleInThisStore is a TODO
      // in requisition_line/request_requisition_line/insert.rs): an item off the store's lists is taken
      if (!state.items.has(input.itemId)) throw badUserInput('ItemDoesNotExist');
      if (state.linesOf(r.id).some((l) => l.itemId === input.itemId))
        return typedError(
          'InsertRequestRequisitionLineError',
          'RequisitionLineWithItemIdExists',
          'Requisition line with item id already exists',
        );
      const line: RequisitionLine = {
        id: input.id,
        requisitionId: r.id,
        itemId: input.itemId,
        requestedQuantity: 0,
        suggestedQuantity: 0,
        supplyQuantity: 0,
        comment: null,
        linkedLineId: null,
      };
      state.requisitionLines.set(line.id, line);
      state.applied.push({ mutation: 'insertRequestRequisitionLine', id: line.id });
      return requisitionLineNode(state, line);
    },

    updateRequestRequisitionLine: ({ storeId, input }, ctx) => {
      inStore(ctx, storeId);
      const { state } = ctx;
      const line = state.requisitionLines.get(input.id);
      if (!line) return { __typename: 'UpdateRequestRequisitionLineError', error: recordNotFound() };
      const r = state.requisitions.get(line.requisitionId)!;
      if (r.storeId !== storeId) throw badUserInput('NotThisStoreRequisition');
      if (r.status !== 'DRAFT')
        return typedError('UpdateRequestRequisitionLineError', 'CannotEditRequisition', 'Cannot edit requisition');
      if (input.requestedQuantity !== undefined && input.requestedQuantity !== null) {
        if (input.requestedQuantity < 0) throw badUserInput('RequestedQuantityCannotBeNegative');
        line.requestedQuantity = input.requestedQuantity;
      }
      if (input.comment !== undefined) line.comment = input.comment;
      state.applied.push({ mutation: 'updateRequestRequisitionLine', id: line.id });
      return requisitionLineNode(state, line);
    },

    // request_requisition_line/delete.rs: the line must exist (RecordNotFound), be of this store's
    // request requisition (NotThisStoreRequisition, NotARequestRequisition: "Bad user input") and
    // that requisition a DRAFT (CannotEditRequisition)
    deleteRequestRequisitionLine: ({ storeId, input }, ctx) => {
      inStore(ctx, storeId);
      const { state } = ctx;
      const line = state.requisitionLines.get(input.id);
      if (!line) return { __typename: 'DeleteRequestRequisitionLineError', error: recordNotFound() };
      const r = state.requisitions.get(line.requisitionId)!;
      if (r.storeId !== storeId) throw badUserInput('NotThisStoreRequisition');
      if (r.type !== 'REQUEST') throw badUserInput('NotARequestRequisition');
      if (r.status !== 'DRAFT')
        return typedError('DeleteRequestRequisitionLineError', 'CannotEditRequisition', 'Cannot edit requisition');
      state.requisitionLines.delete(line.id);
      state.applied.push({ mutation: 'deleteRequestRequisitionLine', id: line.id });
      return { __typename: 'DeleteResponse', id: line.id };
    },

    updateRequestRequisition: ({ storeId, input }, ctx) => {
      inStore(ctx, storeId);
      const { state } = ctx;
      const r = state.requisitions.get(input.id);
      if (!r) return { __typename: 'UpdateRequestRequisitionError', error: recordNotFound() };
      if (r.storeId !== storeId) throw badUserInput('NotThisStoreRequisition');
      if (r.type !== 'REQUEST') throw badUserInput('NotARequestRequisition');
      if (r.status !== 'DRAFT')
        return typedError('UpdateRequestRequisitionError', 'CannotEditRequisition', 'Cannot edit requisition');
      if (input.otherPartyId) {
        const other = state.visibleName(storeId, input.otherPartyId);
        if (!other)
          return typedError('UpdateRequestRequisitionError', 'OtherPartyNotVisible', 'Other party not visible');
        if (!other.isSupplier)
          return typedError('UpdateRequestRequisitionError', 'OtherPartyNotASupplier', 'Other party is not a supplier');
        r.otherPartyId = input.otherPartyId;
      }
      for (const k of [
        'comment',
        'theirReference',
        'maxMonthsOfStock',
        'minMonthsOfStock',
        'expectedDeliveryDate',
      ] as const) {
        if (input[k] !== undefined && input[k] !== null) (r as any)[k] = input[k];
      }
      if (input.status === 'SENT') {
        r.status = 'SENT';
        r.sentDatetime = state.iso();
        // the lines asking for 0 are deleted on send (request_requisition/update/generate.rs
        // empty_lines_to_trim), unless the store's preference keeps them
        for (const line of state.linesOf(r.id))
          if (line.requestedQuantity === 0) state.requisitionLines.delete(line.id);
        state.transferRequest(r);
      }
      state.applied.push({ mutation: 'updateRequestRequisition', id: r.id });
      return requisitionNode(state, r);
    },

    // a customer (response) requisition made by hand or by an integration, not by a transfer
    insertResponseRequisition: ({ storeId, input }, ctx) => {
      const user = inStore(ctx, storeId);
      const { state } = ctx;
      if (state.requisitions.has(input.id)) throw badUserInput('RequisitionAlreadyExists');
      const other = state.visibleName(storeId, input.otherPartyId);
      if (!other)
        return typedError('InsertResponseRequisitionError', 'OtherPartyNotVisible', 'Other party not visible');
      if (!other.isCustomer)
        return typedError('InsertResponseRequisitionError', 'OtherPartyNotACustomer', 'Other party is not a customer');
      const r: Requisition = {
        id: input.id,
        storeId,
        requisitionNumber: state.nextRequisitionNumber(storeId),
        type: 'RESPONSE',
        status: 'NEW',
        otherPartyId: input.otherPartyId,
        theirReference: null,
        comment: null,
        maxMonthsOfStock: input.maxMonthsOfStock,
        minMonthsOfStock: input.minMonthsOfStock,
        expectedDeliveryDate: null,
        createdDatetime: state.iso(),
        sentDatetime: null,
        finalisedDatetime: null,
        linkedRequisitionId: null,
        userId: user.id,
      };
      state.requisitions.set(r.id, r);
      state.applied.push({ mutation: 'insertResponseRequisition', id: r.id });
      return requisitionNode(state, r);
    },

    insertResponseRequisitionLine: ({ storeId, input }, ctx) => {
      inStore(ctx, storeId);
      const { state } = ctx;
      if (state.requisitionLines.has(input.id)) throw badUserInput('RequisitionLineAlreadyExists');
      const r = state.requisitions.get(input.requisitionId);
      if (!r)
        return typedError('InsertResponseRequisitionLineError', 'ForeignKeyError', 'FK error', {
          key: 'requisitionId',
        });
      if (r.storeId !== storeId) throw badUserInput('NotThisStoreRequisition');
      if (r.type !== 'RESPONSE') throw badUserInput('NotAResponseRequisition');
      if (r.status !== 'NEW')
        return typedError('InsertResponseRequisitionLineError', 'CannotEditRequisition', 'Cannot edit requisition');
      if (!state.items.has(input.itemId)) throw badUserInput('ItemDoesNotExist');
      if (state.linesOf(r.id).some((l) => l.itemId === input.itemId))
        return typedError(
          'InsertResponseRequisitionLineError',
          'RequisitionLineWithItemIdExists',
          'Requisition line with item id already exists',
        );
      const line: RequisitionLine = {
        id: input.id,
        requisitionId: r.id,
        itemId: input.itemId,
        requestedQuantity: 0,
        suggestedQuantity: 0,
        supplyQuantity: 0,
        comment: null,
        linkedLineId: null,
      };
      state.requisitionLines.set(line.id, line);
      state.applied.push({ mutation: 'insertResponseRequisitionLine', id: line.id });
      return requisitionLineNode(state, line);
    },

    updateResponseRequisitionLine: ({ storeId, input }, ctx) => {
      inStore(ctx, storeId);
      const { state } = ctx;
      const line = state.requisitionLines.get(input.id);
      if (!line) return { __typename: 'UpdateResponseRequisitionLineError', error: recordNotFound() };
      const r = state.requisitions.get(line.requisitionId)!;
      if (r.storeId !== storeId) throw badUserInput('NotThisStoreRequisition');
      if (r.type !== 'RESPONSE') throw badUserInput('NotAResponseRequisition');
      if (r.status !== 'NEW')
        return typedError('UpdateResponseRequisitionLineError', 'CannotEditRequisition', 'Cannot edit requisition');
      for (const k of ['requestedQuantity', 'supplyQuantity'] as const) {
        if (input[k] === undefined || input[k] === null) continue;
        if (input[k] < 0)
          throw badUserInput(
            k === 'supplyQuantity' ? 'SupplyQuantityCannotBeNegative' : 'RequestedQuantityCannotBeNegative',
          );
        line[k] = input[k];
      }
      if (input.comment !== undefined) line.comment = input.comment;
      state.applied.push({ mutation: 'updateResponseRequisitionLine', id: line.id });
      return requisitionLineNode(state, line);
    },

    // Open mSupply: a site may set the values of name properties the central server configured
    // (remoteEditable); the given keys are set, the others kept. Store names are names too.
    updateNameProperties: ({ storeId, input }, ctx) => {
      inStore(ctx, storeId);
      const name = ctx.state.names.get(input.id);
      if (!name) return { __typename: 'UpdateNamePropertiesError', error: recordNotFound() };
      let given: unknown;
      try {
        given = JSON.parse(input.properties ?? '{}');
      } catch {
        throw badUserInput('properties must be a JSON object string');
      }
      if (!given || typeof given !== 'object' || Array.isArray(given))
        throw badUserInput('properties must be a JSON object string');
      name.properties = { ...(name.properties ?? {}), ...(given as Record<string, unknown>) };
      ctx.state.applied.push({ mutation: 'updateNameProperties', id: name.id });
      return nameNode(ctx.state, name, storeId);
    },

    updateResponseRequisition: ({ storeId, input }, ctx) => {
      inStore(ctx, storeId);
      const { state } = ctx;
      const r = state.requisitions.get(input.id);
      if (!r) return { __typename: 'UpdateResponseRequisitionError', error: recordNotFound() };
      if (r.storeId !== storeId) throw badUserInput('NotThisStoreRequisition');
      if (r.type !== 'RESPONSE') throw badUserInput('NotAResponseRequisition');
      if (r.status !== 'NEW')
        return typedError('UpdateResponseRequisitionError', 'CannotEditRequisition', 'Cannot edit requisition');
      if (input.theirReference !== undefined && input.theirReference !== null) r.theirReference = input.theirReference;
      if (input.comment !== undefined && input.comment !== null) r.comment = input.comment;
      if (input.status === 'FINALISED') {
        r.status = 'FINALISED';
        r.finalisedDatetime = state.iso();
      }
      state.applied.push({ mutation: 'updateResponseRequisition', id: r.id });
      return requisitionNode(state, r);
    },

    invoices: ({ storeId, filter, page, type }, ctx) => {
      inStore(ctx, storeId);
      const all = [...ctx.state.invoices.values()].filter(
        (i) =>
          i.storeId === storeId &&
          (!Array.isArray(type) || type.includes(i.type)) &&
          equalOk(i.id, filter?.id) &&
          equalOk(i.type, filter?.type) &&
          equalOk(i.status, filter?.status) &&
          equalOk(i.otherPartyId, filter?.otherPartyId) &&
          equalOk(i.requisitionId, filter?.requisitionId) &&
          equalOk(i.linkedInvoiceId, filter?.linkedInvoiceId) &&
          stringOk(i.theirReference, filter?.theirReference) &&
          equalOk(i.invoiceNumber, filter?.invoiceNumber) &&
          datetimeOk(i.shippedDatetime, filter?.shippedDatetime),
      );
      return connector(
        'InvoiceConnector',
        all.sort((a, b) => a.invoiceNumber - b.invoiceNumber).map((i) => invoiceNode(ctx.state, i)),
        page,
      );
    },

    invoice: ({ storeId, id }, ctx) => {
      inStore(ctx, storeId);
      const i = ctx.state.invoices.get(id);
      return i && i.storeId === storeId
        ? invoiceNode(ctx.state, i)
        : { __typename: 'NodeError', error: recordNotFound() };
    },

    supplyRequestedQuantity: ({ storeId, input }, ctx) => {
      inStore(ctx, storeId);
      const { state } = ctx;
      const r = state.requisitions.get(input.responseRequisitionId);
      if (!r || r.storeId !== storeId) return { __typename: 'SupplyRequestedQuantityError', error: recordNotFound() };
      if (r.type !== 'RESPONSE') throw badUserInput('NotAResponseRequisition');
      if (r.status !== 'NEW')
        return typedError('SupplyRequestedQuantityError', 'CannotEditRequisition', 'Cannot edit requisition');
      const lines = state.linesOf(r.id);
      for (const l of lines) l.supplyQuantity = l.requestedQuantity;
      state.applied.push({ mutation: 'supplyRequestedQuantity', id: r.id });
      return connector(
        'RequisitionLineConnector',
        lines.map((l) => requisitionLineNode(state, l)),
      );
    },

    createRequisitionShipment: ({ storeId, input }, ctx) => {
      inStore(ctx, storeId);
      const { state } = ctx;
      const r = state.requisitions.get(input.responseRequisitionId);
      if (!r || r.storeId !== storeId) return { __typename: 'CreateRequisitionShipmentError', error: recordNotFound() };
      if (r.type !== 'RESPONSE') throw badUserInput('NotAResponseRequisition');
      if (r.status !== 'NEW')
        return typedError('CreateRequisitionShipmentError', 'CannotEditRequisition', 'Cannot edit requisition');
      let outbound;
      try {
        outbound = state.createRequisitionShipment(r.id);
      } catch (err) {
        throw badUserInput((err as Error).message);
      }
      if (!outbound)
        return typedError('CreateRequisitionShipmentError', 'NothingRemainingToSupply', 'Nothing remaining to supply');
      state.applied.push({ mutation: 'createRequisitionShipment', id: outbound.id });
      return invoiceNode(state, outbound);
    },

    updateOutboundShipment: ({ storeId, input }, ctx) => {
      inStore(ctx, storeId);
      const { state } = ctx;
      const invoice = state.invoices.get(input.id);
      if (!invoice || invoice.storeId !== storeId)
        return { __typename: 'UpdateOutboundShipmentError', error: recordNotFound() };
      if (invoice.type !== 'OUTBOUND_SHIPMENT')
        return typedError('UpdateOutboundShipmentError', 'NotAnOutboundShipmentError', 'Not an outbound shipment');
      if (input.status) {
        const order: InvoiceStatus[] = ['NEW', 'ALLOCATED', 'PICKED', 'SHIPPED'];
        if (order.indexOf(invoice.status) >= order.indexOf('SHIPPED'))
          return typedError('UpdateOutboundShipmentError', 'InvoiceIsNotEditable', 'Invoice is not editable');
        if (order.indexOf(input.status) < order.indexOf(invoice.status))
          return typedError(
            'UpdateOutboundShipmentError',
            'CannotReverseInvoiceStatus',
            'Cannot reverse invoice status',
          );
        state.moveOutbound(invoice, input.status);
      }
      if (input.theirReference !== undefined && input.theirReference !== null)
        invoice.theirReference = input.theirReference;
      state.applied.push({ mutation: 'updateOutboundShipment', id: invoice.id });
      return invoiceNode(state, invoice);
    },

    updateInboundShipment: ({ storeId, input }, ctx) => {
      inStore(ctx, storeId);
      const { state } = ctx;
      const invoice = state.invoices.get(input.id);
      if (!invoice) return { __typename: 'UpdateInboundShipmentError', error: recordNotFound() };
      if (invoice.storeId !== storeId) throw badUserInput('NotThisStoreInvoice');
      if (invoice.type !== 'INBOUND_SHIPMENT') throw badUserInput('NotAnInboundShipment');
      // backdating, judged on the shipment as it was before this update (validate.rs checks first)
      const backdate = input.receivedDatetime ?? undefined;
      const refused =
        backdate === undefined ? undefined : backdateRefusal(invoice, backdate, state.backdating, state.now());
      if (refused) throw badUserInput(refused);
      if (input.status) {
        const order: InvoiceStatus[] = ['NEW', 'SHIPPED', 'DELIVERED', 'RECEIVED', 'VERIFIED'];
        if (order.indexOf(input.status) < order.indexOf(invoice.status))
          return typedError(
            'UpdateInboundShipmentError',
            'CannotReverseInvoiceStatus',
            'Cannot reverse invoice status',
          );
        if (invoice.status === 'VERIFIED')
          return typedError('UpdateInboundShipmentError', 'CannotEditInvoice', 'Cannot edit invoice');
        state.moveInbound(invoice, input.status);
      }
      // a received shipment backdated (UpdateInboundShipmentInput.receivedDatetime); answered in UTC
      if (backdate !== undefined) invoice.receivedDatetime = new Date(backdate).toISOString();
      if (input.theirReference !== undefined && input.theirReference !== null)
        invoice.theirReference = input.theirReference;
      state.applied.push({ mutation: 'updateInboundShipment', id: invoice.id });
      return invoiceNode(state, invoice);
    },

    updateInboundShipmentLine: ({ storeId, input }, ctx) => {
      inStore(ctx, storeId);
      const { state } = ctx;
      const line = state.invoiceLines.get(input.id);
      if (!line) return { __typename: 'UpdateInboundShipmentLineError', error: recordNotFound() };
      const invoice = state.invoices.get(line.invoiceId)!;
      if (invoice.storeId !== storeId) throw badUserInput('NotThisStoreInvoice');
      if (invoice.type !== 'INBOUND_SHIPMENT')
        return typedError('UpdateInboundShipmentLineError', 'NotAnInboundShipment', 'Not an inbound shipment');
      // a transferred shipment is edited once its arrival is confirmed (DELIVERED). A RECEIVED one
      // still takes edits, its stock line following them, until it is VERIFIED (invoice/validate.rs
      // check_invoice_is_editable: inbound editable NEW, SHIPPED, DELIVERED, RECEIVED; CannotEditFinalised
      // is answered CannotEditInvoice), unless the received stock was used since (BatchIsReserved:
      // stock_in_line/validate.rs check_batch, the line's packs no longer the batch's available packs)
      if (!['NEW', 'DELIVERED', 'RECEIVED'].includes(invoice.status))
        return typedError('UpdateInboundShipmentLineError', 'CannotEditInvoice', 'Cannot edit invoice');
      const batch = line.stockLineId ? state.stockLines.get(line.stockLineId) : undefined;
      if (batch && batch.availableNumberOfPacks !== line.numberOfPacks)
        return typedError('UpdateInboundShipmentLineError', 'BatchIsReserved', 'Batch is reserved');
      if (input.numberOfPacks !== undefined && input.numberOfPacks !== null) {
        if (input.numberOfPacks < 0) throw badUserInput('NumberOfPacksBelowZero');
        if (batch) state.receivedAgain(batch, input.numberOfPacks - line.numberOfPacks);
        line.numberOfPacks = input.numberOfPacks;
      }
      if (input.batch !== undefined && input.batch !== null) line.batch = input.batch;
      if (input.expiryDate) line.expiryDate = input.expiryDate.value ?? null;
      state.applied.push({ mutation: 'updateInboundShipmentLine', id: line.id });
      return invoiceLineNode(state, line);
    },

    reasonOptions: ({ filter, page }, ctx) => {
      userOf(ctx);
      const all = ctx.state.adjustmentReasons.filter(
        (r) => equalOk(r.id, filter?.id) && equalOk(r.type, filter?.type) && boolOk(r.isActive, filter?.isActive),
      );
      return connector(
        'ReasonOptionConnector',
        all.map((r) => ({ __typename: 'ReasonOptionNode', ...r })),
        page,
      );
    },

    ledger: ({ storeId, filter }, ctx) => {
      inStore(ctx, storeId);
      const rows = ledgerRows(ctx.state, storeId, filter);
      return { __typename: 'LedgerConnector', totalCount: rows.length, nodes: rows };
    },

    stockLines: ({ storeId, filter, page }, ctx) => {
      inStore(ctx, storeId);
      const all = [...ctx.state.stockLines.values()].filter(
        (l) =>
          l.storeId === storeId &&
          equalOk(l.id, filter?.id) &&
          equalOk(l.itemId, filter?.itemId) &&
          (filter?.hasPacksInStore === undefined ||
            filter.hasPacksInStore === null ||
            l.totalNumberOfPacks > 0 === filter.hasPacksInStore) &&
          (filter?.isAvailable === undefined ||
            filter.isAvailable === null ||
            l.availableNumberOfPacks > 0 === filter.isAvailable),
      );
      return connector(
        'StockLineConnector',
        all.map((l) => stockLineNode(ctx.state, l)),
        page,
      );
    },

    stocktakes: ({ storeId, filter, page }, ctx) => {
      inStore(ctx, storeId);
      const all = [...ctx.state.stocktakes.values()].filter(
        (x) => x.storeId === storeId && equalOk(x.id, filter?.id) && equalOk(x.status, filter?.status),
      );
      return connector(
        'StocktakeConnector',
        all.map((x) => stocktakeNode(ctx.state, x)),
        page,
      );
    },

    insertStocktake: ({ storeId, input }, ctx) => {
      inStore(ctx, storeId);
      const { state } = ctx;
      if (state.stocktakes.has(input.id)) throw badUserInput('StocktakeAlreadyExists');
      // the sandbox makes blank stocktakes only (createBlankStocktake); lines are inserted one by one
      const stocktake: Stocktake = {
        id: input.id,
        storeId,
        stocktakeNumber: 1 + [...state.stocktakes.values()].filter((x) => x.storeId === storeId).length,
        status: 'NEW',
        description: input.description ?? null,
        comment: input.comment ?? null,
        createdDatetime: state.iso(),
        finalisedDatetime: null,
      };
      state.stocktakes.set(stocktake.id, stocktake);
      state.applied.push({ mutation: 'insertStocktake', id: stocktake.id });
      return stocktakeNode(state, stocktake);
    },

    insertStocktakeLine: ({ storeId, input }, ctx) => {
      inStore(ctx, storeId);
      const { state } = ctx;
      if (state.stocktakeLines.has(input.id)) throw badUserInput('StocktakeLineAlreadyExists');
      const stocktake = state.stocktakes.get(input.stocktakeId);
      if (!stocktake || stocktake.storeId !== storeId) throw badUserInput('StocktakeDoesNotExist');
      if (stocktake.status !== 'NEW')
        return typedError('InsertStocktakeLineError', 'CannotEditStocktake', 'Cannot edit stocktake');
      if (
        input.countedNumberOfPacks !== undefined &&
        input.countedNumberOfPacks !== null &&
        input.countedNumberOfPacks < 0
      )
        throw badUserInput('CountedQuantityBelowZero');
      let line: StocktakeLine;
      if (input.stockLineId) {
        const stock = state.stockLines.get(input.stockLineId);
        if (!stock || stock.storeId !== storeId) throw badUserInput('StockLineDoesNotExist');
        if (state.stocktakeLinesOf(stocktake.id).some((l) => l.stockLineId === stock.id))
          throw badUserInput('StockLineAlreadyExistsInStocktake');
        line = {
          id: input.id,
          stocktakeId: stocktake.id,
          itemId: stock.itemId,
          stockLineId: stock.id,
          // the line's own batch, expiry and pack size are the input's, none unless given
          // (stocktake_line/insert/generate.rs): finalise falls back to the stock line's
          batch: input.batch ?? null,
          expiryDate: input.expiryDate ?? null,
          packSize: input.packSize ?? null,
          snapshotNumberOfPacks: stock.totalNumberOfPacks,
          countedNumberOfPacks: input.countedNumberOfPacks ?? null,
          reasonOptionId: null,
          more: stocktakeLineMore(input),
        };
      } else {
        const item = input.itemId ? state.items.get(input.itemId) : undefined;
        // InsertStocktakeLineError::ItemDoesNotExist, a "Bad user input"; no visibility check either
        if (!item) throw badUserInput('ItemDoesNotExist');
        line = {
          id: input.id,
          stocktakeId: stocktake.id,
          itemId: item.id,
          stockLineId: null,
          batch: input.batch ?? null,
          expiryDate: input.expiryDate ?? null,
          packSize: input.packSize ?? item.defaultPackSize,
          snapshotNumberOfPacks: 0,
          countedNumberOfPacks: input.countedNumberOfPacks ?? null,
          reasonOptionId: null,
          more: stocktakeLineMore(input),
        };
      }
      const badLocation = refusedLocation(state, storeId, line.itemId, input);
      if (badLocation) throw badUserInput(badLocation);
      const change = (line.countedNumberOfPacks ?? line.snapshotNumberOfPacks) - line.snapshotNumberOfPacks;
      if (change !== 0) {
        const direction = change > 0 ? 'POSITIVE_INVENTORY_ADJUSTMENT' : 'NEGATIVE_INVENTORY_ADJUSTMENT';
        const active = state.adjustmentReasons.filter((r) => r.isActive && r.type === direction);
        // reasonOptionId, or the deprecated inventoryAdjustmentReasonId older clients send
        const givenId = input.reasonOptionId ?? input.inventoryAdjustmentReasonId;
        const given = givenId ? state.adjustmentReasons.find((r) => r.id === givenId) : undefined;
        if (givenId && (!given || !given.isActive || given.type !== direction))
          return typedError('InsertStocktakeLineError', 'AdjustmentReasonNotValid', 'Adjustment reason is not valid');
        if (!given && active.length)
          return typedError(
            'InsertStocktakeLineError',
            'AdjustmentReasonNotProvided',
            'Adjustment reason not provided',
          );
        line.reasonOptionId = given?.id ?? null;
      }
      const badSource = refusedSource(state, storeId, input);
      if (badSource) throw badUserInput(badSource);
      state.stocktakeLines.set(line.id, line);
      state.applied.push({ mutation: 'insertStocktakeLine', id: line.id });
      return stocktakeLineNode(state, line);
    },

    /**
     * msupply-foundation/open-msupply server/service/src/stocktake_line/update (validate.rs,
     * generate.rs): fields left out keep their value; a counted quantity is checked against the
     * line's existing snapshot (SnapshotCountCurrentCountMismatchLine when the stock moved since), so
     * a client brings a stale line up to date with the snapshot first, then the count.
     */
    updateStocktakeLine: ({ storeId, input }, ctx) => {
      inStore(ctx, storeId);
      const { state } = ctx;
      const line = state.stocktakeLines.get(input.id);
      if (!line) throw badUserInput('StocktakeLineDoesNotExist');
      const stocktake = state.stocktakes.get(line.stocktakeId)!;
      if (stocktake.status !== 'NEW')
        return typedError('UpdateStocktakeLineError', 'CannotEditStocktake', 'Cannot edit stocktake');
      if (stocktake.storeId !== storeId) throw badUserInput('InvalidStore');
      const badLocation = refusedLocation(state, storeId, line.itemId, input);
      if (badLocation) throw badUserInput(badLocation);
      const counted = input.countedNumberOfPacks ?? undefined;
      if (counted !== undefined && counted < 0) throw badUserInput('CountedQuantityBelowZero');
      const change = counted === undefined ? 0 : counted - line.snapshotNumberOfPacks;
      const givenId = input.reasonOptionId ?? input.inventoryAdjustmentReasonId;
      if (change !== 0) {
        const direction = change > 0 ? 'POSITIVE_INVENTORY_ADJUSTMENT' : 'NEGATIVE_INVENTORY_ADJUSTMENT';
        const given = givenId ? state.adjustmentReasons.find((r) => r.id === givenId) : undefined;
        if (givenId && (!given || !given.isActive || given.type !== direction))
          return typedError('UpdateStocktakeLineError', 'AdjustmentReasonNotValid', 'Adjustment reason is not valid');
        if (!given && state.adjustmentReasons.some((r) => r.isActive && r.type === direction))
          return typedError(
            'UpdateStocktakeLineError',
            'AdjustmentReasonNotProvided',
            'Adjustment reason not provided',
          );
      }
      const stock = line.stockLineId ? state.stockLines.get(line.stockLineId) : undefined;
      if (counted !== undefined && stock && stock.totalNumberOfPacks !== line.snapshotNumberOfPacks)
        return typedError(
          'UpdateStocktakeLineError',
          'SnapshotCountCurrentCountMismatchLine',
          'Snapshot count does not match current count.',
        );
      const badSource = refusedSource(state, storeId, input);
      if (badSource) throw badUserInput(badSource);
      const updated: StocktakeLine = {
        ...line,
        snapshotNumberOfPacks: input.snapshotNumberOfPacks ?? line.snapshotNumberOfPacks,
        countedNumberOfPacks: counted ?? line.countedNumberOfPacks,
        // the line's own pack size, kept if not given (stocktake_line/update/generate.rs)
        packSize: input.packSize ?? line.packSize,
        reasonOptionId: givenId ?? line.reasonOptionId,
        // its batch (a String) and expiry (a NullableDateUpdate), kept if not given, and the rest
        batch: input.batch ?? line.batch,
        expiryDate: input.expiryDate ? (input.expiryDate.value ?? null) : line.expiryDate,
        more: moreUpdated(line.more, input),
      };
      state.stocktakeLines.set(line.id, updated);
      state.applied.push({ mutation: 'updateStocktakeLine', id: line.id });
      return stocktakeLineNode(state, updated);
    },

    updateStocktake: ({ storeId, input }, ctx) => {
      inStore(ctx, storeId);
      const { state } = ctx;
      const stocktake = state.stocktakes.get(input.id);
      if (!stocktake || stocktake.storeId !== storeId) throw badUserInput('StocktakeDoesNotExist');
      if (stocktake.status !== 'NEW')
        return typedError('UpdateStocktakeError', 'CannotEditStocktake', 'Cannot edit stocktake');
      if (input.comment !== undefined && input.comment !== null) stocktake.comment = input.comment;
      if (input.description !== undefined && input.description !== null) stocktake.description = input.description;
      if (input.stocktakeDate !== undefined && input.stocktakeDate !== null) {
        // a NaiveDate scalar: a calendar day, no time
        if (!/^\d{4}-\d{2}-\d{2}$/.test(input.stocktakeDate) || Number.isNaN(Date.parse(input.stocktakeDate)))
          throw badUserInput(`stocktakeDate: invalid NaiveDate ${input.stocktakeDate}`);
        stocktake.stocktakeDate = input.stocktakeDate;
      }
      if (input.status === 'FINALISED') {
        // a status change with no lines is BadUserInput (update/validate.rs NoLines, mapped in
        // graphql/stocktake/src/mutations/update.rs as "Update stocktake {id}: NoLines")
        if (!state.stocktakeLinesOf(stocktake.id).length)
          throw badUserInput(`Update stocktake ${stocktake.id}: NoLines`);
        const { reducedBelowZero, mismatched } = state.finaliseStocktake(stocktake);
        if (mismatched.length)
          return typedError(
            'UpdateStocktakeError',
            'SnapshotCountCurrentCountMismatch',
            "Snapshot count doesn't match the current stock count",
            {
              lines: mismatched.map((l) => ({
                __typename: 'SnapshotCountCurrentCountMismatchLine',
                // graphql/types/src/types/stocktake_line errors: SnapshotCountCurrentCountMismatchLine
                description: 'Snapshot count does not match current count.',
                stocktakeLine: stocktakeLineNode(state, l),
              })),
            },
          );
        if (reducedBelowZero.length) {
          return typedError('UpdateStocktakeError', 'StockLinesReducedBelowZero', 'Stock lines reduced below zero', {
            errors: reducedBelowZero.map((l) => ({
              __typename: 'StockLineReducedBelowZero',
              description: 'Stock line reduced below zero',
              stockLine: stockLineNode(state, l),
            })),
          });
        }
      }
      state.applied.push({ mutation: 'updateStocktake', id: stocktake.id });
      return stocktakeNode(state, stocktake);
    },
  };
}

/** The root value: the implemented resolvers, and for every other field a clear refusal. */
export function rootValue(): Record<string, unknown> {
  const implemented = rootResolvers();
  return new Proxy(implemented, {
    get(target, field) {
      if (typeof field !== 'string' || field in target) return (target as any)[field];
      return () => {
        throw new GraphQLError(`the Open mSupply sandbox does not implement ${field}`);
      };
    },
  });
}
