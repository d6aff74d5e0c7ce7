import type { FastifyInstance } from 'fastify';
import { hasRight, permissionErrors, type Principal } from '../auth.js';
import type { SandboxContext } from '../context.js';
import { badRequest, notFound } from '../errors.js';
import type { StockCard } from '../model.js';
import { parsePageable, toPage } from '../paging.js';
import { bool, many, one, type Query } from '../query.js';
import { processStockEvent, sohAsOf, type StockEventInput } from '../stock.js';

/**
 * openlmis-stockmanagement (reference §4): stock events (UUID and code-based public API), v2 and
 * public stock card summaries, stock cards, valid reasons/sources/destinations. Stock events and
 * summaries accept API keys (no right check); user tokens need rights at the facility.
 */
export function registerStockRoutes(app: FastifyInstance, ctx: SandboxContext): void {
  const { store, dto } = ctx;

  const requireStockRight = (
    principal: Principal,
    right: string,
    facilityId?: string | null,
    programId?: string | null,
  ) => {
    if (principal.kind !== 'user') return;
    if (!hasRight(principal, right, { facilityId: facilityId ?? undefined, programId: programId ?? undefined }))
      throw permissionErrors.stockmanagement(right, {
        facilityId: facilityId ?? undefined,
        programId: programId ?? undefined,
      });
  };
  const noApiKey = (principal: Principal, right: string) => {
    if (principal.kind === 'apikey') throw permissionErrors.stockmanagement(right);
  };

  const postEvent = (principal: Principal, body: StockEventInput) => {
    const kindRight = (body.lineItems ?? []).some((l) => l.reasonId || l.sourceId || l.destinationId)
      ? 'STOCK_ADJUST'
      : 'STOCK_INVENTORIES_EDIT';
    requireStockRight(principal, kindRight, body.facilityId, body.programId);
    return processStockEvent(store, body, principal.user?.id ?? null);
  };

  app.post('/api/stockEvents', async (req, reply) => {
    const principal = ctx.auth(req);
    const id = postEvent(principal, (req.body ?? {}) as StockEventInput);
    // ResponseEntity<UUID>: the id as a JSON string
    return reply.code(201).type('application/json').send(JSON.stringify(id));
  });

  /** Code-based public API (stockmanagement ≥ 5.2.0): codes in, reason by name, no source/destination. */
  app.post('/api/public/stockEvents', async (req, reply) => {
    const principal = ctx.auth(req);
    const b = (req.body ?? {}) as {
      facility?: string;
      program?: string;
      signature?: string;
      documentNumber?: string;
      items?: Array<{ orderable?: string; lot?: string; quantity?: number; reason?: string; occurredDate?: string }>;
    };
    const facility = b.facility ? store.facilityByCode(b.facility) : undefined;
    if (!facility)
      throw badRequest(
        'stockmanagement.error.facility.code.notFound',
        'Facility not found for code: {0}',
        b.facility ?? null,
      );
    const program = b.program ? store.programByCode(b.program) : undefined;
    if (!program)
      throw badRequest(
        'stockmanagement.error.program.code.notFound',
        'Program not found for code: {0}',
        b.program ?? null,
      );
    const items = b.items ?? [];
    const missingProducts = [...new Set(items.map((i) => i.orderable ?? '').filter((c) => !store.orderableByCode(c)))];
    if (missingProducts.length)
      throw badRequest(
        'stockmanagement.error.orderable.codes.notFound',
        'Products with following codes not found: {0}',
        missingProducts.join(', '),
      );
    const missingLots = [
      ...new Set(
        items.map((i) => i.lot).filter((c): c is string => !!c && !store.seed.lots.some((l) => l.lotCode === c)),
      ),
    ];
    if (missingLots.length)
      throw badRequest(
        'stockmanagement.error.lot.codes.notFound',
        'Lots with following codes not found: {0}',
        missingLots.join(', '),
      );
    const missingReasons = [
      ...new Set(
        items.map((i) => i.reason).filter((n): n is string => !!n && !store.seed.reasons.some((r) => r.name === n)),
      ),
    ];
    if (missingReasons.length)
      throw badRequest(
        'stockmanagement.error.reason.names.notFound',
        'Reasons with following names not found: {0}',
        missingReasons.join(', '),
      );
    const id = postEvent(principal, {
      facilityId: facility.id,
      programId: program.id,
      signature: b.signature ?? null,
      documentNumber: b.documentNumber ?? null,
      lineItems: items.map((i) => ({
        orderableId: store.orderableByCode(i.orderable!)!.id,
        lotId: i.lot ? store.seed.lots.find((l) => l.lotCode === i.lot)!.id : null,
        quantity: i.quantity,
        occurredDate: i.occurredDate,
        reasonId: i.reason ? store.seed.reasons.find((r) => r.name === i.reason)!.id : null,
      })),
    });
    return reply.code(201).type('application/json').send(JSON.stringify(id));
  });

  const cardsFor = (facilityId: string, programId: string) =>
    [...store.stockCards.values()].filter((c) => c.facilityId === facilityId && c.programId === programId);
  const cardEntry = (c: StockCard, asOfDate?: string) => {
    const s = sohAsOf(c, asOfDate);
    return {
      stockCard: dto.href('stockCards', c.id),
      orderable: dto.href('orderables', c.orderableId),
      lot: c.lotId ? dto.href('lots', c.lotId) : null,
      stockOnHand: s.soh,
      occurredDate: s.occurredDate,
      processedDate: s.processedDate,
      active: s.soh > 0,
    };
  };

  /** One entry per approved product of the facility type and program (plus its cards); unpaged by default. */
  app.get('/api/v2/stockCardSummaries', async (req) => {
    const principal = ctx.auth(req);
    const q = req.query as Query;
    const programId = one(q, 'programId');
    const facilityId = one(q, 'facilityId');
    if (!programId) throw badRequest('stockmanagement.error.program.id.missing', 'Program ID missing.');
    if (!facilityId) throw badRequest('stockmanagement.error.facility.id.missing', 'Facility ID missing.');
    requireStockRight(principal, 'STOCK_CARDS_VIEW', facilityId, programId);
    const facility = store.facility(facilityId);
    if (!facility)
      throw notFound('stockmanagement.error.facility.notFound', 'Facility with ID {0} can not be found', facilityId);
    const asOfDate = one(q, 'asOfDate');
    const nonEmptyOnly = bool(q, 'nonEmptyOnly') ?? false;
    const orderableIds = many(q, 'orderableId');
    const orderableCode = one(q, 'orderableCode');
    const orderableName = one(q, 'orderableName');
    const lotCode = one(q, 'lotCode');
    const cards = cardsFor(facilityId, programId);
    const summaries = store
      .approvedProductsFor(facility.typeId, programId)
      .map((a) => store.orderable(a.orderableId)!)
      .filter(
        (o) =>
          (!orderableIds.length || orderableIds.includes(o.id)) &&
          (!orderableCode || o.productCode.toUpperCase().includes(orderableCode.toUpperCase())) &&
          (!orderableName || o.fullProductName.toUpperCase().includes(orderableName.toUpperCase())),
      )
      .sort((x, y) => x.productCode.localeCompare(y.productCode))
      .map((o) => {
        const mine = cards.filter(
          (c) => c.orderableId === o.id && (!lotCode || (c.lotId && store.lot(c.lotId)?.lotCode === lotCode)),
        );
        const entries = mine.map((c) => cardEntry(c, asOfDate));
        return {
          orderable: dto.versionRef('orderables', o.id, o.versionNumber),
          stockOnHand: entries.length ? entries.reduce((s, e) => s + e.stockOnHand, 0) : null,
          canFulfillForMe: entries,
        };
      })
      .filter((s) => !nonEmptyOnly || s.canFulfillForMe.length > 0);
    return toPage(summaries, parsePageable(q));
  });

  /** Public (code-based) summaries: only non-empty cards, codes out. */
  app.get('/api/public/stockCardSummaries', async (req) => {
    const principal = ctx.auth(req);
    const q = req.query as Query;
    const facility = store.facilityByCode(one(q, 'facility') ?? '');
    if (!facility)
      throw badRequest(
        'stockmanagement.error.facility.code.notFound',
        'Facility not found for code: {0}',
        one(q, 'facility') ?? null,
      );
    const program = store.programByCode(one(q, 'program') ?? '');
    if (!program)
      throw badRequest(
        'stockmanagement.error.program.code.notFound',
        'Program not found for code: {0}',
        one(q, 'program') ?? null,
      );
    requireStockRight(principal, 'STOCK_CARDS_VIEW', facility.id, program.id);
    const codes = many(q, 'code');
    const byOrderable = new Map<string, StockCard[]>();
    for (const c of cardsFor(facility.id, program.id)) {
      if (sohAsOf(c).soh === 0 && c.lineItems.length === 0) continue;
      const o = store.orderable(c.orderableId)!;
      if (codes.length && !codes.includes(o.productCode)) continue;
      byOrderable.set(o.id, [...(byOrderable.get(o.id) ?? []), c]);
    }
    const content = [...byOrderable.entries()]
      .map(([orderableId, cards]) => {
        const o = store.orderable(orderableId)!;
        const stockCards = cards.map((c) => {
          const s = sohAsOf(c);
          const lot = c.lotId ? store.lot(c.lotId) : undefined;
          return {
            lot: lot?.lotCode ?? null,
            orderable: o.productCode,
            stockOnHand: s.soh,
            expirationDate: lot?.expirationDate ?? null,
            occurredDate: s.occurredDate,
          };
        });
        return {
          program: program.code,
          orderable: o.productCode,
          totalStockOnHand: stockCards.reduce((s, c) => s + c.stockOnHand, 0),
          stockCards,
        };
      })
      .sort((a, b) => a.orderable.localeCompare(b.orderable));
    return toPage(content, parsePageable(q));
  });

  app.get<{ Params: { id: string } }>('/api/stockCards/:id', async (req) => {
    const principal = ctx.auth(req);
    noApiKey(principal, 'STOCK_CARDS_VIEW');
    const c = store.stockCards.get(req.params.id);
    if (!c) throw notFound('stockmanagement.error.stockCard.notFound', 'Stock card {0} not found.', req.params.id);
    requireStockRight(principal, 'STOCK_CARDS_VIEW', c.facilityId, c.programId);
    const reasonDto = (id: string | null) => {
      const r = id ? store.reason(id) : undefined;
      return r
        ? {
            id: r.id,
            name: r.name,
            description: r.description,
            reasonType: r.reasonType,
            reasonCategory: r.reasonCategory,
            isFreeTextAllowed: r.isFreeTextAllowed,
            tags: r.tags,
          }
        : null;
    };
    return {
      id: c.id,
      stockOnHand: sohAsOf(c).soh,
      facility: dto.facility(store.facility(c.facilityId)!),
      program: dto.program(store.program(c.programId)!),
      orderable: dto.orderable(store.orderable(c.orderableId)!),
      lot: c.lotId ? dto.lot(c.lotId) : null,
      isActive: sohAsOf(c).soh > 0,
      extraData: {},
      lineItems: c.lineItems.map((i) => ({
        id: i.id,
        quantity: i.quantity,
        quantityWithSign: i.signedQuantity,
        stockOnHand: i.stockOnHand,
        occurredDate: i.occurredDate,
        processedDate: i.processedDate,
        reason: reasonDto(i.reasonId),
        sourceId: i.sourceId,
        destinationId: i.destinationId,
        documentNumber: i.documentNumber,
        signature: i.signature,
        extraData: {},
      })),
    };
  });

  app.get('/api/validReasons', async (req) => {
    const principal = ctx.auth(req);
    noApiKey(principal, 'STOCK_CARD_LINE_ITEM_REASONS_VIEW');
    const q = req.query as Query;
    const program = one(q, 'program') ?? one(q, 'programId');
    const facilityType = one(q, 'facilityType') ?? one(q, 'facilityTypeId');
    const reasonTypes = many(q, 'reasonType');
    return store.seed.validReasons
      .filter((v) => (!program || v.programId === program) && (!facilityType || v.facilityTypeId === facilityType))
      .map((v) => ({ v, r: store.reason(v.reasonId)! }))
      .filter(({ r }) => !reasonTypes.length || reasonTypes.includes(r.reasonType))
      .map(({ v, r }) => ({
        id: v.id,
        program: dto.href('programs', v.programId),
        facilityType: dto.href('facilityTypes', v.facilityTypeId),
        hidden: v.hidden,
        reason: {
          id: r.id,
          name: r.name,
          description: r.description,
          reasonType: r.reasonType,
          reasonCategory: r.reasonCategory,
          isFreeTextAllowed: r.isFreeTextAllowed,
          tags: r.tags,
        },
      }));
  });
  app.get('/api/stockCardLineItemReasons', async (req) => {
    noApiKey(ctx.auth(req), 'STOCK_CARD_LINE_ITEM_REASONS_VIEW');
    return store.seed.reasons.map((r) => ({ ...r }));
  });

  for (const kind of ['source', 'destination'] as const) {
    app.get(kind === 'source' ? '/api/validSources' : '/api/validDestinations', async (req) => {
      const principal = ctx.auth(req);
      noApiKey(principal, 'STOCK_SOURCES_VIEW');
      const q = req.query as Query;
      const programId = one(q, 'programId');
      const facilityId = one(q, 'facilityId');
      const facility = facilityId ? store.facility(facilityId) : undefined;
      const list = store.seed.validSourcesDestinations.filter(
        (v) =>
          v.kind === kind &&
          (!programId || v.programId === programId) &&
          (!facility || v.facilityTypeId === facility.typeId),
      );
      return toPage(
        list.map((v) => {
          const node = store.seed.nodes.find((n) => n.id === v.nodeId)!;
          const name = node.isRefDataFacility
            ? store.facility(node.referenceId)?.name
            : store.seed.organizations.find((o) => o.id === node.referenceId)?.name;
          return {
            id: v.id,
            programId: v.programId,
            facilityTypeId: v.facilityTypeId,
            node: { id: node.id, referenceId: node.referenceId, refDataFacility: node.isRefDataFacility },
            name: name ?? null,
            isFreeTextAllowed: v.isFreeTextAllowed,
          };
        }),
        parsePageable(q),
      );
    });
  }
}
