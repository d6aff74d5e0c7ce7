import type { Delivery, Facility, Order, StockReport } from '../domain/index.js';
import type { MediatorError } from '../domain/errors.js';
import type { Page, SearchCriteria, WriteResult } from '../routing/ports.js';
import type { EntryAnswer, TransactionEntries } from '../store/types.js';

/**
 * What the FHIR edge needs behind each flow, in domain terms. Routing implements these over the
 * connectors and the outbox; tests may implement them in memory. The edge never sees a system.
 */
export interface WriteContext {
  /** 'create' = POST (server-assigned ids), 'update' = PUT (client-chosen ids). */
  mode: 'create' | 'update';
  /** The OpenHIM transaction id, when routed through OpenHIM (for audit, not idempotency). */
  transactionId?: string;
  /** Who sent it (the authenticated client), for the audit trail. */
  actor?: string;
  /**
   * An update: the resource as its system holds it now, as the edge just read it (`value`
   * undefined: there is none), so routing need not ask the upstream a second time.
   */
  current?: { value: unknown };
  /** A batch entry through OpenHIM: its row of the Bundle's entry map, recorded with the write (store v24). */
  entries?: TransactionEntries;
  /**
   * When the reads this write rests on began (performance.now()): the edge's read of what a
   * change is made to, a batch's start. Its checks end within their bound counted from then
   * (FhirServices.checked), not a bound of their own after them. Undefined: when the write began.
   */
  checksSince?: number;
}

export interface WriteOutcome<T> {
  /** created → 201, updated → 200, accepted → 202 (queued, will retry), unchanged → 200 (duplicate). */
  status: 'created' | 'updated' | 'accepted' | 'unchanged';
  value: T;
  upstream?: WriteResult;
  /** Why a write is only accepted (the transient upstream failure), for the 202 OperationOutcome. */
  message?: string;
}

export interface FlowService<T> {
  /** Read by FHIR id. For orders and deliveries the id is a line id: return the whole object. */
  read(id: string): Promise<T | undefined>;
  search(criteria: SearchCriteria): Promise<Page<T>>;
  write(value: T, context: WriteContext): Promise<WriteOutcome<T>>;
  /**
   * Whether the resource read under this id is what its system of record holds, i.e. no write to
   * it is still queued or was given up. Absent: always (the service is its own system of record).
   */
  settled?(id: string): Promise<boolean>;
  /**
   * Why this flow takes no writes with the systems configured now (only systems that read it
   * serve it: DHIS2 RTS requisitions), for the CapabilityStatement; undefined when it does.
   */
  readOnly?(): string | undefined;
}

/**
 * A Bundle through OpenHIM with more than one entry: how its entries are answered, recorded with
 * its writes for the transaction's update (store v24, src/store/transaction-entries.ts).
 */
export interface BundleEntries {
  transactionId: string;
  /** How many entries the Bundle has. */
  count: number;
  /** Entries answered without a write, each as it was answered. */
  answered: { entry: number; answer: EntryAnswer }[];
}

/** One write of a transaction Bundle, as the edge hands it over. */
export interface PlannedWrite {
  flow: Flow;
  value: unknown;
  context: WriteContext;
  /** The Bundle entries this write answers, each with its answer once delivered (BundleEntries). */
  entries?: { entry: number; answer: EntryAnswer }[];
  /** The same error with its expressions as FHIRPaths of this write's Bundle entries. */
  posted?: (err: unknown) => unknown;
}

export interface FhirServices {
  facilities?: FlowService<Facility>;
  orders?: FlowService<Order>;
  deliveries?: FlowService<Delivery>;
  stock?: FlowService<StockReport>;
  /**
   * The writes of a transaction Bundle accepted together: recorded durably all at once or not at
   * all, then delivered. A refusal is thrown through the refused write's `posted`.
   */
  writeAll(writes: PlannedWrite[], bundle?: BundleEntries): Promise<WriteOutcome<unknown>[]>;
  /**
   * The checks `writeAll` makes before recording anything, for a transaction refused already for
   * another entry: nothing is recorded or sent; each refusal returned through its write's
   * `posted`. Absent: nothing more is checked (services in memory).
   */
  checkAll?(writes: PlannedWrite[]): Promise<MediatorError[]>;
  /**
   * Runs `fn` while no other call naming any of these names runs, on any instance: a conditional
   * update's read, If-Match check and write (a PUT: its resource; a transaction: every resource
   * its conditional entries change), so two updates from one version cannot both pass the check.
   * Absent: the caller runs `fn` as it is (services in memory, one client at a time).
   */
  exclusively?<T>(names: string[], fn: () => Promise<T>): Promise<T>;
  /**
   * The edge's reads before a write (the resource as its system holds it now, which a change is
   * made to) within the bound of the write's checks counted from `since` (WriteContext.checksSince):
   * a 504 naming the system waited on when they outlast it, nothing recorded. Absent: as they are.
   */
  checked?<T>(reads: () => Promise<T>, since: number): Promise<T>;
  /**
   * A batch's read entry within what is left of the batch's time from `since` (its writes'
   * checks' bound plus the deadline, WriteBudget.answered): a 504 naming the system waited on
   * when it outlasts it. Absent: as it is.
   */
  answered?<T>(reads: () => Promise<T>, since: number): Promise<T>;
  /**
   * Records how a batch Bundle's entries were answered (store v24), once it is answered: the rows
   * its writes recorded stay. Absent: nothing to tell OpenHIM (services in memory).
   */
  recordEntries?(entries: TransactionEntries): Promise<void>;
}

export type Flow = keyof Omit<
  FhirServices,
  'writeAll' | 'checkAll' | 'exclusively' | 'recordEntries' | 'checked' | 'answered'
>;

/** Which systems can serve each flow, for the "configure X" OperationOutcome. */
export const systemsForFlow: Record<Flow, string[]> = {
  facilities: ['the master facility registry', 'openlmis', 'dhis2', 'msupply', 'openmrs'],
  orders: ['openlmis', 'msupply', 'openmrs'],
  deliveries: ['openlmis', 'msupply', 'openmrs', 'dhis2 (consignments)'],
  stock: ['openlmis', 'msupply', 'openmrs', 'dhis2'],
};
