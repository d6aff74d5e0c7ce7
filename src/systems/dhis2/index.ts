import type { Connector } from '../../routing/ports.js';
import { createDhis2Client, type Dhis2ClientOptions } from './client.js';
import { DHIS2, makeDhis2Error } from './errors.js';
import { asRecord, malformedAnswer } from '../../upstream/errors.js';
import { createFacilityCapability, createOrgUnitReader } from './facilities.js';
import { OrgUnitLists } from './org-unit-lists.js';
import { loadDhis2Products } from './products.js';
import { dhis2SettingsFrom, type Dhis2Settings } from './settings.js';
import { createConsignmentCapability, parseConsignmentElements, type ConsignmentProgram } from './consignments.js';
import { createStockCapability, orgUnitResolver } from './stock.js';
import type { PeriodLock } from './period-lock.js';
import { createReceiptFeed, type ReceiptFeed } from './receipts.js';
import { loadUseCase, type RtsUseCase } from './rts.js';
import { createRequisitionOrders } from './requisition-orders.js';
import { zeroSetupCheck } from './zero-check.js';
import { settingsChanged } from '../settings-changed.js';
import {
  createRequisitionFeed,
  parseRequisitionProgram,
  type RequisitionFeed,
  type RequisitionProgram,
} from './requisitions.js';

/**
 * The DHIS2 connector the router uses (DESIGN §3): one client (version learnt once), org units as
 * Locations, stock reports as aggregate data values; settings and mappings applied live on reconfigure.
 */
export interface Dhis2ConnectorOptions extends Dhis2ClientOptions {
  /** Registry (MFR) id → DHIS2 org unit UID, from the crosswalk. */
  crosswalk?: (registryId: string) => Promise<string | undefined>;
  /** Whether the crosswalk links this org unit UID to a registry facility (or holds the pair for review). */
  linked?: (uid: string) => Promise<boolean>;
  /** The store's lock of an org unit and period across instances (period-lock.ts); without it, one process's turn. */
  periodLock?: PeriodLock;
}

/** The DHIS2 connector with what only DHIS2 has: the facilities' requisitions a bridge reads. */
export interface Dhis2Connector extends Connector {
  /** Completed requisition events (dhis2.requisitionProgram); absent when no program is configured. */
  requisitions?: RequisitionFeed;
  /** Consignments the facilities completed, and their stock written back to RTS; absent without a consignment program. */
  receipts?: ReceiptFeed;
  /**
   * The server's zone (`serverTimeZoneId`), whose wall time the feeds' times and marks are in, asked
   * again (reused ZONE_REUSE_MS): DHIS2 restarted in another zone while the mediator ran on. The
   * zone the process asked first is no connector's answer: a caller using it read hours off.
   */
  serverZoneNow(): Promise<string>;
  /** DHIS2's own clock, as its latest system/info answer gave it (undefined without `serverDate`). */
  serverNow(): Promise<number | undefined>;
}

/** Two parsed program settings alike (the same UIDs): the capabilities built on them can stay. */
const sameProgram = (a: unknown, b: unknown): boolean =>
  JSON.stringify(a, (_k, v: unknown) => (v instanceof Map ? [...v] : v)) ===
  JSON.stringify(b, (_k, v: unknown) => (v instanceof Map ? [...v] : v));

export function createDhis2Connector(
  settings: Record<string, unknown>,
  opts: Dhis2ConnectorOptions = {},
): Dhis2Connector {
  let current: Dhis2Settings = dhis2SettingsFrom(settings);
  const client = createDhis2Client(() => current, opts);
  const orgUnits = createOrgUnitReader(client);
  const orgUnitLists = new OrgUnitLists(client);
  let products = loadDhis2Products(settings);
  const consignmentsOf = (s: Dhis2Settings): ConsignmentProgram | undefined =>
    s.consignmentProgram
      ? parseConsignmentElements(s.consignmentProgram, s.consignmentStage, s.consignmentDataElements)
      : undefined;
  let consignments = consignmentsOf(current);
  const requisitionsOf = (s: Dhis2Settings): RequisitionProgram | undefined =>
    s.requisitionProgram
      ? parseRequisitionProgram(s.requisitionProgram, s.requisitionStage, s.requisitionDataElements)
      : undefined;
  let requisitions = requisitionsOf(current);
  let useCase: { program: string; value: Promise<RtsUseCase> } | undefined;
  const rtsUseCase = (): Promise<RtsUseCase> | undefined => {
    const program = current.rtsProgram;
    if (!program) return undefined;
    if (useCase?.program !== program) {
      const value = loadUseCase(client, program);
      const entry = { program, value };
      // a failed read is tried again next time
      value.catch(() => {
        if (useCase === entry) useCase = undefined;
      });
      useCase = entry;
    }
    return useCase.value;
  };
  // the program capabilities follow the settings live: adding dhis2.consignmentProgram (or the
  // requisition program) serves SupplyDelivery at once, removing it stops serving it; routing and
  // the bridges read them from the connector at each use (main.ts rebuilds the services after a change)
  const resolveOrgUnit = orgUnitResolver(orgUnits, opts.crosswalk);
  const consignmentCapabilities = (c: ConsignmentProgram | undefined) => ({
    deliveries:
      c &&
      createConsignmentCapability({
        client,
        reader: orgUnits,
        products: () => products,
        resolveOrgUnit,
        program: () => c,
      }),
    receipts:
      c &&
      createReceiptFeed({
        client,
        reader: orgUnits,
        products: () => products,
        consignments: () => c,
        useCase: rtsUseCase,
      }),
  });
  const requisitionCapabilities = (r: RequisitionProgram | undefined) => ({
    feed: r && createRequisitionFeed({ client, reader: orgUnits, products: () => products, program: () => r }),
    // the same events as SupplyRequests, read only (routing takes them as no order writer)
    orders:
      r &&
      createRequisitionOrders({
        client,
        reader: orgUnits,
        products: () => products,
        program: () => r,
        crosswalk: opts.crosswalk,
      }),
  });
  let consigned = consignmentCapabilities(consignments);
  let requisitioned = requisitionCapabilities(requisitions);
  return {
    system: DHIS2,
    facilities: createFacilityCapability(client, orgUnits, {
      crosswalk: opts.crosswalk,
      linked: opts.linked,
      lists: orgUnitLists,
    }),
    stock: createStockCapability({
      client,
      reader: orgUnits,
      products: () => products,
      crosswalk: opts.crosswalk,
      periodLock: opts.periodLock,
    }),
    /** Consignments (received deliveries) as events of dhis2.consignmentProgram; absent without one. */
    get deliveries() {
      return consigned.deliveries;
    },
    get requisitions() {
      return requisitioned.feed;
    },
    /** RTS requisitions (dhis2.requisitionProgram) as SupplyRequests, read only; absent without the program. */
    get orders() {
      return requisitioned.orders;
    },
    get receipts() {
      return consigned.receipts;
    },
    async ping() {
      // /api/me answers for any valid credential: the documented way to test them
      const me = await client.call({ method: 'GET', path: '/api/me', query: { fields: 'id,username' }, retry: false });
      // a gateway's page answered 200 ({"message": "maintenance"}) is no DHIS2 that answers: the
      // outbox charges a held write only while this passes (Outbox systemAnswers)
      if (typeof asRecord(me)?.id !== 'string')
        throw malformedAnswer(DHIS2, "GET /api/me answered without the user's id", makeDhis2Error);
      await client.version();
    },
    checkSetup: zeroSetupCheck(
      client,
      () => products,
      () => current.stockTarget === 'aggregate',
    ),
    reconfigure(next: Record<string, unknown>) {
      // parse and load first: a bad setting or mapping file leaves the running configuration untouched
      const parsed = dhis2SettingsFrom(next);
      const nextConsignments = consignmentsOf(parsed);
      const nextRequisitions = requisitionsOf(parsed);
      products = loadDhis2Products(next);
      // an unchanged program keeps its capability objects (a bridge run holding one goes on)
      if (!sameProgram(consignments, nextConsignments)) consigned = consignmentCapabilities(nextConsignments);
      if (!sameProgram(requisitions, nextRequisitions)) requisitioned = requisitionCapabilities(nextRequisitions);
      consignments = nextConsignments;
      requisitions = nextRequisitions;
      useCase = undefined;
      const changed = settingsChanged(current, parsed);
      current = parsed;
      if (!changed) return; // another system's setting: the login and org units stay good
      client.reconfigure(current);
      orgUnits.clear();
      orgUnitLists.clear();
    },
    serverZoneNow: () => client.serverZoneNow(),
    serverNow: () => client.serverNow(),
    close: () => client.close(),
  };
}

export { createDhis2Client } from './client.js';
export type { RequisitionFeed, RequisitionPage } from './requisitions.js';
export type { ReceiptFeed } from './receipts.js';
export { dhis2SettingsFrom } from './settings.js';
export { storePeriodLock } from './period-lock.js';
