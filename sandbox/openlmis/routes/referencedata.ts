import type { FastifyInstance } from 'fastify';
import { hasRight, permissionErrors, type Principal } from '../auth.js';
import type { SandboxContext } from '../context.js';
import { badRequest, notFound } from '../errors.js';
import { isUuid, newId } from '../ids.js';
import type { Facility, Orderable } from '../model.js';
import { parsePageable, sortItems, toPage } from '../paging.js';
import { bool, many, one, type Query } from '../query.js';

/**
 * openlmis-referencedata (reference §2). Reads accept user tokens, service tokens and API keys;
 * writes need FACILITIES_MANAGE / GEOGRAPHIC_ZONES_MANAGE or a service token (never an API key).
 * `code` and `name` filters are case-insensitive SUBSTRING matches; default sort is name ASC.
 */
const like = (value: string, filter: string | undefined) =>
  !filter || value.toUpperCase().includes(filter.toUpperCase());

function requireManage(principal: Principal, right: string): void {
  if (principal.kind === 'apikey' || !hasRight(principal, right)) throw permissionErrors.referencedata(right);
}

export function registerReferenceDataRoutes(app: FastifyInstance, ctx: SandboxContext): void {
  const { store, dto } = ctx;
  const zoneAndDescendants = (zoneId: string, recurse: boolean): Set<string> => {
    const ids = new Set([zoneId]);
    if (!recurse) return ids;
    let grew = true;
    while (grew) {
      grew = false;
      for (const z of store.seed.zones)
        if (z.parentId && ids.has(z.parentId) && !ids.has(z.id)) {
          ids.add(z.id);
          grew = true;
        }
    }
    return ids;
  };

  const filterFacilities = (f: {
    ids?: string[];
    code?: string;
    name?: string;
    type?: string;
    zoneId?: string;
    recurse?: boolean;
    extraData?: Record<string, unknown>;
    active?: boolean;
  }): Facility[] => {
    const zones = f.zoneId ? zoneAndDescendants(f.zoneId, f.recurse ?? false) : undefined;
    return [...store.facilities.values()].filter(
      (x) =>
        (!f.ids?.length || f.ids.includes(x.id)) &&
        like(x.code, f.code) &&
        like(x.name, f.name) &&
        (!f.type || store.seed.facilityTypes.find((t) => t.id === x.typeId)?.code === f.type) &&
        (!zones || zones.has(x.zoneId)) &&
        (f.active === undefined || x.active === f.active) &&
        // jsonb containment (@>) on extraData
        (!f.extraData ||
          Object.entries(f.extraData).every(([k, v]) => JSON.stringify(x.extraData[k]) === JSON.stringify(v))),
    );
  };
  const queryFilter = (q: Query) => ({
    ids: many(q, 'id'),
    code: one(q, 'code'),
    name: one(q, 'name'),
    type: one(q, 'type'),
    zoneId: one(q, 'zoneId'),
    recurse: bool(q, 'recurse'),
  });
  const byName = [{ property: 'name', direction: 'ASC' as const }];

  app.get('/api/facilities', async (req) => {
    ctx.auth(req);
    const q = req.query as Query;
    return toPage(
      sortItems(filterFacilities(queryFilter(q)), parsePageable(q), byName).map((f) => dto.basicFacility(f)),
      parsePageable(q),
    );
  });
  app.get('/api/facilities/full', async (req) => {
    ctx.auth(req);
    const q = req.query as Query;
    return toPage(
      sortItems(filterFacilities(queryFilter(q)), parsePageable(q), byName).map((f) => dto.facility(f)),
      parsePageable(q),
    );
  });
  app.get('/api/facilities/minimal', async (req) => {
    ctx.auth(req);
    const q = req.query as Query;
    return toPage(
      sortItems(filterFacilities({ active: bool(q, 'active') }), parsePageable(q), byName).map((f) =>
        dto.minimalFacility(f),
      ),
      parsePageable(q),
    );
  });
  app.post('/api/facilities/search', async (req) => {
    ctx.auth(req);
    const q = req.query as Query;
    const body = (req.body ?? {}) as Record<string, unknown>;
    const allowed = new Set(['code', 'name', 'zone', 'zoneId', 'type', 'recurse', 'extraData', 'id']);
    if (Object.keys(body).some((k) => !allowed.has(k)))
      throw badRequest(
        'referenceData.error.facility.search.invalidParams',
        'To search facilities, you can provide only name, code, type, zoneId, recurse or extraData.',
      );
    const zone = body.zone as { id?: string } | string | undefined;
    const zoneId = typeof zone === 'string' ? zone : (zone?.id ?? (body.zoneId as string | undefined));
    const list = filterFacilities({
      code: body.code as string | undefined,
      name: body.name as string | undefined,
      type: body.type as string | undefined,
      zoneId,
      recurse: body.recurse === true,
      extraData: body.extraData as Record<string, unknown> | undefined,
    });
    return toPage(
      sortItems(list, parsePageable(q), byName).map((f) => dto.basicFacility(f)),
      parsePageable(q),
    );
  });
  app.get<{ Params: { id: string } }>('/api/facilities/:id', async (req) => {
    ctx.auth(req);
    const f = isUuid(req.params.id) ? store.facility(req.params.id) : undefined;
    if (!f) throw notFound('referenceData.error.facility.notFound', 'Facility not found');
    return dto.facility(f);
  });
  app.get<{ Params: { id: string } }>('/api/facilities/:id/approvedProducts', async (req) => {
    ctx.auth(req);
    const q = req.query as Query;
    const f = store.facility(req.params.id);
    if (!f) throw notFound('referenceData.error.facility.notFound', 'Facility not found');
    const programId = one(q, 'programId');
    const fullSupply = bool(q, 'fullSupply');
    const orderableIds = many(q, 'orderableId');
    const list = store.seed.approvedProducts
      .filter(
        (a) =>
          a.facilityTypeId === f.typeId &&
          (!programId || a.programId === programId) &&
          (!orderableIds.length || orderableIds.includes(a.orderableId)),
      )
      .filter((a) => {
        const o = store.orderable(a.orderableId)!;
        const po = o.programs.find((p) => p.programId === a.programId);
        return (
          (fullSupply === undefined || po?.fullSupply === fullSupply) &&
          like(o.productCode, one(q, 'orderableCode')) &&
          like(o.fullProductName, one(q, 'orderableName'))
        );
      });
    return toPage(
      list.map((a) => approvedProductDto(ctx, a.id)),
      parsePageable(q),
    );
  });

  const saveFacility = (
    principal: Principal,
    body: Record<string, any>,
    id: string,
    existing: Facility | undefined,
  ): Facility => {
    if (!body.code) throw badRequest('referenceData.error.facility.code.required', 'The facility code is required.');
    const clash = store.facilityByCode(String(body.code));
    if (clash && clash.id !== id)
      throw badRequest(
        'referenceData.error.facility.code.mustBeUnique',
        'The facility with given code already exists.',
      );
    const typeId = body.type?.id ?? store.seed.facilityTypes.find((t) => t.code === body.type?.code)?.id;
    if (!typeId || !store.seed.facilityTypes.some((t) => t.id === typeId))
      throw badRequest('referenceData.error.facilityType.notFound', 'Facility type not found');
    const zoneId = body.geographicZone?.id;
    if (!zoneId || !store.zone(zoneId))
      throw badRequest('referenceData.error.geographicZone.notFound', 'Geographic zone not found');
    const operatorId = body.operator?.id ?? null;
    if (operatorId && !store.seed.operators.some((o) => o.id === operatorId))
      throw badRequest('referenceData.error.facilityOperator.notFound', 'Facility operator not found');
    const extraData = (body.extraData && typeof body.extraData === 'object' ? body.extraData : {}) as Record<
      string,
      unknown
    >;
    // FhirLocationValidator: a user may not drop the "managed externally" flag set by a registry
    if (
      existing?.extraData.isManagedExternally === 'true' &&
      principal.kind === 'user' &&
      extraData.isManagedExternally !== 'true'
    ) {
      throw badRequest(
        'referenceData.error.facility.extraData.modifiedKey',
        "The facility contains key '{0}' with invalid value '{1}' in the extraData field.",
        'isManagedExternally',
        String(extraData.isManagedExternally ?? null),
      );
    }
    const programIds = new Set<string>();
    const supportedPrograms = (Array.isArray(body.supportedPrograms) ? body.supportedPrograms : []).map((sp: any) => {
      const program = sp.id ? store.program(sp.id) : store.programByCode(sp.code);
      if (!program) throw badRequest('referenceData.error.program.notFound', 'Program not found');
      if (programIds.has(program.id))
        throw badRequest(
          'referenceData.error.facility.supportedPrograms.duplicated',
          'Duplicate supported program found',
        );
      programIds.add(program.id);
      return {
        programId: program.id,
        supportActive: sp.supportActive ?? true,
        supportLocallyFulfilled: sp.supportLocallyFulfilled ?? false,
        supportStartDate: sp.supportStartDate ?? null,
      };
    });
    const coords = body.location?.coordinates;
    const facility: Facility = {
      id,
      code: String(body.code),
      name: String(body.name ?? ''),
      description: body.description ?? null,
      active: body.active ?? true,
      enabled: body.enabled ?? true,
      goLiveDate: body.goLiveDate ?? null,
      goDownDate: body.goDownDate ?? null,
      comment: body.comment ?? null,
      openLmisAccessible: body.openLmisAccessible ?? true,
      typeId,
      zoneId,
      operatorId,
      location: Array.isArray(coords) && coords.length === 2 ? [Number(coords[0]), Number(coords[1])] : null,
      extraData,
      supportedPrograms,
    };
    store.facilities.set(id, facility);
    if (!store.nodeForFacility(id)) store.seed.nodes.push({ id: newId(), referenceId: id, isRefDataFacility: true });
    return facility;
  };

  app.post('/api/facilities', async (req, reply) => {
    const principal = ctx.auth(req);
    requireManage(principal, 'FACILITIES_MANAGE');
    const f = saveFacility(principal, (req.body ?? {}) as Record<string, any>, newId(), undefined);
    return reply.code(201).send(dto.facility(f));
  });
  app.put<{ Params: { id: string } }>('/api/facilities/:id', async (req) => {
    const principal = ctx.auth(req);
    requireManage(principal, 'FACILITIES_MANAGE');
    const body = (req.body ?? {}) as Record<string, any>;
    if (body.id && body.id !== req.params.id)
      throw badRequest(
        'referenceData.error.facility.idMismatch',
        'Facility ID mismatch. The ID that was provided in the facility body differs from the one in url.',
      );
    return dto.facility(saveFacility(principal, body, req.params.id, store.facility(req.params.id)));
  });

  // ---- zones, levels, types, operators ----
  app.get('/api/geographicZones', async (req) => {
    ctx.auth(req);
    const q = req.query as Query;
    const level = one(q, 'levelNumber');
    const list = store.seed.zones.filter(
      (z) => !level || store.seed.levels.find((l) => l.id === z.levelId)?.levelNumber === Number(level),
    );
    return toPage(
      sortItems(list, parsePageable(q), byName).map((z) => dto.zone(z)),
      parsePageable(q),
    );
  });
  app.get<{ Params: { id: string } }>('/api/geographicZones/:id', async (req) => {
    ctx.auth(req);
    const z = store.zone(req.params.id);
    if (!z) throw notFound('referenceData.error.geographicZone.notFound', 'Geographic zone not found');
    return dto.zone(z);
  });
  app.post('/api/geographicZones/search', async (req) => {
    ctx.auth(req);
    const q = req.query as Query;
    const b = (req.body ?? {}) as Record<string, any>;
    const parentId = typeof b.parent === 'string' ? b.parent : b.parent?.id;
    const list = store.seed.zones.filter(
      (z) =>
        (!parentId || z.parentId === parentId) &&
        like(z.name, b.name) &&
        like(z.code, b.code) &&
        (!b.levelNumber || store.seed.levels.find((l) => l.id === z.levelId)?.levelNumber === Number(b.levelNumber)),
    );
    return toPage(
      sortItems(list, parsePageable(q), byName).map((z) => dto.zone(z)),
      parsePageable(q),
    );
  });
  app.post('/api/geographicZones', async (req, reply) => {
    const principal = ctx.auth(req);
    requireManage(principal, 'GEOGRAPHIC_ZONES_MANAGE');
    const b = (req.body ?? {}) as Record<string, any>;
    if (!b.code)
      throw badRequest('referenceData.error.geographicZone.code.required', 'The geographic zone code is required.');
    if (!b.level?.id || !store.seed.levels.some((l) => l.id === b.level.id))
      throw badRequest('referenceData.error.geographicZone.level.required', 'The geographic level is required.');
    const zone = {
      id: newId(),
      code: String(b.code),
      name: String(b.name ?? ''),
      levelId: b.level.id,
      parentId: b.parent?.id ?? null,
      catchmentPopulation: b.catchmentPopulation ?? null,
      latitude: b.latitude ?? null,
      longitude: b.longitude ?? null,
      extraData: b.extraData ?? {},
    };
    store.seed.zones.push(zone);
    return reply.code(201).send(dto.zone(zone));
  });
  app.get('/api/geographicLevels', async (req) => {
    ctx.auth(req);
    return toPage(
      store.seed.levels.map((l) => dto.level(l.id)),
      parsePageable(req.query as Query),
    );
  });
  app.get('/api/facilityTypes', async (req) => {
    ctx.auth(req);
    return toPage(
      store.seed.facilityTypes.map((t) => ({ ...t })),
      parsePageable(req.query as Query),
    );
  });
  app.get('/api/facilityOperators', async (req) => {
    ctx.auth(req);
    return store.seed.operators.map((o) => ({ ...o }));
  });

  // ---- supervisory nodes and supply lines (where a requisition goes once approved) ----
  // GET /api/supervisoryNodes: facilityId and programId find the node of the requisition group
  // holding the facility with that program's schedule (referencedata RAML)
  app.get('/api/supervisoryNodes', async (req) => {
    ctx.auth(req);
    const q = req.query as Query;
    const ids = many(q, 'id');
    const facilityId = one(q, 'facilityId');
    const programId = one(q, 'programId');
    const grouped = (nodeId: string) =>
      store.seed.requisitionGroups.some(
        (g) =>
          g.supervisoryNodeId === nodeId &&
          (!facilityId || g.memberFacilityIds.includes(facilityId)) &&
          (!programId || g.programSchedules.some((s) => s.programId === programId)),
      );
    const nodes = store.seed.supervisoryNodes.filter(
      (n) =>
        (!ids.length || ids.includes(n.id)) &&
        like(n.code, one(q, 'code')) &&
        (!facilityId && !programId ? true : grouped(n.id)),
    );
    return toPage(
      nodes.map((n) => ({
        id: n.id,
        code: n.code,
        name: n.name,
        facility: { id: n.facilityId },
        parentNode: n.parentId ? { id: n.parentId } : null,
      })),
      parsePageable(q),
    );
  });
  app.get('/api/supplyLines', async (req) => {
    ctx.auth(req);
    const q = req.query as Query;
    const programId = one(q, 'programId');
    const nodeId = one(q, 'supervisoryNodeId');
    const depots = many(q, 'supplyingFacilityId');
    const lines = store.seed.supervisoryNodes.flatMap((n) =>
      Object.entries(n.supplyLines)
        .filter(
          ([program, depot]) =>
            (!programId || program === programId) &&
            (!nodeId || n.id === nodeId) &&
            (!depots.length || depots.includes(depot)),
        )
        .map(([program, depot]) => ({
          id: `${n.id.slice(0, 18)}${program.slice(18)}`,
          supervisoryNode: { id: n.id },
          program: { id: program },
          supplyingFacility: { id: depot },
        })),
    );
    return toPage(lines, parsePageable(q));
  });

  // ---- programs (a bare array, not a page) ----
  app.get('/api/programs', async (req) => {
    ctx.auth(req);
    const q = req.query as Query;
    const ids = many(q, 'id');
    const codes = many(q, 'code');
    return store.seed.programs
      .filter(
        (p) =>
          (!ids.length || ids.includes(p.id)) &&
          (!codes.length || codes.includes(p.code)) &&
          like(p.name, one(q, 'name')),
      )
      .map((p) => dto.program(p));
  });
  app.get<{ Params: { id: string } }>('/api/programs/:id', async (req) => {
    ctx.auth(req);
    const p = store.program(req.params.id);
    if (!p) throw notFound('referenceData.error.program.notFound', 'Program not found');
    return dto.program(p);
  });

  // ---- orderables (versioned) ----
  const filterOrderables = (f: {
    ids: string[];
    exactCodes: string[];
    code?: string;
    name?: string;
    programCodes: string[];
    identities?: Array<{ id: string; versionNumber?: number }>;
  }): Orderable[] => {
    const base = f.identities?.length
      ? f.identities.map((i) => store.orderable(i.id, i.versionNumber)).filter((o): o is Orderable => !!o)
      : store.latestOrderables();
    const programIds = f.programCodes.map((c) => store.programByCode(c)?.id).filter(Boolean);
    return base.filter(
      (o) =>
        (!f.ids.length || f.ids.includes(o.id)) &&
        (!f.exactCodes.length || f.exactCodes.includes(o.productCode)) &&
        like(o.productCode, f.code) &&
        like(o.fullProductName, f.name) &&
        (!f.programCodes.length || o.programs.some((p) => programIds.includes(p.programId))),
    );
  };
  const byCode = [{ property: 'productCode', direction: 'ASC' as const }];
  app.get('/api/orderables', async (req, reply) => {
    ctx.auth(req);
    const q = req.query as Query;
    const list = filterOrderables({
      ids: many(q, 'id'),
      exactCodes: many(q, 'exactCode'),
      code: one(q, 'code'),
      name: one(q, 'name'),
      programCodes: many(q, 'program'),
    });
    const since = req.headers['if-modified-since'];
    const newest = list.reduce((m, o) => (o.lastUpdated > m ? o.lastUpdated : m), '');
    if (since && newest && Date.parse(newest) <= Date.parse(String(since))) return reply.code(304).send();
    if (newest) reply.header('last-modified', new Date(newest).toUTCString());
    const pageable = parsePageable(q);
    return toPage(
      sortItems(list, pageable, byCode).map((o) => dto.orderable(o)),
      pageable,
    );
  });
  app.post('/api/orderables/search', async (req) => {
    ctx.auth(req);
    const q = req.query as Query;
    const b = (req.body ?? {}) as Record<string, any>;
    const list = filterOrderables({
      ids: [],
      exactCodes: [],
      code: b.code,
      name: b.name,
      programCodes: b.programCode ? [b.programCode] : [],
      identities: b.identities,
    });
    const pageable = parsePageable(q);
    return toPage(
      sortItems(list, pageable, byCode).map((o) => dto.orderable(o)),
      pageable,
    );
  });
  app.get<{ Params: { id: string } }>('/api/orderables/:id', async (req) => {
    ctx.auth(req);
    const v = one(req.query as Query, 'versionNumber');
    const o = store.orderable(req.params.id, v === undefined ? undefined : Number(v));
    if (!o) throw notFound('referenceData.error.orderable.notFound', 'Orderable not found');
    return dto.orderable(o);
  });

  app.get('/api/lots', async (req) => {
    ctx.auth(req);
    const q = req.query as Query;
    const tradeItems = [
      ...many(q, 'tradeItemId'),
      ...many(q, 'orderableId')
        .map((id) => store.orderable(id)?.identifiers.tradeItem)
        .filter((x): x is string => !!x),
    ];
    const ids = many(q, 'id');
    const lotCode = one(q, 'lotCode');
    const from = one(q, 'expirationDateFrom');
    const to = one(q, 'expirationDateTo');
    const list = store.seed.lots.filter(
      (l) =>
        (!ids.length || ids.includes(l.id)) &&
        (!tradeItems.length || tradeItems.includes(l.tradeItemId)) &&
        (!lotCode || l.lotCode === lotCode) &&
        (!from || (l.expirationDate ?? '') >= from) &&
        (!to || (l.expirationDate ?? '9999') <= to),
    );
    return toPage(
      list.map((l) => dto.lot(l.id)),
      parsePageable(q),
    );
  });

  // ---- schedules and periods ----
  app.get('/api/processingPeriods', async (req) => {
    ctx.auth(req);
    const q = req.query as Query;
    const programId = one(q, 'programId');
    const facilityId = one(q, 'facilityId');
    if ((programId && !facilityId) || (!programId && facilityId))
      throw badRequest(
        'referenceData.error.processingPeriod.search.invalidParams',
        'Program and facility must be provided together.',
      );
    const ids = many(q, 'id');
    let list = programId && facilityId ? store.periodsFor(programId, facilityId) : [...store.seed.periods];
    const scheduleId = one(q, 'processingScheduleId');
    const start = one(q, 'startDate');
    const end = one(q, 'endDate');
    list = list.filter(
      (p) =>
        (!ids.length || ids.includes(p.id)) &&
        (!scheduleId || p.scheduleId === scheduleId) &&
        (!start || p.endDate >= start) &&
        (!end || p.startDate <= end),
    );
    const pageable = parsePageable(q);
    return toPage(
      sortItems(list, pageable, [{ property: 'startDate', direction: 'ASC' }]).map((p) => dto.period(p)),
      pageable,
    );
  });
  app.get<{ Params: { id: string } }>('/api/processingPeriods/:id', async (req) => {
    ctx.auth(req);
    const p = store.period(req.params.id);
    if (!p) throw notFound('referenceData.error.processingPeriod.notFound', 'Processing period not found');
    return dto.period(p);
  });
  app.get('/api/processingSchedules', async (req) => {
    ctx.auth(req);
    return toPage(
      store.seed.schedules.map((s) => dto.schedule(s.id)),
      parsePageable(req.query as Query),
    );
  });
  app.get('/api/facilityTypeApprovedProducts', async (req) => {
    ctx.auth(req);
    const q = req.query as Query;
    const type = store.seed.facilityTypes.find((t) => t.code === one(q, 'facilityType'));
    if (!type)
      throw badRequest(
        'referenceData.error.facilityTypeApprovedProduct.facilityType.required',
        'Facility type is required.',
      );
    const programs = many(q, 'program').map((c) => store.programByCode(c)?.id);
    const list = store.seed.approvedProducts.filter(
      (a) => a.facilityTypeId === type.id && (!programs.length || programs.includes(a.programId)),
    );
    return toPage(
      list.map((a) => approvedProductDto(ctx, a.id)),
      parsePageable(q),
    );
  });
}

export function approvedProductDto(ctx: SandboxContext, ftapId: string) {
  const a = ctx.store.seed.approvedProducts.find((x) => x.id === ftapId)!;
  return {
    id: a.id,
    orderable: ctx.dto.orderable(ctx.store.orderable(a.orderableId)!),
    program: ctx.dto.program(ctx.store.program(a.programId)!),
    facilityType: ctx.dto.facilityType(a.facilityTypeId),
    maxPeriodsOfStock: a.maxPeriodsOfStock,
    minPeriodsOfStock: a.minPeriodsOfStock,
    emergencyOrderPoint: a.emergencyOrderPoint,
    active: a.active,
    meta: { versionNumber: a.versionNumber, lastUpdated: '2024-01-15T08:00:00Z' },
  };
}
