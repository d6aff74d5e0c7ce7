import type { SeedData } from './seed.js';
import type {
  Facility,
  Order,
  Orderable,
  ProcessingPeriod,
  Program,
  ProofOfDelivery,
  Requisition,
  Shipment,
  StockCard,
  StockEvent,
  User,
} from './model.js';

/**
 * The sandbox's data: seeded reference data plus what clients create. Plain maps, no I/O.
 * Rules live in requisitions.ts, fulfillment.ts and stock.ts; this class only stores and finds.
 */
export class SandboxStore {
  readonly seed: SeedData;
  readonly facilities = new Map<string, Facility>();
  /** orderable id → versions, oldest first */
  readonly orderableVersions = new Map<string, Orderable[]>();
  /** Every requisition by id. Add and remove them with putRequisition/deleteRequisition (the index below). */
  readonly requisitions = new Map<string, Requisition>();
  /**
   * Requisitions by facility, in creation order: OpenLMIS answers periodsForInitiate, initiate's
   * period checks and a search by facility from indexed queries, so the simulator's cost per call
   * does not grow with every requisition it holds (a benchmark's later orders cost the upstream
   * what its first ones did: issue 18).
   */
  private readonly requisitionsByFacility = new Map<string, Map<string, Requisition>>();
  readonly orders = new Map<string, Order>();
  readonly shipments = new Map<string, Shipment>();
  readonly pods = new Map<string, ProofOfDelivery>();
  readonly stockCards = new Map<string, StockCard>();
  readonly stockEvents = new Map<string, StockEvent>();
  /** Idempotency-Key → requisition id (null while the request is in flight), as the Redis store */
  readonly idempotencyKeys = new Map<string, string | null>();
  orderSequence = 0;
  /** epoch ms; shared with the token store so `advanceTime` moves both */
  clock: () => number = Date.now;

  constructor(seed: SeedData) {
    this.seed = seed;
    for (const f of seed.facilities) this.facilities.set(f.id, structuredClone(f));
    for (const o of seed.orderables) this.orderableVersions.set(o.id, [structuredClone(o)]);
  }

  putRequisition(r: Requisition): void {
    this.requisitions.set(r.id, r);
    let atFacility = this.requisitionsByFacility.get(r.facilityId);
    if (!atFacility) this.requisitionsByFacility.set(r.facilityId, (atFacility = new Map()));
    atFacility.set(r.id, r);
  }

  deleteRequisition(id: string): void {
    const r = this.requisitions.get(id);
    if (!r) return;
    this.requisitions.delete(id);
    this.requisitionsByFacility.get(r.facilityId)?.delete(id);
  }

  /** The facility's requisitions, oldest first (a requisition's facility never changes). */
  requisitionsAt(facilityId: string): Requisition[] {
    return [...(this.requisitionsByFacility.get(facilityId)?.values() ?? [])];
  }

  facility(id: string): Facility | undefined {
    return this.facilities.get(id);
  }

  facilityByCode(code: string): Facility | undefined {
    return [...this.facilities.values()].find((f) => f.code === code);
  }

  program(id: string): Program | undefined {
    return this.seed.programs.find((p) => p.id === id);
  }

  programByCode(code: string): Program | undefined {
    return this.seed.programs.find((p) => p.code === code);
  }

  orderable(id: string, versionNumber?: number): Orderable | undefined {
    const versions = this.orderableVersions.get(id);
    if (!versions) return undefined;
    return versionNumber === undefined
      ? versions[versions.length - 1]
      : versions.find((v) => v.versionNumber === versionNumber);
  }

  latestOrderables(): Orderable[] {
    return [...this.orderableVersions.values()].map((v) => v[v.length - 1]);
  }

  orderableByCode(code: string): Orderable | undefined {
    return this.latestOrderables().find((o) => o.productCode === code);
  }

  period(id: string): ProcessingPeriod | undefined {
    return this.seed.periods.find((p) => p.id === id);
  }

  user(id: string): User | undefined {
    return this.seed.users.find((u) => u.id === id);
  }

  zone(id: string) {
    return this.seed.zones.find((z) => z.id === id);
  }

  reason(id: string) {
    return this.seed.reasons.find((r) => r.id === id);
  }

  lot(id: string) {
    return this.seed.lots.find((l) => l.id === id);
  }

  /** Periods of the schedule assigned to (program, facility) through its requisition group, by start date. */
  periodsFor(programId: string, facilityId: string): ProcessingPeriod[] {
    const group = this.seed.requisitionGroups.find(
      (g) => g.memberFacilityIds.includes(facilityId) && g.programSchedules.some((s) => s.programId === programId),
    );
    if (!group) return [];
    const scheduleId = group.programSchedules.find((s) => s.programId === programId)!.scheduleId;
    return this.seed.periods
      .filter((p) => p.scheduleId === scheduleId)
      .sort((a, b) => a.startDate.localeCompare(b.startDate));
  }

  supervisoryNodeFor(programId: string, facilityId: string): string | null {
    const group = this.seed.requisitionGroups.find(
      (g) => g.memberFacilityIds.includes(facilityId) && g.programSchedules.some((s) => s.programId === programId),
    );
    return group?.supervisoryNodeId ?? null;
  }

  approvedProductsFor(facilityTypeId: string, programId: string) {
    return this.seed.approvedProducts.filter(
      (a) => a.facilityTypeId === facilityTypeId && a.programId === programId && a.active,
    );
  }

  stockCard(facilityId: string, programId: string, orderableId: string, lotId: string | null): StockCard | undefined {
    return [...this.stockCards.values()].find(
      (c) =>
        c.facilityId === facilityId && c.programId === programId && c.orderableId === orderableId && c.lotId === lotId,
    );
  }

  nodeForFacility(facilityId: string) {
    return this.seed.nodes.find((n) => n.referenceId === facilityId && n.isRefDataFacility);
  }
}
