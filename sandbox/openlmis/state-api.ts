import type { SandboxContext } from './context.js';
import type { Requisition, RequisitionStatus } from './model.js';

/**
 * What tests (and the demo) may do to the sandbox besides calling its HTTP API:
 * ship an order as the depot would, read counts, expire tokens, move the clock, read raw records.
 */
export interface ShipLine {
  orderableId: string;
  /** packs; defaults to the ordered quantity */
  quantityShipped?: number;
  lotId?: string | null;
}

/** One API request the sandbox received (method and path, no query), in arrival order. */
export interface RequestRecord {
  method: string;
  path: string;
}

/** How many requests the log keeps: enough for any test or benchmark window, bounded for long demos. */
const REQUEST_LOG_MAX = 100_000;

export class SandboxStateApi {
  private requests: RequestRecord[] = [];
  /** Requests dropped from the front of the log (indices stay absolute). */
  private dropped = 0;

  constructor(private readonly ctx: SandboxContext) {}

  /** Called by the server for every API request (not /_sandbox), so tests can count upstream calls. */
  recordRequest(method: string, path: string): void {
    if (this.requests.length >= REQUEST_LOG_MAX) {
      const half = REQUEST_LOG_MAX / 2;
      this.requests = this.requests.slice(half);
      this.dropped += half;
    }
    this.requests.push({ method, path });
  }

  /** The requests received since `from` (a requestCount() taken earlier). */
  requestLog(from = 0): RequestRecord[] {
    return this.requests.slice(Math.max(0, from - this.dropped));
  }

  /** How many API requests arrived so far. */
  requestCount(): number {
    return this.dropped + this.requests.length;
  }

  get store() {
    return this.ctx.store;
  }

  /**
   * Finalises a shipment for an ORDERED order (as the depot's warehouse clerk would via
   * POST /api/shipments): order → SHIPPED, POD INITIATED. Lines default to the full order.
   */
  shipOrder(orderId: string, lines?: ShipLine[]) {
    const order = this.ctx.fulfillment.findOrder(orderId);
    const wanted =
      lines ??
      order.lineItems.map((l) => ({ orderableId: l.orderableId, quantityShipped: l.orderedQuantity, lotId: null }));
    const shipment = this.ctx.fulfillment.createShipment(
      { kind: 'service', token: 'sandbox', clientId: 'trusted-client' },
      {
        order: { id: order.id },
        notes: 'shipped by the sandbox operator',
        lineItems: wanted.map((w) => {
          const ordered = order.lineItems.find((l) => l.orderableId === w.orderableId);
          const version = ordered?.orderableVersion ?? this.ctx.store.orderable(w.orderableId)?.versionNumber;
          return {
            orderable: { id: w.orderableId, versionNumber: version },
            lot: w.lotId ? { id: w.lotId } : null,
            quantityShipped: w.quantityShipped ?? ordered?.orderedQuantity ?? 0,
          };
        }),
      },
    );
    const pod = [...this.ctx.store.pods.values()].find((p) => p.shipmentId === shipment.id)!;
    return { shipment: this.ctx.fulfillment.shipmentDto(shipment), proofOfDeliveryId: pod.id };
  }

  /**
   * What the OpenLMIS UI would do after a submission: authorize, approve at every supervisory level,
   * release as an order to the supplying depot, all as the seeded administrator. The order is then
   * ORDERED and can be shipped (shipOrder), which opens the proof of delivery a SupplyDelivery confirms.
   */
  releaseRequisition(requisitionId: string) {
    const user = this.ctx.store.seed.users.find((u) => u.username === 'administrator')!;
    const admin = { kind: 'user' as const, token: 'sandbox', clientId: 'user-client', user };
    const svc = this.ctx.requisitions;
    if (
      svc.find(requisitionId).status === 'SUBMITTED' &&
      !this.ctx.store.program(svc.find(requisitionId).programId)!.skipAuthorization
    )
      svc.authorize(admin, requisitionId, undefined);
    // one approval per supervisory level (the seed has at most a few); a status that cannot be approved throws the real 400
    for (let level = 0; level < 10 && svc.find(requisitionId).status !== 'APPROVED'; level++) {
      // the approver accepts what was asked: a line nobody asked for gets 0 (approve refuses an empty approved quantity)
      for (const line of svc.find(requisitionId).lineItems)
        if (!line.skipped && line.approvedQuantity === null)
          line.approvedQuantity = line.requestedQuantity ?? line.calculatedOrderQuantity ?? 0;
      svc.approve(admin, requisitionId, undefined);
    }
    const r = svc.find(requisitionId);
    const depot = r.supplyingFacilityId ?? this.ctx.store.facilityByCode('LK-WH-301')!.id;
    svc.release(
      admin,
      { createOrder: true, requisitionsToRelease: [{ requisitionId, supplyingDepotId: depot }] },
      (req, depotId, userId) => this.ctx.fulfillment.createFromRequisition(req, depotId, userId),
    );
    const order = [...this.ctx.store.orders.values()].find((o) => o.externalId === requisitionId)!;
    return { requisitionId, status: svc.find(requisitionId).status, orderId: order.id, orderCode: order.orderCode };
  }

  /** A short view of the requisitions (newest last), to find the one an order became. */
  requisitionSummaries(status?: RequisitionStatus) {
    const s = this.ctx.store;
    return this.requisitionsByStatus(status).map((r) => ({
      id: r.id,
      status: r.status,
      emergency: r.emergency,
      facility: s.facility(r.facilityId)?.code,
      program: s.program(r.programId)?.code,
      extraData: r.extraData,
      createdDate: r.createdDate,
    }));
  }

  requisitionsByStatus(status?: RequisitionStatus): Requisition[] {
    return [...this.ctx.store.requisitions.values()].filter((r) => !status || r.status === status);
  }

  /** Requisitions that reached SUBMITTED at some point (status history), per the "exactly one submitted" checks. */
  submittedRequisitions(): Requisition[] {
    return [...this.ctx.store.requisitions.values()].filter((r) =>
      r.statusChanges.some((c) => c.status === 'SUBMITTED'),
    );
  }

  counts() {
    const s = this.ctx.store;
    const byStatus: Record<string, number> = {};
    for (const r of s.requisitions.values()) byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
    const ordersByStatus: Record<string, number> = {};
    for (const o of s.orders.values()) ordersByStatus[o.status] = (ordersByStatus[o.status] ?? 0) + 1;
    const eventsByKind: Record<string, number> = {};
    for (const e of s.stockEvents.values()) eventsByKind[e.kind] = (eventsByKind[e.kind] ?? 0) + 1;
    return {
      requisitions: s.requisitions.size,
      requisitionsByStatus: byStatus,
      submittedRequisitions: this.submittedRequisitions().length,
      orders: s.orders.size,
      ordersByStatus,
      shipments: s.shipments.size,
      proofsOfDelivery: s.pods.size,
      confirmedProofsOfDelivery: [...s.pods.values()].filter((p) => p.status === 'CONFIRMED').length,
      stockEvents: s.stockEvents.size,
      stockEventsByKind: eventsByKind,
      stockCards: s.stockCards.size,
      facilities: s.facilities.size,
      activeTokens: this.ctx.tokens.activeCount(),
    };
  }

  /** Codes → ids and credentials of the seeded world, for tests and the demo configuration. */
  seedSummary() {
    const seed = this.ctx.store.seed;
    return {
      baseUrl: this.ctx.baseUrl(),
      clients: {
        user: { clientId: 'user-client', secret: 'changeme' },
        service: { clientId: 'trusted-client', secret: 'secret' },
      },
      apiKey: seed.apiKeys[0].token,
      users: Object.fromEntries(seed.users.map((u) => [u.username, { id: u.id, password: u.password }])),
      facilities: Object.fromEntries([...this.ctx.store.facilities.values()].map((f) => [f.code, f.id])),
      programs: Object.fromEntries(seed.programs.map((p) => [p.code, p.id])),
      orderables: Object.fromEntries(seed.orderables.map((o) => [o.productCode, o.id])),
      periods: Object.fromEntries(seed.periods.map((p) => [p.name, p.id])),
      reasons: Object.fromEntries(seed.reasons.map((r) => [r.name, r.id])),
      lots: Object.fromEntries(seed.lots.map((l) => [l.lotCode, l.id])),
      nodes: Object.fromEntries(
        seed.nodes.map((n) => [
          this.ctx.store.facility(n.referenceId)?.code ??
            seed.organizations.find((o) => o.id === n.referenceId)?.name ??
            n.referenceId,
          n.id,
        ]),
      ),
    };
  }

  /** Expires every user/service token now (API keys never expire). */
  expireTokens(): number {
    return this.ctx.tokens.expireAll();
  }

  /** Moves the sandbox clock (token inactivity timeout, "today" for periods and stock dates). */
  advanceTime(seconds: number): void {
    this.ctx.tokens.advance(seconds);
  }
}
