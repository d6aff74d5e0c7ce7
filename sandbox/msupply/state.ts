import { randomBytes } from 'node:crypto';
import type {
  AdjustmentReason,
  Invoice,
  InvoiceLine,
  InvoiceStatus,
  Stocktake,
  StocktakeLine,
  Item,
  Name,
  NameVisibility,
  Requisition,
  RequisitionLine,
  StockLine,
  Store,
  Token,
  User,
} from './model.js';
import { buildSeed, type Seed } from './seed.js';
import { adjustmentType, OPENING_DATETIME, StockLedger } from './ledger.js';
import { seedBulkStock, type BulkStock } from './bulk-stock.js';
import { NO_BACKDATING, type Backdating } from './backdating.js';
import { moreAfterCount } from './stock-line-more.js';
import { lineFieldFixtures } from './line-refusals.js';

/**
 * The sandbox's in-memory database and the rules that are not about GraphQL: logins and tokens
 * (with expiry and account blocking), store access, requisition numbering, and the requisition
 * transfer processor (a request requisition SENT to a supplier that is a store creates the
 * supplier's RESPONSE requisition, NEW, linked both ways: server/service/src/processors/transfer
 * /requisition in msupply-foundation/open-msupply).
 */
export interface StateOptions {
  tokenTtlSeconds?: number;
  /** The `mediator` user's password; default SEED_PASSWORD (the demo sets a per-run value). */
  mediatorPassword?: string;
  /** Failed logins in a row before the account is blocked, and for how long. */
  blockAfterFailures?: number;
  blockSeconds?: number;
  /**
   * Inventory adjustment reason options configured on the server. With active ones of a direction,
   * Open mSupply requires one on every stocktake line that changes stock that way
   * (server/service/src/stocktake_line/validate.rs); without any (the default) none is needed.
   */
  adjustmentReasons?: AdjustmentReason[];
  now?: () => number;
  /**
   * The backdating preference (Open mSupply's BackdatingNode: shipmentsEnabled, maxDays; off by
   * default, as on a fresh server): whether a received inbound shipment's receivedDatetime may be
   * moved earlier (backdating.ts).
   */
  backdating?: Backdating;
  /** Benchmarks: a national sandbox of stores, items and three months of movements (bulk-stock.ts). */
  bulk?: BulkStock;
}

export class MsupplyState {
  readonly users = new Map<string, User>();
  readonly stores = new Map<string, Store>();
  readonly names = new Map<string, Name>();
  readonly visibility: NameVisibility[] = [];
  readonly items = new Map<string, Item>();
  readonly stockLines = new Map<string, StockLine>();
  readonly requisitions = new Map<string, Requisition>();
  readonly requisitionLines = new Map<string, RequisitionLine>();
  readonly tokens = new Map<string, Token>();
  /** Refresh tokens (the HttpOnly refresh_token cookie): 2 h, rolling, each used once. */
  readonly refreshTokens = new Map<string, Token>();
  readonly invoices = new Map<string, Invoice>();
  readonly stocktakes = new Map<string, Stocktake>();
  readonly stocktakeLines = new Map<string, StocktakeLine>();
  /** Locations, campaigns and programs a stocktake line may name (line-refusals.ts). */
  readonly lineFields = lineFieldFixtures();
  readonly adjustmentReasons: AdjustmentReason[];
  /** The backdating preference; tests may change it (StateOptions.backdating). */
  backdating: Backdating;
  readonly invoiceLines = new Map<string, InvoiceLine>();
  /** Every stock movement, for the `ledger` query (ledger.ts). */
  readonly ledger = new StockLedger();
  readonly seed: Seed;
  /** Every write applied, by mutation name (what tests count to prove "exactly once"). */
  readonly applied: { mutation: string; id: string }[] = [];
  logins = 0;
  /** Bearers issued for a refresh token instead of a password. */
  refreshes = 0;
  private offsetMs = 0;

  constructor(private readonly options: StateOptions = {}) {
    this.seed = buildSeed();
    this.adjustmentReasons = (options.adjustmentReasons ?? []).map((r) => ({ ...r }));
    this.backdating = { ...NO_BACKDATING, ...options.backdating };
    for (const u of this.seed.users) this.users.set(u.username, structuredClone(u));
    if (options.mediatorPassword) this.users.get('mediator')!.password = options.mediatorPassword;
    for (const s of this.seed.stores) this.stores.set(s.id, { ...s });
    for (const n of this.seed.names) this.names.set(n.id, { ...n });
    this.visibility.push(...this.seed.visibility.map((v) => ({ ...v })));
    for (const i of this.seed.items) this.items.set(i.id, { ...i });
    for (const l of this.seed.stockLines) this.stockLines.set(l.id, { ...l });
    for (const l of this.stockLines.values())
      this.ledger.record(l, l.totalNumberOfPacks, 'INVENTORY_ADDITION', OPENING_DATETIME, 'Opening balance');
    if (options.bulk) seedBulkStock(this, options.bulk);
  }

  now(): number {
    return (this.options.now ?? Date.now)() + this.offsetMs;
  }

  iso(): string {
    return new Date(this.now()).toISOString();
  }

  /** Moves the sandbox clock (token expiry, account blocks) without waiting. */
  advance(ms: number): void {
    this.offsetMs += ms;
  }

  // auth -------------------------------------------------------------------------------------

  login(
    username: string,
    password: string,
  ):
    | { token: string; refresh: string }
    | { error: 'InvalidCredentials' | 'NoSiteAccess' }
    | { error: 'AccountBlocked'; timeoutRemaining: number } {
    const user = this.users.get(username);
    if (user?.blockedUntil && user.blockedUntil > this.now())
      return { error: 'AccountBlocked', timeoutRemaining: Math.ceil((user.blockedUntil - this.now()) / 1000) };
    if (!user || user.password !== password) {
      if (user && ++user.failedLogins >= (this.options.blockAfterFailures ?? 5)) {
        user.blockedUntil = this.now() + (this.options.blockSeconds ?? 60) * 1000;
        user.failedLogins = 0;
      }
      return { error: 'InvalidCredentials' };
    }
    user.failedLogins = 0;
    if (!user.storeIds.length) return { error: 'NoSiteAccess' };
    this.logins++;
    return this.issue(user.id);
  }

  /** A bearer (tokenTtlSeconds, default 1 h) and a refresh token (2 h) for a user. */
  private issue(userId: string): { token: string; refresh: string } {
    const token = randomBytes(24).toString('base64url');
    this.tokens.set(token, { token, userId, expiresAt: this.now() + (this.options.tokenTtlSeconds ?? 3600) * 1000 });
    const refresh = randomBytes(24).toString('base64url');
    this.refreshTokens.set(refresh, { token: refresh, userId, expiresAt: this.now() + 7200 * 1000 });
    return { token, refresh };
  }

  /**
   * `refreshToken` with the cookie: a new pair, the old refresh token spent (refresh_token.rs:
   * NoRefreshTokenProvided without the cookie, TokenExpired past its 2 h, InvalidToken when the
   * server does not know it, e.g. after a restart).
   */
  refresh(
    refresh: string | undefined,
  ): { token: string; refresh: string } | { error: 'NoRefreshTokenProvided' | 'TokenExpired' | 'InvalidToken' } {
    if (!refresh) return { error: 'NoRefreshTokenProvided' };
    const known = this.refreshTokens.get(refresh);
    if (!known) return { error: 'InvalidToken' };
    this.refreshTokens.delete(refresh);
    if (known.expiresAt <= this.now()) return { error: 'TokenExpired' };
    this.refreshes++;
    return this.issue(known.userId);
  }

  /** The server restarted: it knows no bearer and no refresh token any more. */
  restart(): void {
    this.tokens.clear();
    this.refreshTokens.clear();
  }

  userOfToken(token: string | undefined): User | undefined {
    const t = token ? this.tokens.get(token) : undefined;
    if (!t || t.expiresAt <= this.now()) return undefined;
    return [...this.users.values()].find((u) => u.id === t.userId);
  }

  /** Expire every token (the server restarted, or an hour passed). */
  expireTokens(): number {
    const n = this.tokens.size;
    this.tokens.clear();
    return n;
  }

  expireToken(token: string | undefined): void {
    if (token) this.tokens.delete(token);
  }

  // names and stores ---------------------------------------------------------------------------

  /** A name as `storeId` sees it (flags from name_store_join), or undefined when not visible there. */
  visibleName(storeId: string, nameId: string): (Name & { isVisible: boolean }) | undefined {
    const name = this.names.get(nameId);
    const join = this.visibility.find((v) => v.storeId === storeId && v.nameId === nameId);
    if (!name || !join) return undefined;
    return { ...name, isCustomer: join.isCustomer, isSupplier: join.isSupplier, isVisible: true };
  }

  namesVisibleIn(storeId: string): (Name & { isVisible: boolean })[] {
    return this.visibility
      .filter((v) => v.storeId === storeId)
      .map((v) => this.visibleName(storeId, v.nameId)!)
      .filter(Boolean);
  }

  storeOfName(nameId: string): Store | undefined {
    const storeId = this.names.get(nameId)?.storeId;
    return storeId ? this.stores.get(storeId) : undefined;
  }

  // requisitions -----------------------------------------------------------------------------

  nextRequisitionNumber(storeId: string): number {
    return (
      1 +
      Math.max(
        0,
        ...[...this.requisitions.values()].filter((r) => r.storeId === storeId).map((r) => r.requisitionNumber),
      )
    );
  }

  linesOf(requisitionId: string): RequisitionLine[] {
    return [...this.requisitionLines.values()].filter((l) => l.requisitionId === requisitionId);
  }

  /** The transfer processor: a SENT request to a store creates that store's response requisition. */
  transferRequest(request: Requisition): Requisition | undefined {
    const supplier = this.storeOfName(request.otherPartyId);
    const requester = this.stores.get(request.storeId);
    if (!supplier || !requester || request.linkedRequisitionId) return undefined;
    const response: Requisition = {
      ...request,
      id: `resp-${request.id}`,
      storeId: supplier.id,
      requisitionNumber: this.nextRequisitionNumber(supplier.id),
      type: 'RESPONSE',
      status: 'NEW',
      otherPartyId: requester.nameId,
      theirReference: request.theirReference,
      createdDatetime: this.iso(),
      sentDatetime: null,
      finalisedDatetime: null,
      linkedRequisitionId: request.id,
    };
    this.requisitions.set(response.id, response);
    request.linkedRequisitionId = response.id;
    for (const line of this.linesOf(request.id)) {
      const copy: RequisitionLine = {
        ...line,
        id: `resp-${line.id}`,
        requisitionId: response.id,
        supplyQuantity: 0,
        linkedLineId: line.id,
      };
      this.requisitionLines.set(copy.id, copy);
      line.linkedLineId = copy.id;
    }
    return response;
  }

  // shipments --------------------------------------------------------------------------------

  invoiceLinesOf(invoiceId: string): InvoiceLine[] {
    return [...this.invoiceLines.values()].filter((l) => l.invoiceId === invoiceId);
  }

  nextInvoiceNumber(storeId: string): number {
    return (
      1 + Math.max(0, ...[...this.invoices.values()].filter((i) => i.storeId === storeId).map((i) => i.invoiceNumber))
    );
  }

  /** Units of each item already on outbound shipments of a response requisition. */
  issuedFor(responseId: string, itemId: string): number {
    return [...this.invoices.values()]
      .filter((i) => i.type === 'OUTBOUND_SHIPMENT' && i.requisitionId === responseId && i.status !== 'CANCELLED')
      .flatMap((i) => this.invoiceLinesOf(i.id))
      .filter((l) => l.itemId === itemId)
      .reduce((n, l) => n + l.numberOfPacks * l.packSize, 0);
  }

  /**
   * createRequisitionShipment: an outbound shipment (NEW) for what remains to supply on a response
   * requisition (supplyQuantity less what earlier shipments issued), allocated from the store's
   * stock, first-expiring batch first, in whole packs; allocation reserves (available packs go
   * down), shipping takes the stock. `packs` overrides the packs per item code. Undefined when
   * nothing remains to supply (NothingRemainingToSupply).
   */
  createRequisitionShipment(responseId: string, packs: Record<string, number> = {}): Invoice | undefined {
    const response = this.requisitions.get(responseId)!;
    const request = response.linkedRequisitionId ? this.requisitions.get(response.linkedRequisitionId) : undefined;
    const now = this.iso();
    const outbound: Invoice = {
      id: `out-${responseId}-${this.invoices.size + 1}`,
      storeId: response.storeId,
      invoiceNumber: this.nextInvoiceNumber(response.storeId),
      type: 'OUTBOUND_SHIPMENT',
      status: 'NEW',
      otherPartyId: response.otherPartyId,
      theirReference: request?.theirReference ?? response.theirReference,
      requisitionId: response.id,
      linkedInvoiceId: null,
      createdDatetime: now,
      shippedDatetime: null,
      deliveredDatetime: null,
      receivedDatetime: null,
      verifiedDatetime: null,
    };
    const lines: InvoiceLine[] = [];
    for (const line of this.linesOf(response.id)) {
      const item = this.items.get(line.itemId)!;
      const remaining = Math.max(0, line.supplyQuantity - this.issuedFor(response.id, item.id));
      const wanted = packs[item.code] ?? Math.ceil(remaining / item.defaultPackSize);
      if (wanted <= 0) continue;
      const stock = [...this.stockLines.values()]
        .filter(
          (s) => s.storeId === response.storeId && s.itemId === item.id && !s.onHold && s.availableNumberOfPacks > 0,
        )
        .sort((a, b) => String(a.expiryDate).localeCompare(String(b.expiryDate)))[0];
      if (!stock || stock.availableNumberOfPacks < wanted)
        throw new Error(`not enough stock of ${item.code} in ${response.storeId} (NotEnoughStockForReduction)`);
      stock.availableNumberOfPacks -= wanted;
      lines.push({
        id: `${outbound.id}-l${lines.length + 1}`,
        invoiceId: outbound.id,
        itemId: item.id,
        batch: stock.batch,
        expiryDate: stock.expiryDate,
        packSize: stock.packSize,
        numberOfPacks: wanted,
        shippedNumberOfPacks: null,
        stockLineId: stock.id,
      });
    }
    if (!lines.length) return undefined;
    this.invoices.set(outbound.id, outbound);
    for (const l of lines) this.invoiceLines.set(l.id, l);
    return outbound;
  }

  /**
   * Outbound status moves forward only (NEW → ALLOCATED → PICKED → SHIPPED). SHIPPED takes the
   * stock and runs the transfer: the receiving store's inbound shipment, SHIPPED, with the same
   * batches, linked to the request requisition (server/service/src/processors/transfer/invoice in
   * msupply-foundation/open-msupply).
   */
  moveOutbound(outbound: Invoice, status: 'ALLOCATED' | 'PICKED' | 'SHIPPED'): Invoice | undefined {
    outbound.status = status;
    if (status !== 'SHIPPED') return undefined;
    const now = this.iso();
    outbound.shippedDatetime = now;
    const response = outbound.requisitionId ? this.requisitions.get(outbound.requisitionId) : undefined;
    const receiver = this.storeOfName(outbound.otherPartyId);
    for (const l of this.invoiceLinesOf(outbound.id)) {
      const stock = l.stockLineId ? this.stockLines.get(l.stockLineId) : undefined;
      if (stock) {
        stock.totalNumberOfPacks -= l.numberOfPacks;
        this.ledger.record(stock, -l.numberOfPacks, 'OUTBOUND_SHIPMENT', now, receiver?.name ?? '');
      }
      l.shippedNumberOfPacks = l.numberOfPacks;
    }
    if (!receiver) return undefined;
    const inbound: Invoice = {
      ...outbound,
      id: `in-${outbound.id}`,
      storeId: receiver.id,
      invoiceNumber: this.nextInvoiceNumber(receiver.id),
      type: 'INBOUND_SHIPMENT',
      otherPartyId: this.stores.get(outbound.storeId)!.nameId,
      requisitionId: response?.linkedRequisitionId ?? null,
      linkedInvoiceId: outbound.id,
    };
    outbound.linkedInvoiceId = inbound.id;
    this.invoices.set(inbound.id, inbound);
    for (const l of this.invoiceLinesOf(outbound.id)) {
      const copy: InvoiceLine = {
        ...l,
        id: l.id.replace(outbound.id, inbound.id),
        invoiceId: inbound.id,
        shippedNumberOfPacks: l.numberOfPacks,
        stockLineId: null,
      };
      this.invoiceLines.set(copy.id, copy);
    }
    return inbound;
  }

  /**
   * What the warehouse does in the Open mSupply UI for a response requisition, in one go: supply
   * what was requested, create the shipment, and move it to SHIPPED. `packs` overrides the packs
   * per item code.
   */
  shipResponseRequisition(
    responseId: string,
    packs: Record<string, number> = {},
  ): { outbound: Invoice; inbound: Invoice } {
    const response = this.requisitions.get(responseId);
    if (response?.type === 'RESPONSE' && !response.linkedRequisitionId)
      throw new Error(`response requisition ${responseId} has no linked request`);
    const { outbound, inbound } = this.shipResponse(responseId, packs);
    return { outbound, inbound: inbound! };
  }

  /**
   * The same for any response requisition, also one a customer without an Open mSupply store
   * raised elsewhere (a DHIS2 facility): its shipment stops at SHIPPED, with no inbound to make.
   */
  shipResponse(responseId: string, packs: Record<string, number> = {}): { outbound: Invoice; inbound?: Invoice } {
    const response = this.requisitions.get(responseId);
    if (!response || response.type !== 'RESPONSE') throw new Error(`no response requisition ${responseId}`);
    for (const line of this.linesOf(response.id))
      if (line.supplyQuantity === 0) line.supplyQuantity = line.requestedQuantity;
    const outbound = this.createRequisitionShipment(responseId, packs);
    if (!outbound) throw new Error(`response requisition ${responseId} has nothing to ship`);
    const inbound = this.moveOutbound(outbound, 'SHIPPED');
    return { outbound, inbound };
  }

  /** A customer name (no store of its own) visible in `storeId`, e.g. a DHIS2 facility under its org unit code. */
  addCustomer(storeId: string, customer: { code: string; name: string }): Name {
    const name: Name = {
      id: `name-${customer.code.toLowerCase()}`,
      code: customer.code,
      name: customer.name,
      isCustomer: true,
      isSupplier: false,
    };
    this.names.set(name.id, name);
    if (!this.visibility.some((v) => v.storeId === storeId && v.nameId === name.id))
      this.visibility.push({ storeId, nameId: name.id, isCustomer: true, isSupplier: false });
    return name;
  }

  /**
   * A store opened on the server (a new site's store, as central data): its name (a store's name is
   * both customer and supplier), the users that may act in it, and, when it has a supplying store,
   * each seeing the other (the supplier sees it as a customer, it sees the supplier as a supplier);
   * `packs` of every item on one batch, for a store that supplies others.
   */
  addStore(input: { code: string; name: string; supplierStoreId?: string; users?: string[]; packs?: number }): Store {
    if (!input.code || !input.name) throw new Error('a store needs a code and a name');
    const id = `store-${input.code.toLowerCase()}`;
    if (this.stores.has(id)) throw new Error(`store ${input.code} exists`);
    const supplier = input.supplierStoreId ? this.stores.get(input.supplierStoreId) : undefined;
    if (input.supplierStoreId && !supplier) throw new Error(`no store ${input.supplierStoreId}`);
    const nameId = `name-${input.code.toLowerCase()}`;
    const siteId = 1 + Math.max(0, ...[...this.stores.values()].map((x) => x.siteId));
    const store: Store = { id, code: input.code, name: input.name, nameId, siteId };
    this.stores.set(id, store);
    this.names.set(nameId, {
      id: nameId,
      code: input.code,
      name: input.name,
      storeId: id,
      isCustomer: true,
      isSupplier: true,
    });
    for (const username of input.users ?? []) {
      const user = [...this.users.values()].find((u) => u.username === username);
      if (!user) throw new Error(`no user ${username}`);
      user.storeIds.push(id);
    }
    if (supplier) {
      this.visibility.push({ storeId: supplier.id, nameId, isCustomer: true, isSupplier: false });
      this.visibility.push({ storeId: id, nameId: supplier.nameId, isCustomer: false, isSupplier: true });
    }
    for (const item of input.packs ? this.items.values() : []) {
      this.stockLines.set(`stock-${id}-${item.id}`, {
        id: `stock-${id}-${item.id}`,
        storeId: id,
        itemId: item.id,
        batch: `${input.code}-${item.code}`,
        expiryDate: '2028-06-30',
        packSize: item.defaultPackSize,
        totalNumberOfPacks: input.packs!,
        availableNumberOfPacks: input.packs!,
        onHold: false,
      });
    }
    return store;
  }

  /** A received line's packs edited (RECEIVED, not yet VERIFIED): its stock line takes the difference. */
  receivedAgain(stock: StockLine, delta: number): void {
    if (!delta) return;
    stock.totalNumberOfPacks += delta;
    stock.availableNumberOfPacks += delta;
    this.ledger.record(stock, delta, 'INBOUND_SHIPMENT', this.iso());
  }

  /** Inbound status moves forward only; RECEIVED puts the received packs into the store's stock. */
  moveInbound(invoice: Invoice, status: InvoiceStatus): void {
    const order: InvoiceStatus[] = ['NEW', 'SHIPPED', 'DELIVERED', 'RECEIVED', 'VERIFIED'];
    const now = this.iso();
    const from = order.indexOf(invoice.status);
    const to = order.indexOf(status);
    if (from < order.indexOf('DELIVERED') && to >= order.indexOf('DELIVERED')) invoice.deliveredDatetime = now;
    if (from < order.indexOf('RECEIVED') && to >= order.indexOf('RECEIVED')) {
      invoice.receivedDatetime = now;
      for (const line of this.invoiceLinesOf(invoice.id)) {
        if (line.numberOfPacks <= 0) continue;
        const stock: StockLine = {
          id: `stock-${line.id}`,
          storeId: invoice.storeId,
          itemId: line.itemId,
          batch: line.batch,
          expiryDate: line.expiryDate,
          packSize: line.packSize,
          totalNumberOfPacks: line.numberOfPacks,
          availableNumberOfPacks: line.numberOfPacks,
          onHold: false,
        };
        this.stockLines.set(stock.id, stock);
        this.ledger.record(stock, line.numberOfPacks, 'INBOUND_SHIPMENT', now);
        line.stockLineId = stock.id;
      }
    }
    if (to >= order.indexOf('VERIFIED')) invoice.verifiedDatetime = now;
    invoice.status = status;
  }

  // stocktakes -------------------------------------------------------------------------------

  stocktakeLinesOf(stocktakeId: string): StocktakeLine[] {
    return [...this.stocktakeLines.values()].filter((l) => l.stocktakeId === stocktakeId);
  }

  /**
   * FINALISED applies each counted line: the stock line takes the counted packs (a new batch
   * becomes a new stock line). Refused as a whole when a line would take more than is available
   * (StockLinesReducedBelowZero: stock reserved on a shipment cannot be counted away), and when a
   * counted line's snapshot no longer equals its stock line's packs (SnapshotCountCurrentCountMismatch).
   */
  finaliseStocktake(stocktake: Stocktake): { reducedBelowZero: StockLine[]; mismatched: StocktakeLine[] } {
    const counted = this.stocktakeLinesOf(stocktake.id).filter((l) => l.countedNumberOfPacks !== null);
    const below = counted.flatMap((l) => {
      const stock = l.stockLineId ? this.stockLines.get(l.stockLineId) : undefined;
      if (!stock) return [];
      const reserved = stock.totalNumberOfPacks - stock.availableNumberOfPacks;
      return l.countedNumberOfPacks! < reserved ? [stock] : [];
    });
    if (below.length) return { reducedBelowZero: below, mismatched: [] };
    // the stock moved since the line took its snapshot: refused, nothing applied
    // (service/src/stocktake/update/validate.rs check_snapshot_matches_current_count)
    const mismatched = counted.filter((l) => {
      const stock = l.stockLineId ? this.stockLines.get(l.stockLineId) : undefined;
      return stock !== undefined && stock.totalNumberOfPacks !== l.snapshotNumberOfPacks;
    });
    if (mismatched.length) return { reducedBelowZero: [], mismatched };
    for (const l of counted) {
      const stock = l.stockLineId ? this.stockLines.get(l.stockLineId) : undefined;
      if (stock) {
        const delta = l.countedNumberOfPacks! - stock.totalNumberOfPacks;
        // unchanged or added to, the stock line takes the line's batch as it stands, none if the
        // line has none (stocktake/update/generate.rs generate_stock_in_out_or_update: a
        // StockUpdate or a stock-in line written over the stock line); taken from, the line's
        // batch where it has one (a stock-out line: stock_out_line/insert/generate.rs
        // generate_batch_update). Either way the line's expiry, none if it has none (cleared: a
        // StockUpdate's or stock-in line's expiry_date, a stock-out line's NullableUpdate), and
        // its pack size where it has one: the counted packs are that pack size's
        stock.batch = delta >= 0 ? l.batch : (l.batch ?? stock.batch);
        stock.expiryDate = l.expiryDate;
        stock.packSize = l.packSize ?? stock.packSize;
        stock.more = moreAfterCount(stock.more, l.more, delta);
        stock.totalNumberOfPacks += delta;
        stock.availableNumberOfPacks += delta;
        this.ledger.record(stock, delta, adjustmentType(delta), this.iso(), 'Stocktake');
      } else {
        const id = `stock-${l.id}`;
        this.stockLines.set(id, {
          id,
          storeId: stocktake.storeId,
          itemId: l.itemId,
          batch: l.batch,
          expiryDate: l.expiryDate,
          packSize: l.packSize ?? 0,
          totalNumberOfPacks: l.countedNumberOfPacks!,
          availableNumberOfPacks: l.countedNumberOfPacks!,
          onHold: false,
          more: moreAfterCount({}, l.more, l.countedNumberOfPacks!),
        });
        l.stockLineId = id;
        this.ledger.record(
          this.stockLines.get(id)!,
          l.countedNumberOfPacks!,
          'INVENTORY_ADDITION',
          this.iso(),
          'Stocktake',
        );
      }
    }
    stocktake.status = 'FINALISED';
    stocktake.finalisedDatetime = this.iso();
    return { reducedBelowZero: [], mismatched: [] };
  }

  counts() {
    const reqs = [...this.requisitions.values()];
    return {
      requisitions: reqs.length,
      requestRequisitions: reqs.filter((r) => r.type === 'REQUEST').length,
      responseRequisitions: reqs.filter((r) => r.type === 'RESPONSE').length,
      requisitionLines: this.requisitionLines.size,
      logins: this.logins,
      refreshes: this.refreshes,
      tokens: this.tokens.size,
      stocktakes: this.stocktakes.size,
      finalisedStocktakes: [...this.stocktakes.values()].filter((x) => x.status === 'FINALISED').length,
      inboundShipments: [...this.invoices.values()].filter((i) => i.type === 'INBOUND_SHIPMENT').length,
      receivedShipments: [...this.invoices.values()].filter(
        (i) => i.type === 'INBOUND_SHIPMENT' && (i.status === 'RECEIVED' || i.status === 'VERIFIED'),
      ).length,
    };
  }
}
