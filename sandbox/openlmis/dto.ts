import type { SandboxStore } from './state.js';
import type { Facility, GeographicZone, Orderable, ProcessingPeriod, Program, User } from './model.js';

/**
 * JSON shapes of the referencedata DTOs and of the copies other services embed (reference §2.2,
 * §7): referencedata facilities carry location/extraData and `programActive`; the fulfillment and
 * requisition services' own facility DTO has neither and reports `supportedPrograms[].active: null`.
 */
export class Dto {
  constructor(
    private readonly store: SandboxStore,
    private readonly baseUrl: () => string,
  ) {}

  href(path: string, id: string): { id: string; href: string } {
    return { id, href: `${this.baseUrl()}/api/${path}/${id}` };
  }

  versionRef(path: string, id: string, versionNumber: number): { id: string; href: string; versionNumber: number } {
    return { ...this.href(path, id), versionNumber };
  }

  level(levelId: string) {
    const l = this.store.seed.levels.find((x) => x.id === levelId)!;
    return { id: l.id, code: l.code, name: l.name, levelNumber: l.levelNumber };
  }

  /** Zone with its parent chain nested; `nullParent` mirrors services that serialise `"parent": null`. */
  zone(zone: GeographicZone, nullParent = false): Record<string, unknown> {
    const out: Record<string, unknown> = {
      id: zone.id,
      code: zone.code,
      name: zone.name,
      level: this.level(zone.levelId),
    };
    if (zone.catchmentPopulation !== null) out.catchmentPopulation = zone.catchmentPopulation;
    if (zone.latitude !== null) out.latitude = zone.latitude;
    if (zone.longitude !== null) out.longitude = zone.longitude;
    const parent = zone.parentId ? this.store.zone(zone.parentId) : undefined;
    if (parent) out.parent = this.zone(parent, nullParent);
    else if (nullParent) out.parent = null;
    if (!nullParent) out.extraData = zone.extraData;
    return out;
  }

  facilityType(typeId: string) {
    const t = this.store.seed.facilityTypes.find((x) => x.id === typeId)!;
    return {
      id: t.id,
      code: t.code,
      name: t.name,
      description: t.description,
      displayOrder: t.displayOrder,
      active: t.active,
    };
  }

  operator(operatorId: string | null) {
    const o = operatorId ? this.store.seed.operators.find((x) => x.id === operatorId) : undefined;
    return o ? { id: o.id, code: o.code, name: o.name, displayOrder: o.displayOrder } : null;
  }

  basicFacility(f: Facility) {
    return {
      id: f.id,
      code: f.code,
      name: f.name,
      active: f.active,
      enabled: f.enabled,
      type: this.facilityType(f.typeId),
      geographicZone: this.zone(this.store.zone(f.zoneId)!),
    };
  }

  minimalFacility(f: Facility) {
    return { id: f.id, code: f.code, name: f.name, active: f.active };
  }

  /** referencedata FacilityDto (GET /api/facilities/{id}). */
  facility(f: Facility) {
    return {
      id: f.id,
      code: f.code,
      name: f.name,
      description: f.description,
      active: f.active,
      enabled: f.enabled,
      goLiveDate: f.goLiveDate,
      goDownDate: f.goDownDate,
      comment: f.comment,
      type: this.facilityType(f.typeId),
      geographicZone: this.zone(this.store.zone(f.zoneId)!),
      operator: this.operator(f.operatorId),
      openLmisAccessible: f.openLmisAccessible,
      location: f.location ? { type: 'Point', coordinates: [f.location[0], f.location[1]] } : null,
      extraData: f.extraData,
      supportedPrograms: f.supportedPrograms.map((sp) => {
        const p = this.store.program(sp.programId)!;
        return {
          id: p.id,
          code: p.code,
          name: p.name,
          description: p.description,
          programActive: p.active,
          periodsSkippable: p.periodsSkippable,
          showNonFullSupplyTab: p.showNonFullSupplyTab,
          supportActive: sp.supportActive,
          supportLocallyFulfilled: sp.supportLocallyFulfilled,
          supportStartDate: sp.supportStartDate,
        };
      }),
    };
  }

  /**
   * The facility copy embedded by fulfillment/requisition (their own FacilityDto class). The
   * requisition service's supported programs are full ProgramDtos (requisition programDto.json).
   */
  embeddedFacility(facilityId: string, flavour: 'fulfillment' | 'requisition' = 'fulfillment') {
    const f = this.store.facility(facilityId)!;
    return {
      id: f.id,
      code: f.code,
      name: f.name,
      description: f.description,
      active: f.active,
      goLiveDate: f.goLiveDate,
      goDownDate: f.goDownDate,
      comment: f.comment,
      enabled: f.enabled,
      openLmisAccessible: f.openLmisAccessible,
      supportedPrograms: f.supportedPrograms.map((sp) => {
        const p = this.store.program(sp.programId)!;
        const base = {
          id: p.id,
          code: p.code,
          name: p.name,
          description: p.description,
          active: null as boolean | null,
          periodsSkippable: p.periodsSkippable,
          showNonFullSupplyTab: p.showNonFullSupplyTab,
          supportLocallyFulfilled: sp.supportLocallyFulfilled,
        };
        return flavour === 'requisition'
          ? {
              ...base,
              active: p.active,
              skipAuthorization: p.skipAuthorization,
              enableDatePhysicalStockCountCompleted: p.enableDatePhysicalStockCountCompleted,
            }
          : base;
      }),
      geographicZone: this.zone(this.store.zone(f.zoneId)!, true),
      operator: this.operator(f.operatorId),
      type: this.facilityType(f.typeId),
    };
  }

  program(p: Program) {
    return {
      id: p.id,
      code: p.code,
      name: p.name,
      description: p.description,
      active: p.active,
      periodsSkippable: p.periodsSkippable,
      skipAuthorization: p.skipAuthorization,
      showNonFullSupplyTab: p.showNonFullSupplyTab,
      enableDatePhysicalStockCountCompleted: p.enableDatePhysicalStockCountCompleted,
    };
  }

  /** referencedata OrderableDto. */
  orderable(o: Orderable) {
    return {
      id: o.id,
      productCode: o.productCode,
      dispensable: o.dispensable,
      fullProductName: o.fullProductName,
      description: o.description,
      netContent: o.netContent,
      packRoundingThreshold: o.packRoundingThreshold,
      roundToZero: o.roundToZero,
      programs: o.programs.map((p) => ({ ...p, orderableId: o.id, priceChanges: [] })),
      children: [],
      identifiers: o.identifiers,
      extraData: o.extraData,
      meta: { versionNumber: o.versionNumber, lastUpdated: o.lastUpdated },
      minimumTemperature: null,
      maximumTemperature: null,
      inBoxCubeDimension: null,
    };
  }

  /** Orderable copy embedded in fulfillment order lines (no programs/children). */
  embeddedOrderable(o: Orderable) {
    return {
      id: o.id,
      productCode: o.productCode,
      fullProductName: o.fullProductName,
      description: o.description,
      netContent: o.netContent,
      packRoundingThreshold: o.packRoundingThreshold,
      roundToZero: o.roundToZero,
      dispensable: o.dispensable,
      identifiers: o.identifiers,
      extraData: o.extraData,
      meta: { versionNumber: o.versionNumber, lastUpdated: o.lastUpdated },
    };
  }

  schedule(scheduleId: string) {
    const s = this.store.seed.schedules.find((x) => x.id === scheduleId)!;
    return { id: s.id, code: s.code, name: s.name, description: s.description, modifiedDate: s.modifiedDate };
  }

  period(p: ProcessingPeriod) {
    return {
      id: p.id,
      name: p.name,
      description: p.description,
      startDate: p.startDate,
      endDate: p.endDate,
      durationInMonths: p.durationInMonths,
      processingSchedule: this.schedule(p.scheduleId),
      extraData: {},
    };
  }

  user(u: User) {
    return {
      id: u.id,
      username: u.username,
      firstName: u.firstName,
      lastName: u.lastName,
      email: u.email,
      timezone: 'UTC',
      verified: true,
      active: u.active,
      homeFacilityId: u.homeFacilityId,
      extraData: {},
    };
  }

  lot(lotId: string) {
    const l = this.store.lot(lotId)!;
    return {
      id: l.id,
      lotCode: l.lotCode,
      expirationDate: l.expirationDate,
      manufactureDate: l.manufactureDate,
      tradeItemId: l.tradeItemId,
      active: l.active,
    };
  }
}
