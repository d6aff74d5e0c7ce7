import type { Delivery, Facility, InstantRange, Order, StockReport } from '../domain/index.js';
import type { FacilityKind } from '../domain/facility.js';
import type { Issue } from '../domain/errors.js';

/**
 * What the router needs from a system. A connector implements the capabilities its system has;
 * a missing capability means "this system does not serve that flow". Connectors never see FHIR.
 */

/** Search criteria shared by the read side, already decoded from FHIR search parameters. */
export interface SearchCriteria {
  ids?: string[];
  identifier?: { system?: string; value: string };
  name?: string;
  /**
   * Only records of this kind. Set by the mediator's own area look-ups (registry/propagation/areas.ts),
   * never by the FHIR edge: a system whose searches list only facilities (OpenMRS, by location tag)
   * lists its areas when asked for them. One that lists both may ignore it.
   */
  kind?: FacilityKind;
  status?: string;
  partOf?: string;
  facility?: string;
  basedOn?: string;
  /**
   * The resource's business date (authoredOn, reportedDateTime …) must lie in every range; plain
   * instants, already decoded from FHIR's prefixes at the edge (see domain/instant-range.ts).
   */
  date?: InstantRange[];
  lastUpdated?: InstantRange[];
  type?: string;
  item?: { system?: string; code: string };
  supplier?: string;
  /**
   * Only one page is wanted (set by the edge when it can page this way: one system searched, no
   * sort, no offset). A connector that can page upstream answers at most `count` items, marks the
   * page `paged` and gives the cursor of the next one; one that cannot ignores this and answers
   * every match, which the edge then pages itself.
   */
  page?: PageRequest;
}

export interface PageRequest {
  count: number;
  /** A `next` a previous page of the same search gave; absent for the first page. */
  cursor?: string;
}

/**
 * Every match of a search, which the FHIR layer filters at the edge, sorts and pages; or, when the
 * connector paged upstream (`paged`), one page of them with the cursor of the next.
 */
export interface Page<T> {
  items: T[];
  paged?: boolean;
  /** Cursor of the next page (opaque to everyone but the connector); absent on the last page. */
  next?: string;
  /** Every match, when the upstream says (DHIS2's pager.total); absent when unknown. */
  total?: number;
  /**
   * Systems that could not answer the search as asked (stock without a location) while others
   * did: what each needs. The answer is then not every match, and the client is told so.
   */
  leftOut?: Issue[];
}

/**
 * A durable record of the steps of a multi-step upstream write (initiate → fill → submit).
 * `run` returns the stored result of a step that already completed (after a crash or a retry)
 * and otherwise runs it and stores its result before returning, so no completed step repeats.
 */
export interface StepJournal {
  run<T>(step: string, action: () => Promise<T>): Promise<T>;
  /** A stable key for this write, to send as the upstream Idempotency-Key where supported. */
  readonly idempotencyKey: string;
}

/** The upstream ids a write produced, reported back to the client and stored in the outbox. */
export interface WriteResult {
  system: string;
  /** Upstream object ids by kind, e.g. { requisition: 'uuid' }. */
  ids: Record<string, string>;
  /** The domain object as the upstream now holds it, when cheap to know. */
  status?: string;
}

/**
 * Prechecks: a write capability's `precheck(value)` throws what its write would refuse that is
 * knowable without writing (references that do not resolve, products outside the program, units,
 * lengths the system cannot keep, read-only upstream checks such as stock going negative), and
 * writes nothing. Routing runs it for every write of a transaction before the outbox records any
 * of them, so one bad entry leaves the upstream and the store untouched. `earlier` are the writes
 * of the same flow before it in the Bundle, to be checked as if already applied (two stock
 * subtractions that only together go negative). The write itself checks again: things may change
 * in between.
 */
/** What registry propagation changes on a system's facility record. */
export type FacilityField = 'name' | 'status' | 'position' | 'parent' | 'type' | 'code';

export interface FacilityCapability {
  get(id: string): Promise<Facility | undefined>;
  search(criteria: SearchCriteria): Promise<Page<Facility>>;
  /** Create or update (by source id or code) for registry propagation. */
  upsert?(facility: Facility, journal: StepJournal): Promise<WriteResult>;
  /**
   * What `upsert` finds this facility's record by (OpenLMIS: its code; DHIS2: its UID), as one
   * string: two writes with the same key write the same record, whatever FHIR id each came under
   * (a POST by code, a PUT by the system's id). The outbox delivers them in the order accepted
   * (outbox_jobs.order_key); undefined when the facility names no record the upsert could find.
   */
  writeKey?(facility: Facility): string | undefined;
  /**
   * Every facility, for reconciliation. `signal` ends its reads (the reconcile job stopped): a
   * system that does not answer would otherwise hold the job's stop until the connector's timeout.
   */
  listAll?(signal?: AbortSignal): Promise<Facility[]>;
  /**
   * Fields this system cannot keep, each with why (Open mSupply names have no coordinates): a
   * registry change to one of them is reported per field by propagation, never silently dropped.
   */
  cannotKeep?: Partial<Record<FacilityField, string>>;
  /** Why `upsert` is missing, when the system could take facilities but its API does not let an integration write them. */
  readOnlyReason?: string;
  /** Why `upsert` can update a record but not create one (Open mSupply: names are created centrally). */
  cannotCreate?: string;
  /**
   * Why a new record needs a parent area (OpenLMIS: a geographic zone; DHIS2: a parent org unit):
   * propagation holds the create of a facility whose registry parent is not published yet, and
   * plans it again once the registry publishes that jurisdiction.
   */
  createNeedsParent?: string;
}

/**
 * Why a system's orders are only read through the mediator (raised in the system itself, as
 * DHIS2 RTS requisitions are on the facility's device), and which orders are its own, so a change
 * of one is refused with that reason instead of being routed to another system.
 */
export interface ReadOnlyOrders {
  reason: string;
  holds(order: Order): boolean;
}

export interface OrderCapability {
  /**
   * `listed`: the id is behind a link a search or write recorded (RoutedFlow's read through a
   * link), so the connector may look further for it than for any id (Open mSupply: through a
   * supplying store's copy), at a cost a read of an unknown id must not pay.
   */
  get(id: string, listed?: boolean): Promise<Order | undefined>;
  search(criteria: SearchCriteria): Promise<Page<Order>>;
  /**
   * The order as first written. A read-only capability (`readOnly` set) refuses it with its
   * reason; routing never routes a write to one. (Kept a required member rather than an optional
   * one so every caller of a writing connector's `orders.submit` needs no undefined check.)
   */
  submit(order: Order, journal: StepJournal): Promise<WriteResult>;
  /** Set when the system's orders are only read here: routing does not take it as an order writer. */
  readOnly?: ReadOnlyOrders;
  /** Everything `submit` would refuse that can be known without writing (see Prechecks). */
  precheck?(order: Order, earlier?: Order[]): Promise<void>;
  /**
   * A change of an order already written (`order.revision` set): its lines as they now are.
   * Applies once and never over a newer revision; refused (409) once the upstream no longer
   * lets the order change, naming the upstream state.
   */
  amend?(order: Order, journal: StepJournal): Promise<WriteResult>;
  /** The cancellation of an order already written (status cancelled): deleted or withdrawn as the upstream allows. */
  cancel?(order: Order, journal: StepJournal): Promise<WriteResult>;
  /** What `amend` or `cancel` would refuse now (the upstream state forbids it), read only. */
  precheckChange?(order: Order): Promise<void>;
  /**
   * Ids the order read from upstream object `upstreamId` was served under before and is no
   * longer (an Open mSupply warehouse's copy of an order, before it read as the order), each to
   * the line id it has now: a read by one is redirected there, not answered 404.
   */
  formerIds?(upstreamId: string, order: Order): Map<string, string>;
  /**
   * What an id of formerIds was, as a phrase following it ("was …"), which the id it has now
   * follows: the 301 to that id says what happened, not that it is a system's own id.
   */
  formerIdsWhy?: string;
}

export interface DeliveryCapability {
  /** `listed`: as for OrderCapability.get. */
  get(id: string, listed?: boolean): Promise<Delivery | undefined>;
  search(criteria: SearchCriteria): Promise<Page<Delivery>>;
  confirm(delivery: Delivery, journal: StepJournal): Promise<WriteResult>;
  precheck?(delivery: Delivery, earlier?: Delivery[]): Promise<void>;
  /**
   * Ids the delivery read from upstream object `upstreamId` was served under before and is no
   * longer (an Open mSupply warehouse's outbound shipment, before it read as the receiving
   * store's inbound one), each to the id it has now: a read by one is redirected there.
   */
  formerIds?(upstreamId: string, delivery: Delivery): Map<string, string>;
  /** As OrderCapability.formerIdsWhy. */
  formerIdsWhy?: string;
  /**
   * Every id a former id (formerIds) of `delivery` stands for now, where it was one of several
   * upstream objects' (a DHIS2 consignment line's plain id, shared by consignments of one waybill
   * number at several facilities): with more than one, a read or change by it is a 409 naming
   * them, not a redirect to the one whose link was stored last.
   */
  formerIdNow?(delivery: Delivery, formerId: string): Promise<string[]>;
  /**
   * A supplier search lists deliveries the user may reach only through the supplier's copy (Open
   * mSupply: the outbound shipment of an inbound one), some under their upstream object's own id
   * (an R5 delivery): it links those too, so a read by one is behind a link (get's `listed`).
   */
  listsThroughCopies?: boolean;
}

export interface StockCapability {
  get?(id: string): Promise<StockReport | undefined>;
  search(criteria: SearchCriteria): Promise<Page<StockReport>>;
  report(report: StockReport, journal: StepJournal): Promise<WriteResult>;
  precheck?(report: StockReport, earlier?: StockReport[]): Promise<void>;
  /**
   * The record a write changes where writes must reach the system in the order accepted (DHIS2's
   * period totals a difference report adds to): the job's order key; none for the rest.
   */
  writeKey?(report: StockReport): string | undefined;
}

export interface Connector {
  /** 'openlmis' | 'dhis2' | 'msupply' | 'openmrs' */
  readonly system: string;
  facilities?: FacilityCapability;
  orders?: OrderCapability;
  deliveries?: DeliveryCapability;
  stock?: StockCapability;
  /** For /ready: can the upstream be reached with the current credentials. */
  ping?(): Promise<void>;
  /**
   * For /ready, advisory (reported, never unready): settings the upstream holds that will refuse
   * or lose writes later (DHIS2 data elements that drop a stock-out's zero); throws saying which.
   */
  checkSetup?(): Promise<void>;
  /** Apply changed settings (URLs, credentials) without a restart. */
  reconfigure?(settings: Record<string, unknown>): void;
  close?(): Promise<void>;
}
