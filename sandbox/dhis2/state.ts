import { Logins } from './logins.js';
import { ImportFailures } from './import-failures.js';
import {
  DEFAULT_CATEGORY_COMBO,
  DEFAULT_COC,
  FP_COMMODITY_COMBO,
  FP_COMMODITY_DATA_ELEMENTS,
  MONTHLY_DATA_SET,
  ORG_UNIT_LEVELS,
  SEED_API_TOKEN,
  SEED_MEASURES,
  SEED_ORG_UNITS,
  SEED_PRODUCT_CODES,
  SEED_USERS,
  WEEKLY_DATA_SET,
  seedUid,
  type SeedOrgUnit,
  type SeedUser,
} from './seed.js';

/**
 * The sandbox's DHIS2 database, in memory: org units (hierarchy derived from parents, as DHIS2
 * keeps `path` and `level`), data elements, data sets, data values keyed as DHIS2 keys them
 * (data element, period, org unit, COC, AOC), users and tokens, and request counters tests read.
 */
type Json = Record<string, any>;

export interface OrgUnit {
  id: string;
  code?: string;
  name: string;
  shortName: string;
  parentId?: string;
  openingDate: string;
  closedDate?: string;
  geometry?: { type: string; coordinates: unknown };
  description?: string;
  created: string;
  lastUpdated: string;
}

export interface DataElement {
  id: string;
  code: string;
  name: string;
  shortName: string;
  valueType: string;
  aggregationType: string;
  /**
   * DHIS2 stores a zero of a numeric data element only when this is true (its default is false):
   * otherwise an import skips the zero and counts it `ignored`, leaving any stored value as it was.
   */
  zeroIsSignificant: boolean;
  domainType: 'AGGREGATE' | 'TRACKER';
  categoryCombo: { id: string };
}

export interface CategoryCombo {
  id: string;
  code?: string;
  name: string;
  isDefault: boolean;
  categoryOptionCombos: { id: string; code?: string; name: string }[];
}

/** An explicit data input period of a data set: its values may be entered only between these dates (inclusive). */
export interface DataInputPeriod {
  period: string;
  openingDate?: string;
  closingDate?: string;
}

export interface DataSet {
  id: string;
  code: string;
  name: string;
  periodType: string;
  dataElements: string[];
  organisationUnits: string[];
  /** Days after a period's end its values may still be entered (0: no expiry, DataSet.NO_EXPIRY). */
  expiryDays: number;
  /** How many periods from the current one are open (0: only past periods, DHIS2's default). */
  openFuturePeriods: number;
  /** When set, values are taken only for these periods between their dates (data entry timeliness). */
  dataInputPeriods: DataInputPeriod[];
  /** Lock exceptions: `orgUnitUid|period` an administrator reopened past the expiry days. */
  lockExceptions: Set<string>;
}

/**
 * The seeded data sets are open: no expiry, and far enough into the future that tests on any
 * day send to any period they name (a real instance often keeps 0, only past periods).
 */
export const OPEN_FUTURE_PERIODS = 1000;

export interface DataValue {
  dataElement: string;
  period: string;
  orgUnit: string;
  categoryOptionCombo: string;
  attributeOptionCombo: string;
  value: string;
  comment?: string;
  followup: boolean;
  storedBy: string;
  created: string;
  lastUpdated: string;
}

/**
 * Many more facilities and products than the demo's, for benchmarks (a national month): org units
 * under a district with these codes, stock data elements for these product codes.
 */
export interface BulkSeed {
  orgUnits: string[];
  products: string[];
}

/** The data values, also indexed by org unit: a read of one org unit's values does not scan a national table. */
export class ValuesByOrgUnit extends Map<string, DataValue> {
  private readonly byOrgUnit = new Map<string, Set<string>>();

  override set(key: string, value: DataValue): this {
    super.set(key, value);
    // Map's constructor calls set before the index field exists (it is always empty then)
    if (this.byOrgUnit) {
      let keys = this.byOrgUnit.get(value.orgUnit);
      if (!keys) this.byOrgUnit.set(value.orgUnit, (keys = new Set()));
      keys.add(key);
    }
    return this;
  }

  override delete(key: string): boolean {
    const value = this.get(key);
    if (value) this.byOrgUnit.get(value.orgUnit)?.delete(key);
    return super.delete(key);
  }

  override clear(): void {
    this.byOrgUnit.clear();
    super.clear();
  }

  ofOrgUnit(orgUnit: string): DataValue[] {
    return [...(this.byOrgUnit.get(orgUnit) ?? [])].map((k) => this.get(k)!);
  }
}

/** A DHIS2 timestamp: ISO without a zone, milliseconds kept. */
export const stamp = (d = new Date()) => d.toISOString().replace(/Z$/, '');

export class Dhis2State {
  readonly orgUnits = new Map<string, OrgUnit>();
  readonly dataElements = new Map<string, DataElement>();
  readonly dataSets = new Map<string, DataSet>();
  /** The built-in default combo and the seeded disaggregations (DHIS2 keeps each COC in one combo). */
  readonly categoryCombos = new Map<string, CategoryCombo>([
    [
      DEFAULT_CATEGORY_COMBO,
      {
        id: DEFAULT_CATEGORY_COMBO,
        code: 'default',
        name: 'default',
        isDefault: true,
        categoryOptionCombos: [{ id: DEFAULT_COC, code: 'default', name: 'default' }],
      },
    ],
    [
      FP_COMMODITY_COMBO.id,
      {
        id: FP_COMMODITY_COMBO.id,
        code: FP_COMMODITY_COMBO.code,
        name: FP_COMMODITY_COMBO.name,
        isDefault: false,
        categoryOptionCombos: FP_COMMODITY_COMBO.options.map((o) => ({
          id: seedUid(`coc:${o.code}`),
          code: o.code,
          name: o.name,
        })),
      },
    ],
  ]);
  readonly dataValues = new ValuesByOrgUnit();
  readonly users: SeedUser[] = SEED_USERS.map((u) => ({
    ...u,
    captureOrgUnits: [...u.captureOrgUnits],
    searchOrgUnits: u.searchOrgUnits && [...u.searchOrgUnits],
  }));
  readonly tokens = new Map<string, string>([[SEED_API_TOKEN, 'mediator']]);
  /** Failed logins, locked and disabled accounts (logins.ts). */
  readonly logins = new Logins();
  /** Requests by `METHOD /path` (tests count writes), and list reads that asked for paging=false. */
  readonly hits = new Map<string, number>();
  pagingFalse = 0;
  /** Imports (data values, tracker) that fail on their own next, as a database outage makes them. */
  readonly importFailures = new ImportFailures();
  /** The server's time zone: what system/info reports, the zone tracker events keep their times in. */
  timeZone = 'Etc/UTC';
  /** Added to Date.now() for data entry timeliness (tests say "today is the 20th"): now(). */
  clockOffsetMs = 0;
  /** dataValueSets requests and the data values they carried, for the "exactly once" checks. */
  readonly imports: { values: number; imported: number; updated: number; ignored: number }[] = [];

  constructor(
    public version: string,
    bulk?: BulkSeed,
  ) {
    const now = stamp(new Date(Date.UTC(2024, 0, 15, 8)));
    const bulkOrgUnits = (bulk?.orgUnits ?? []).map((code) => ({
      code,
      name: `Bench facility ${code}`,
      parent: 'LKL-S-CHL',
    }));
    for (const s of [...SEED_ORG_UNITS, ...bulkOrgUnits] as SeedOrgUnit[]) {
      const id = seedUid(`orgUnit:${s.code}`);
      this.orgUnits.set(id, {
        id,
        code: s.code,
        name: s.name,
        shortName: s.shortName ?? s.name,
        parentId: s.parent ? seedUid(`orgUnit:${s.parent}`) : undefined,
        openingDate: `${s.openingDate ?? '1990-01-01'}T00:00:00.000`,
        closedDate: s.closedDate ? `${s.closedDate}T00:00:00.000` : undefined,
        geometry: s.point ? { type: 'Point', coordinates: s.point } : undefined,
        created: now,
        lastUpdated: now,
      });
    }
    for (const product of [...SEED_PRODUCT_CODES, ...(bulk?.products ?? [])]) {
      for (const m of SEED_MEASURES) {
        const code = `${product}_${m.suffix}`;
        const id = seedUid(`dataElement:${code}`);
        this.dataElements.set(id, {
          id,
          code,
          name: `${product} ${m.name}`,
          shortName: `${product} ${m.suffix}`,
          valueType: m.valueType,
          aggregationType: m.suffix === 'SOH' || m.suffix === 'MOS' ? 'LAST' : 'SUM',
          // set up as an LMIS needs them: a zero stock on hand is a stock-out, not "nothing"
          zeroIsSignificant: true,
          domainType: 'AGGREGATE',
          categoryCombo: { id: DEFAULT_CATEGORY_COMBO },
        });
      }
    }
    for (const d of FP_COMMODITY_DATA_ELEMENTS) {
      const id = seedUid(`dataElement:${d.code}`);
      this.dataElements.set(id, {
        id,
        code: d.code,
        name: d.name,
        shortName: d.name.slice(0, 50),
        valueType: 'INTEGER_ZERO_OR_POSITIVE',
        aggregationType: d.code.endsWith('SOH') ? 'LAST' : 'SUM',
        zeroIsSignificant: true,
        domainType: 'AGGREGATE',
        categoryCombo: { id: FP_COMMODITY_COMBO.id },
      });
    }
    const facilities = [...this.orgUnits.values()]
      .filter((o) => this.levelOf(o) === ORG_UNIT_LEVELS.length)
      .map((o) => o.id);
    for (const ds of [MONTHLY_DATA_SET, WEEKLY_DATA_SET]) {
      this.dataSets.set(ds.id, {
        ...ds,
        dataElements: [...this.dataElements.keys()],
        organisationUnits: facilities,
        expiryDays: 0,
        openFuturePeriods: OPEN_FUTURE_PERIODS,
        dataInputPeriods: [],
        lockExceptions: new Set(),
      });
    }
  }

  /** The sandbox's date and time (the clock tests move). */
  now(): Date {
    return new Date(Date.now() + this.clockOffsetMs);
  }

  /** A user's UID, as `/api/me` gives it. */
  userUid(user: SeedUser): string {
    return seedUid(`user:${user.username}`);
  }

  userNamed(username: string): SeedUser | undefined {
    return this.users.find((u) => u.username === username);
  }

  /** Whether a user may capture data for the org unit: it or one of its ancestors is one of the user's. */
  inCaptureHierarchy(user: SeedUser, ou: OrgUnit): boolean {
    const mine = new Set(user.captureOrgUnits.map((code) => this.orgUnitByCode(code)?.id ?? code));
    return mine.has(ou.id) || this.ancestorsOf(ou).some((a) => mine.has(a.id));
  }

  /** Whether a user may write data values of the data set (data-write sharing; a superuser always). */
  canDataWrite(user: SeedUser, ds: DataSet): boolean {
    return user.superuser || !user.dataSets || user.dataSets.includes(ds.id);
  }

  hit(method: string, path: string): void {
    const key = `${method} ${path}`;
    this.hits.set(key, (this.hits.get(key) ?? 0) + 1);
  }

  count(method: string, path: string): number {
    return this.hits.get(`${method} ${path}`) ?? 0;
  }

  /** Ancestors from the root down (as `path` lists them). */
  ancestorsOf(ou: OrgUnit): OrgUnit[] {
    const out: OrgUnit[] = [];
    for (
      let p = ou.parentId ? this.orgUnits.get(ou.parentId) : undefined;
      p && out.length < 50;
      p = p.parentId ? this.orgUnits.get(p.parentId) : undefined
    )
      out.unshift(p);
    return out;
  }

  levelOf(ou: OrgUnit): number {
    return this.ancestorsOf(ou).length + 1;
  }

  orgUnitByCode(code: string): OrgUnit | undefined {
    return this.byCode(this.orgUnitCodes, this.orgUnits, code);
  }

  /**
   * A lookup by code that remembers where it found each one (a national import looks up the same
   * few codes hundreds of thousands of times), checked on every hit: a code changed or an object
   * removed since is looked up afresh.
   */
  private byCode<T extends { id: string; code?: string }>(seen: Map<string, T>, all: Map<string, T>, code: string) {
    const hit = seen.get(code);
    if (hit && hit.code === code && all.get(hit.id) === hit) return hit;
    const found = [...all.values()].find((o) => o.code === code);
    if (found) seen.set(code, found);
    return found;
  }

  private readonly orgUnitCodes = new Map<string, OrgUnit>();
  private readonly dataElementCodes = new Map<string, DataElement>();

  /** The org unit as the API shows it: stored fields plus level, path, parent, children, leaf, ancestors. */
  orgUnitView(ou: OrgUnit): Json {
    const ancestors = this.ancestorsOf(ou);
    const children = [...this.orgUnits.values()].filter((c) => c.parentId === ou.id).map((c) => ({ id: c.id }));
    const view: Json = {
      id: ou.id,
      code: ou.code,
      name: ou.name,
      shortName: ou.shortName,
      displayName: ou.name,
      displayShortName: ou.shortName,
      created: ou.created,
      lastUpdated: ou.lastUpdated,
      level: ancestors.length + 1,
      path: `/${[...ancestors.map((a) => a.id), ou.id].join('/')}`,
      openingDate: ou.openingDate,
      closedDate: ou.closedDate,
      description: ou.description,
      parent: ou.parentId ? { id: ou.parentId } : undefined,
      children,
      // computed by DHIS2 (OrganisationUnit.isLeaf: no children), read by dhis2-fhir-adapter
      leaf: children.length === 0,
      ancestors: ancestors.map((a) => ({ id: a.id, name: a.name, displayName: a.name, code: a.code })),
      dataSets: [...this.dataSets.values()]
        .filter((d) => d.organisationUnits.includes(ou.id))
        .map((d) => ({ id: d.id })),
      // the rest of what a full GET shows (dhis2-android-sdk organisation_unit.json)
      externalAccess: false,
      deleted: false,
      dimensionItem: ou.id,
      dimensionItemType: 'ORGANISATION_UNIT',
      access: { read: true, updateWithSection: true, externalize: false, delete: true, write: true, manage: true },
      userGroupAccesses: [],
      attributeValues: [],
      users: [],
      organisationUnitGroups: [],
      programs: [],
    };
    if (this.major() >= 32) view.geometry = ou.geometry;
    else if (ou.geometry?.type === 'Point')
      Object.assign(view, { featureType: 'POINT', coordinates: JSON.stringify(ou.geometry.coordinates) });
    return view;
  }

  /** 2.x → x (2.41.3 → 41). */
  major(): number {
    return Number(/^2\.(\d+)/.exec(this.version)?.[1] ?? 41);
  }

  dataElementBy(scheme: string, key: string): DataElement | undefined {
    return scheme === 'CODE' ? this.byCode(this.dataElementCodes, this.dataElements, key) : this.dataElements.get(key);
  }

  orgUnitBy(scheme: string, key: string): OrgUnit | undefined {
    return scheme === 'CODE' ? this.orgUnitByCode(key) : this.orgUnits.get(key);
  }

  /** The category combo of a data element (DHIS2 falls back to the default when none is set). */
  comboOf(de: DataElement): CategoryCombo {
    return this.categoryCombos.get(de.categoryCombo.id) ?? this.categoryCombos.get(DEFAULT_CATEGORY_COMBO)!;
  }

  /** Any category option combo by UID, in whichever combo it is. */
  cocById(id: string): { id: string; code?: string; name: string } | undefined {
    for (const c of this.categoryCombos.values()) {
      const coc = c.categoryOptionCombos.find((o) => o.id === id);
      if (coc) return coc;
    }
    return undefined;
  }

  valueKey(
    v: Pick<DataValue, 'dataElement' | 'period' | 'orgUnit' | 'categoryOptionCombo' | 'attributeOptionCombo'>,
  ): string {
    return [v.dataElement, v.period, v.orgUnit, v.categoryOptionCombo, v.attributeOptionCombo].join('|');
  }

  /** Codes → UIDs of the seeded world, for tests and the demo configuration. */
  summary() {
    return {
      version: this.version,
      orgUnits: Object.fromEntries([...this.orgUnits.values()].filter((o) => o.code).map((o) => [o.code!, o.id])),
      dataElements: Object.fromEntries([...this.dataElements.values()].map((d) => [d.code, d.id])),
      dataSets: { monthly: MONTHLY_DATA_SET.id, weekly: WEEKLY_DATA_SET.id },
      defaultCategoryOptionCombo: DEFAULT_COC,
      categoryOptionCombos: Object.fromEntries(
        [...this.categoryCombos.values()].flatMap((c) => c.categoryOptionCombos.map((o) => [o.code ?? o.id, o.id])),
      ),
      users: this.users.map((u) => ({ username: u.username, password: u.password })),
      apiToken: SEED_API_TOKEN,
    };
  }
}
