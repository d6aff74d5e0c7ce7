/**
 * What happens in OpenLMIS outside the mediator, for the fault-and-crash test: before the run,
 * the depot releases and ships emergency requisitions (the shipments whose deliveries the
 * clients confirm) and stock counters open the stock cards; during the run, a clerk initiates
 * draft requisitions by hand, through the sandbox's own API as another user, under the same
 * faults the mediator sees.
 */
import type { Harness } from '../unit/sandbox/openlmis/helpers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Shipped {
  facilityCode: string;
  facilityId: string;
  requisitionId: string;
  orderId: string;
  orderCode: string;
  podId: string;
}

function must<T extends { status: number; body: any }>(res: T, what: string): T {
  if (res.status >= 300) throw new Error(`${what}: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
  return res;
}

/** An emergency EM01 requisition taken all the way to a shipped order with an INITIATED POD. */
export async function shipEmergencyOrder(
  h: Harness,
  token: string,
  facilityCode: string,
  products: string[],
): Promise<Shipped> {
  const facilityId = h.seed.facilities[facilityCode];
  const program = h.seed.programs.EM01;
  const periods = must(
    await h.call(
      'GET',
      `/api/requisitions/periodsForInitiate?programId=${program}&facilityId=${facilityId}&emergency=true`,
      token,
    ),
    'periods',
  );
  const req = must(
    await h.call(
      'POST',
      `/api/requisitions/initiate?program=${program}&facility=${facilityId}&suggestedPeriod=${periods.body[0].id}&emergency=true`,
      token,
    ),
    'initiate',
  ).body;
  const lines = products.map((code, i) => ({
    orderable: req.availableFullSupplyProducts.find((o: any) => o.productCode === code),
    requestedQuantity: 200 * (i + 1),
    requestedQuantityExplanation: 'depot test stock',
  }));
  must(await h.call('PUT', `/api/requisitions/${req.id}`, token, { ...req, requisitionLineItems: lines }), 'fill');
  for (const step of ['submit', 'authorize', 'approve'])
    must(await h.call('POST', `/api/requisitions/${req.id}/${step}`, token), step);
  must(
    await h.call('POST', '/api/requisitions/batchReleases', token, {
      createOrder: true,
      requisitionsToRelease: [{ requisitionId: req.id, supplyingDepotId: h.seed.facilities['LK-WH-301'] }],
    }),
    'release',
  );
  const order = [...h.sb.state.store.orders.values()].find((o) => o.externalId === req.id);
  if (!order) throw new Error(`no order for requisition ${req.id}`);
  const { proofOfDeliveryId } = h.sb.state.shipOrder(order.id);
  return {
    facilityCode,
    facilityId,
    requisitionId: req.id,
    orderId: order.id,
    orderCode: order.orderCode,
    podId: proofOfDeliveryId,
  };
}

/** A physical inventory opening every EM01 card of the facility with `quantity` units. */
export async function openStockCards(
  h: Harness,
  token: string,
  facilityCode: string,
  quantity: number,
  occurredDate: string,
): Promise<void> {
  const em01 = h.sb.state.store
    .latestOrderables()
    .filter((o) => o.programs.some((p) => p.programId === h.seed.programs.EM01));
  must(
    await h.call('POST', '/api/stockEvents', token, {
      facilityId: h.seed.facilities[facilityCode],
      programId: h.seed.programs.EM01,
      documentNumber: `OPEN-${facilityCode}`,
      signature: 'stock counter',
      lineItems: em01.map((o) => ({ orderableId: o.id, lotId: null, quantity, occurredDate })),
    }),
    `opening stock at ${facilityCode}`,
  );
}

/** A clerk's draft and what it must still hold at the end: requested quantity per orderable id. */
export interface ClerkDraft {
  id: string;
  facilityCode: string;
  program: string;
  emergency: boolean;
  requested: Record<string, number>;
}

/**
 * The clerk works through the sandbox API (user `administrator`, not the integration user) and
 * gets the same faults as the mediator: a failed initiate is looked up in the sandbox (a lost
 * answer may have created the draft) before trying again; a failed PUT is re-read and re-sent.
 */
export class Clerk {
  readonly drafts: ClerkDraft[] = [];
  readonly failures: string[] = [];
  private token?: string;

  constructor(
    private readonly h: Harness,
    private readonly userId: string,
  ) {}

  private async login(): Promise<string> {
    this.token ??= await this.h.login('administrator');
    return this.token;
  }

  /** Harness.call with a timeout: a hung answer (a fault) must not hold the clerk for fetch's 300 s. */
  private async call(
    method: string,
    path: string,
    token: string,
    body?: unknown,
  ): Promise<{ status: number; body: any }> {
    const res = await fetch(`${this.h.sb.url}${path}`, {
      method,
      signal: AbortSignal.timeout(4_000),
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }

  private known(): Set<string> {
    return new Set(this.drafts.map((d) => d.id));
  }

  /** A draft of ours the sandbox holds but we were never told about (an initiate answer lost). */
  private lostDraft(facilityId: string, programId: string, emergency: boolean): string | undefined {
    const known = this.known();
    return this.h.sb.state
      .requisitionsByStatus()
      .find(
        (r) =>
          r.facilityId === facilityId &&
          r.programId === programId &&
          r.emergency === emergency &&
          r.statusChanges[0]?.authorId === this.userId &&
          !known.has(r.id),
      )?.id;
  }

  async draft(
    facilityCode: string,
    programCode: string,
    emergency: boolean,
    products: { code: string; qty: number }[],
  ): Promise<void> {
    const facilityId = this.h.seed.facilities[facilityCode];
    const programId = this.h.seed.programs[programCode];
    let id: string | undefined;
    for (let attempt = 0; attempt < 8 && !id; attempt++) {
      try {
        const token = await this.login();
        const periods = await this.call(
          'GET',
          `/api/requisitions/periodsForInitiate?programId=${programId}&facilityId=${facilityId}&emergency=${emergency}`,
          token,
        );
        if (periods.status === 401) {
          this.token = undefined;
          continue;
        }
        const period = emergency ? periods.body[0] : periods.body.find((p: any) => !p.requisitionId);
        if (!period) {
          this.failures.push(`${facilityCode} ${programCode}: no period for a clerk draft`);
          return;
        }
        const res = await this.call(
          'POST',
          `/api/requisitions/initiate?program=${programId}&facility=${facilityId}&suggestedPeriod=${period.id}&emergency=${emergency}`,
          token,
        );
        if (res.status === 201) id = res.body.id;
        else id = this.lostDraft(facilityId, programId, emergency);
      } catch {
        id = this.lostDraft(facilityId, programId, emergency);
      }
      if (!id) await sleep(100);
    }
    if (!id) {
      this.failures.push(`${facilityCode} ${programCode} emergency=${emergency}: initiate never succeeded`);
      return;
    }
    const draft: ClerkDraft = { id, facilityCode, program: programCode, emergency, requested: {} };
    this.drafts.push(draft);
    if (products.length === 0) return; // initiated and left for later, as clerks do
    const orderableIds = products.map((p) => this.h.seed.orderables[p.code]);
    for (let attempt = 0; attempt < 8; attempt++) {
      try {
        const token = await this.login();
        const current = await this.call('GET', `/api/requisitions/${id}`, token);
        if (current.status !== 200) {
          await sleep(100);
          continue;
        }
        const req = current.body;
        const lines = emergency
          ? products.map((p) => ({
              orderable: req.availableFullSupplyProducts.find((o: any) => o.productCode === p.code),
              requestedQuantity: p.qty,
              requestedQuantityExplanation: 'counted by the clerk',
            }))
          : req.requisitionLineItems.map((l: any) => {
              const p = products.find((x) => this.h.seed.orderables[x.code] === l.orderable.id);
              return p ? { ...l, requestedQuantity: p.qty, requestedQuantityExplanation: 'counted by the clerk' } : l;
            });
        const put = await this.call('PUT', `/api/requisitions/${id}`, token, { ...req, requisitionLineItems: lines });
        if (put.status === 200) {
          draft.requested = Object.fromEntries(products.map((p, i) => [orderableIds[i], p.qty]));
          return;
        }
      } catch {
        // a reset or a lost answer: read it again and send again
      }
      await sleep(100);
    }
    // never confirmed: what the sandbox holds now is the clerk's (a lost answer may have saved it)
    draft.requested = requestedOf(this.h.sb.state.store.requisitions.get(id)!);
  }
}

/** Requested quantity per orderable id, for the lines that have one. */
export function requestedOf(r: {
  lineItems: { orderableId: string; requestedQuantity: number | null }[];
}): Record<string, number> {
  return Object.fromEntries(
    r.lineItems
      .filter((l) => l.requestedQuantity !== null && l.requestedQuantity !== undefined)
      .map((l) => [l.orderableId, l.requestedQuantity!]),
  );
}
