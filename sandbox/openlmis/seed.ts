import { stableId } from './ids.js';
import type {
  ApiKey,
  Facility,
  FacilityOperator,
  FacilityType,
  FacilityTypeApprovedProduct,
  GeographicLevel,
  GeographicZone,
  Lot,
  OAuthClient,
  Orderable,
  Organization,
  ProcessingPeriod,
  ProcessingSchedule,
  Program,
  Reason,
  RequisitionGroup,
  StockNode,
  SupervisoryNode,
  User,
  ValidReasonAssignment,
  ValidSourceDestination,
} from './model.js';

/**
 * Reference data of our own ("Lakeland", an invented country), shaped like the OpenLMIS demo data:
 * 4 zone levels, health centres / a district hospital / warehouses, three programs, versioned
 * orderables with pack rules, a monthly schedule around "now", approved products, reasons, nodes.
 * Ids are stable (derived from codes) so a restart gives the same UUIDs.
 */
export interface SeedOptions {
  /** Reference clock for the processing periods (default: now). */
  now?: Date;
  /** Monthly periods before the current month (default 6). */
  periodsBack?: number;
  /** Monthly periods after the current month (default 2). */
  periodsAhead?: number;
  /** Extra generated health posts, to exercise paging (default 24). */
  extraHealthPosts?: number;
  /**
   * Requisition template: whether "calculated order quantity" is displayed. When it is (default),
   * a requested quantity needs an explanation; when it is not, a requested quantity is required.
   */
  calculatedOrderQuantityDisplayed?: boolean;
  /**
   * The integration user's (`mediator`) password; default `password`, as on OpenLMIS's demo
   * server. The demo sets a per-run value: a secret that is a word of the mediator's own output
   * (`password`) is masked wherever that word appears, and start-up warns about it.
   */
  mediatorPassword?: string;
}

export interface SeedData {
  levels: GeographicLevel[];
  zones: GeographicZone[];
  facilityTypes: FacilityType[];
  operators: FacilityOperator[];
  programs: Program[];
  facilities: Facility[];
  orderables: Orderable[];
  lots: Lot[];
  schedules: ProcessingSchedule[];
  periods: ProcessingPeriod[];
  approvedProducts: FacilityTypeApprovedProduct[];
  supervisoryNodes: SupervisoryNode[];
  requisitionGroups: RequisitionGroup[];
  users: User[];
  clients: OAuthClient[];
  apiKeys: ApiKey[];
  reasons: Reason[];
  validReasons: ValidReasonAssignment[];
  organizations: Organization[];
  nodes: StockNode[];
  validSourcesDestinations: ValidSourceDestination[];
  template: { id: string; calculatedOrderQuantityDisplayed: boolean };
  /** Opening stock (dispensing units) posted as a physical inventory at seed time. */
  openingStock: Array<{
    facilityCode: string;
    programCode: string;
    productCode: string;
    lotCode?: string;
    quantity: number;
    occurredDate: string;
  }>;
}

const id = (kind: string, code: string) => stableId(`${kind}:${code}`);

/** Reason ids created by stockmanagement migrations, present on every install (reference §4). */
export const MIGRATION_REASON_IDS = {
  transferIn: 'e3fc3cf3-da18-44b0-a220-77c985202e06',
  consumed: 'b5c27da7-bdda-4790-925a-9484c5dfb594',
  receipts: '313f2f5f-0c22-4626-8c49-3554ef763de3',
  beginningBalanceExcess: '84eb13c3-3e54-4687-8a5f-a9f20dcd0dac',
  beginningBalanceInsufficiency: 'f8bb41e2-ab43-4781-ae7a-7bf3b5116b82',
};

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function isoDate(d: Date): string {
  return d.toISOString().slice(0, 10);
}

function monthlyPeriods(scheduleId: string, now: Date, back: number, ahead: number): ProcessingPeriod[] {
  const out: ProcessingPeriod[] = [];
  for (let offset = -back; offset <= ahead; offset++) {
    const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + offset, 1));
    const end = new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 0));
    const name = `${MONTHS[start.getUTCMonth()]}${start.getUTCFullYear()}`;
    out.push({
      id: id('period', name),
      scheduleId,
      name,
      description: null,
      startDate: isoDate(start),
      endDate: isoDate(end),
      durationInMonths: 1,
    });
  }
  return out;
}

export function buildSeed(options: SeedOptions = {}): SeedData {
  const now = options.now ?? new Date();
  const levels: GeographicLevel[] = [
    { id: id('level', 'Country'), code: 'Country', name: 'Country', levelNumber: 1 },
    { id: id('level', 'Region'), code: 'Region', name: 'Region', levelNumber: 2 },
    { id: id('level', 'District'), code: 'District', name: 'District', levelNumber: 3 },
    { id: id('level', 'City'), code: 'City', name: 'City', levelNumber: 4 },
  ];
  const lvl = (code: string) => id('level', code);
  const zone = (
    code: string,
    name: string,
    level: string,
    parent: string | null,
    lat: number | null = null,
    lon: number | null = null,
    pop: number | null = null,
  ): GeographicZone => ({
    id: id('zone', code),
    code,
    name,
    levelId: lvl(level),
    parentId: parent ? id('zone', parent) : null,
    catchmentPopulation: pop,
    latitude: lat,
    longitude: lon,
    extraData: {},
  });
  const zones: GeographicZone[] = [
    zone('LKL', 'Lakeland', 'Country', null, -13.2, 34.3, 9800000),
    zone('LKL-N', 'Northern Highlands Region', 'Region', 'LKL', -10.9, 34.0, 2100000),
    zone('LKL-S', 'Southern Lakeshore Region', 'Region', 'LKL', -15.4, 35.1, 4300000),
    zone('LKL-N-MBR', 'Mberewa District', 'District', 'LKL-N', -10.4, 34.1, 310000),
    zone('LKL-N-TSG', 'Tsangano District', 'District', 'LKL-N', -11.2, 33.9, 270000),
    zone('LKL-S-CHL', 'Chilanga District', 'District', 'LKL-S', -15.1, 35.3, 420000),
    zone('LKL-S-CHL-TWN', 'Chilanga Town', 'City', 'LKL-S-CHL', -15.05, 35.32, 98000),
  ];
  const facilityTypes: FacilityType[] = [
    {
      id: id('ftype', 'health_center'),
      code: 'health_center',
      name: 'Health Center',
      description: null,
      displayOrder: 3,
      active: true,
      primaryHealthCare: true,
    },
    {
      id: id('ftype', 'dist_hosp'),
      code: 'dist_hosp',
      name: 'District Hospital',
      description: null,
      displayOrder: 4,
      active: true,
      primaryHealthCare: false,
    },
    {
      id: id('ftype', 'warehouse'),
      code: 'warehouse',
      name: 'Warehouse',
      description: null,
      displayOrder: 1,
      active: true,
      primaryHealthCare: false,
    },
  ];
  const operators: FacilityOperator[] = [
    { id: id('operator', 'moh'), code: 'moh', name: 'Ministry of Health', description: null, displayOrder: 1 },
    {
      id: id('operator', 'fbo'),
      code: 'fbo',
      name: 'Lakeland Faith Health Network',
      description: null,
      displayOrder: 2,
    },
  ];
  const programs: Program[] = [
    {
      id: id('program', 'FP01'),
      code: 'FP01',
      name: 'Family Planning',
      description: null,
      active: true,
      periodsSkippable: true,
      skipAuthorization: false,
      showNonFullSupplyTab: true,
      enableDatePhysicalStockCountCompleted: false,
    },
    {
      id: id('program', 'EM01'),
      code: 'EM01',
      name: 'Essential Medicines',
      description: 'Primary care essential medicines',
      active: true,
      periodsSkippable: false,
      skipAuthorization: false,
      showNonFullSupplyTab: false,
      enableDatePhysicalStockCountCompleted: false,
    },
    {
      id: id('program', 'IMM1'),
      code: 'IMM1',
      name: 'Immunization',
      description: null,
      active: true,
      periodsSkippable: false,
      skipAuthorization: true,
      showNonFullSupplyTab: false,
      enableDatePhysicalStockCountCompleted: false,
    },
  ];
  const prog = (code: string) => id('program', code);
  const supported = (codes: string[], locallyFulfilled = false) =>
    codes.map((c) => ({
      programId: prog(c),
      supportActive: true,
      supportLocallyFulfilled: locallyFulfilled,
      supportStartDate: '2020-01-01',
    }));
  const facility = (
    code: string,
    name: string,
    type: string,
    zoneCode: string,
    programCodes: string[],
    lonLat: [number, number] | null,
    extra: Partial<Facility> = {},
  ): Facility => ({
    id: id('facility', code),
    code,
    name,
    description: null,
    active: true,
    enabled: true,
    goLiveDate: '2020-01-01',
    goDownDate: null,
    comment: null,
    openLmisAccessible: true,
    typeId: id('ftype', type),
    zoneId: id('zone', zoneCode),
    operatorId: id('operator', 'moh'),
    location: lonLat,
    extraData: {},
    supportedPrograms: supported(programCodes),
    ...extra,
  });
  const facilities: Facility[] = [
    facility(
      'LK-HC-101',
      'Mberewa Health Centre',
      'health_center',
      'LKL-N-MBR',
      ['FP01', 'EM01', 'IMM1'],
      [34.121, -10.412],
    ),
    facility('LK-HC-102', 'Kasito Health Centre', 'health_center', 'LKL-N-MBR', ['FP01', 'EM01'], [34.187, -10.455]),
    facility('LK-HC-103', 'Tsangano Health Centre', 'health_center', 'LKL-N-TSG', ['FP01', 'EM01'], [33.912, -11.201], {
      operatorId: id('operator', 'fbo'),
    }),
    facility('LK-HC-104', 'Chilanga Town Clinic', 'health_center', 'LKL-S-CHL-TWN', ['EM01'], [35.318, -15.049]),
    facility('LK-HC-105', 'Nyali Health Centre (closed)', 'health_center', 'LKL-S-CHL', ['EM01'], null, {
      active: false,
      enabled: false,
      goDownDate: '2023-06-30',
    }),
    facility('LK-DH-201', 'Mberewa District Hospital', 'dist_hosp', 'LKL-N-MBR', ['FP01', 'EM01'], [34.102, -10.398]),
    {
      ...facility('LK-WH-301', 'Northern Regional Medical Store', 'warehouse', 'LKL-N', [], [34.015, -10.955]),
      supportedPrograms: supported(['FP01', 'EM01', 'IMM1'], true),
    },
    facility('LK-WH-302', 'Southern Regional Medical Store', 'warehouse', 'LKL-S', ['EM01'], [35.104, -15.377]),
  ];
  for (let i = 1; i <= (options.extraHealthPosts ?? 24); i++) {
    const code = `LK-HP-${String(400 + i)}`;
    facilities.push(
      facility(
        code,
        `Health Post ${String(i).padStart(2, '0')} Lakeshore`,
        'health_center',
        i % 2 ? 'LKL-S-CHL' : 'LKL-N-TSG',
        ['EM01'],
        [35 + i / 100, -15 + i / 100],
      ),
    );
  }

  const category = (name: string, order: number) => ({
    orderableDisplayCategoryId: id('category', name),
    orderableCategoryDisplayName: name,
    orderableCategoryDisplayOrder: order,
  });
  const tradeItem = (code: string) => id('tradeItem', code);
  const lastUpdated = '2024-01-15T08:00:00Z';
  const product = (
    code: string,
    name: string,
    programCode: string,
    cat: ReturnType<typeof category>,
    netContent: number,
    packRoundingThreshold: number,
    roundToZero: boolean,
    unit: string,
    price: number,
    displayOrder: number,
    extra: Partial<Orderable> = {},
  ): Orderable => ({
    id: id('orderable', code),
    versionNumber: 1,
    productCode: code,
    fullProductName: name,
    description: name,
    netContent,
    packRoundingThreshold,
    roundToZero,
    dispensable: { dispensingUnit: unit, displayUnit: unit },
    programs: [
      {
        programId: prog(programCode),
        ...cat,
        active: true,
        fullSupply: true,
        displayOrder,
        dosesPerPatient: 1,
        pricePerPack: price,
      },
    ],
    identifiers: { tradeItem: tradeItem(code) },
    extraData: {},
    lastUpdated,
    ...extra,
  });
  const contraceptives = category('Contraceptives', 1);
  const antibiotics = category('Antibiotics', 2);
  const analgesics = category('Analgesics', 3);
  const rehydration = category('Rehydration', 4);
  const vaccines = category('Vaccines', 5);
  const orderables: Orderable[] = [
    product(
      'FP-LNG30',
      'Levonorgestrel/Ethinylestradiol 150/30mcg, cycle',
      'FP01',
      contraceptives,
      84,
      42,
      false,
      'cycle',
      12.5,
      1,
    ),
    product(
      'FP-DMPA',
      'Medroxyprogesterone acetate 150mg/ml injection',
      'FP01',
      contraceptives,
      25,
      10,
      false,
      'vial',
      18.75,
      2,
    ),
    product('FP-CNDM', 'Male condom', 'FP01', contraceptives, 144, 72, false, 'each', 6.2, 3),
    product('FP-IMPL', 'Etonogestrel 68mg implant', 'FP01', contraceptives, 1, 0, false, 'each', 21.0, 4),
    product('EM-AMX250', 'Amoxicillin 250mg dispersible tablet', 'EM01', antibiotics, 100, 50, false, 'tablet', 3.4, 1),
    product('EM-PCM500', 'Paracetamol 500mg tablet', 'EM01', analgesics, 1000, 500, true, 'tablet', 5.9, 2),
    product('EM-ORS', 'Oral rehydration salts, sachet 20.5g', 'EM01', rehydration, 50, 25, false, 'sachet', 4.1, 3),
    product('EM-ZNC20', 'Zinc sulfate 20mg dispersible tablet', 'EM01', rehydration, 100, 30, false, 'tablet', 2.3, 4),
    product('EM-CTX480', 'Co-trimoxazole 480mg tablet', 'EM01', antibiotics, 1000, 200, false, 'tablet', 9.8, 5),
    product('IMM-BCG20', 'BCG vaccine, 20-dose vial', 'IMM1', vaccines, 20, 0, false, 'dose', 2.0, 1, {
      extraData: { useVVM: 'true' },
    }),
    product('IMM-MR10', 'Measles-rubella vaccine, 10-dose vial', 'IMM1', vaccines, 10, 0, false, 'dose', 4.5, 2, {
      extraData: { useVVM: 'true' },
    }),
  ];
  const lots: Lot[] = [
    {
      id: id('lot', 'LNG-2301'),
      lotCode: 'LNG-2301',
      expirationDate: '2027-03-31',
      manufactureDate: '2023-04-01',
      tradeItemId: tradeItem('FP-LNG30'),
      active: true,
    },
    {
      id: id('lot', 'LNG-2407'),
      lotCode: 'LNG-2407',
      expirationDate: '2028-06-30',
      manufactureDate: '2024-07-01',
      tradeItemId: tradeItem('FP-LNG30'),
      active: true,
    },
    {
      id: id('lot', 'BCG-A17'),
      lotCode: 'BCG-A17',
      expirationDate: '2026-11-30',
      manufactureDate: '2024-12-01',
      tradeItemId: tradeItem('IMM-BCG20'),
      active: true,
    },
    {
      id: id('lot', 'AMX-0915'),
      lotCode: 'AMX-0915',
      expirationDate: '2027-09-15',
      manufactureDate: '2024-09-15',
      tradeItemId: tradeItem('EM-AMX250'),
      active: true,
    },
  ];
  const schedule: ProcessingSchedule = {
    id: id('schedule', 'SCH-MONTHLY'),
    code: 'SCH-MONTHLY',
    name: 'Monthly',
    description: 'Monthly reporting',
    modifiedDate: null,
  };
  const periods = monthlyPeriods(schedule.id, now, options.periodsBack ?? 6, options.periodsAhead ?? 2);

  const approvedProducts: FacilityTypeApprovedProduct[] = [];
  for (const ft of facilityTypes) {
    for (const o of orderables) {
      const programId = o.programs[0].programId;
      approvedProducts.push({
        id: id('ftap', `${ft.code}:${o.productCode}`),
        versionNumber: 1,
        facilityTypeId: ft.id,
        orderableId: o.id,
        programId,
        maxPeriodsOfStock: ft.code === 'warehouse' ? 6 : 3,
        minPeriodsOfStock: 1,
        emergencyOrderPoint: 0.5,
        active: true,
      });
    }
  }

  const wh = id('facility', 'LK-WH-301');
  const supervisoryNodes: SupervisoryNode[] = [
    {
      id: id('snode', 'SN-NORTH'),
      code: 'SN-NORTH',
      name: 'Northern Region approval point',
      facilityId: wh,
      parentId: null,
      supplyLines: { [prog('FP01')]: wh, [prog('EM01')]: wh, [prog('IMM1')]: wh },
    },
    {
      id: id('snode', 'SN-MBR'),
      code: 'SN-MBR',
      name: 'Mberewa District approval point',
      facilityId: id('facility', 'LK-DH-201'),
      parentId: id('snode', 'SN-NORTH'),
      supplyLines: {},
    },
  ];
  const requisitionGroups: RequisitionGroup[] = [
    {
      id: id('rgroup', 'RGN-ALL'),
      code: 'RGN-ALL',
      supervisoryNodeId: id('snode', 'SN-NORTH'),
      memberFacilityIds: facilities.filter((f) => f.typeId !== id('ftype', 'warehouse')).map((f) => f.id),
      programSchedules: programs.map((p) => ({ programId: p.id, scheduleId: schedule.id })),
    },
  ];

  const all = (right: string): { right: string } => ({ right });
  const user = (
    username: string,
    firstName: string,
    lastName: string,
    home: string | null,
    rights: User['rights'],
  ): User => ({
    id: id('user', username),
    username,
    password: 'password',
    firstName,
    lastName,
    email: `${username}@lakeland-health.example`,
    homeFacilityId: home ? id('facility', home) : null,
    active: true,
    rights,
  });
  const hc101 = id('facility', 'LK-HC-101');
  const users: User[] = [
    user(
      'administrator',
      'Ada',
      'Banda',
      'LK-HC-101',
      [
        'REQUISITION_CREATE',
        'REQUISITION_DELETE',
        'REQUISITION_AUTHORIZE',
        'REQUISITION_APPROVE',
        'REQUISITION_VIEW',
        'ORDERS_EDIT',
        'ORDERS_VIEW',
        'ORDER_CREATE',
        'SHIPMENTS_EDIT',
        'SHIPMENTS_VIEW',
        'PODS_MANAGE',
        'PODS_VIEW',
        'FACILITIES_MANAGE',
        'GEOGRAPHIC_ZONES_MANAGE',
        'STOCK_ADJUST',
        'STOCK_INVENTORIES_EDIT',
        'STOCK_CARDS_VIEW',
        'STOCK_EVENTS_VIEW',
      ].map(all),
    ),
    // the mediator's integration user: creates, submits and authorizes for every facility, confirms PODs,
    // and deletes a requisition it initiated when the rest of the order is refused
    user(
      'mediator',
      'FHIR',
      'Mediator',
      null,
      [
        'REQUISITION_CREATE',
        'REQUISITION_DELETE',
        'REQUISITION_AUTHORIZE',
        'REQUISITION_VIEW',
        'ORDER_CREATE',
        'ORDERS_VIEW',
        'SHIPMENTS_VIEW',
        'PODS_MANAGE',
        'PODS_VIEW',
        'FACILITIES_MANAGE',
        'STOCK_ADJUST',
        'STOCK_INVENTORIES_EDIT',
        'STOCK_CARDS_VIEW',
      ].map(all),
    ),
    // a clerk who may create requisitions only at their home facility and only for Family Planning
    user('hcclerk', 'Chikondi', 'Phiri', 'LK-HC-101', [
      { right: 'REQUISITION_CREATE', facilityId: hc101, programId: prog('FP01') },
      { right: 'REQUISITION_VIEW', facilityId: hc101, programId: prog('FP01') },
    ]),
    user('dmanager', 'Daliso', 'Mwale', 'LK-DH-201', ['REQUISITION_AUTHORIZE', 'REQUISITION_VIEW'].map(all)),
    user('approver', 'Thoko', 'Nyirenda', 'LK-WH-301', [
      { right: 'REQUISITION_APPROVE', supervisoryNodeId: id('snode', 'SN-NORTH') },
      { right: 'REQUISITION_VIEW' },
    ]),
    user(
      'wclerk',
      'Wezi',
      'Kumwenda',
      'LK-WH-301',
      ['ORDERS_EDIT', 'ORDERS_VIEW', 'SHIPMENTS_EDIT', 'SHIPMENTS_VIEW', 'PODS_VIEW'].map((r) => ({
        right: r,
        facilityId: wh,
      })),
    ),
    user('viewer', 'Vitu', 'Gondwe', 'LK-HC-101', [{ right: 'REQUISITION_VIEW' }]),
  ];
  const clients: OAuthClient[] = [
    { clientId: 'user-client', secret: 'changeme', grants: ['password'] },
    { clientId: 'trusted-client', secret: 'secret', grants: ['client_credentials'] },
  ];
  const apiKeyClientId = 'api-key-client-20240115080000000';
  const apiKeys: ApiKey[] = [
    { token: stableId('api-key:mediator'), clientId: apiKeyClientId, createdDate: '2024-01-15T08:00:00Z' },
  ];
  clients.push({
    clientId: apiKeyClientId,
    secret: Buffer.from(apiKeyClientId).toString('base64'),
    grants: ['client_credentials'],
  });

  const reason = (
    key: string,
    name: string,
    reasonType: Reason['reasonType'],
    reasonCategory: Reason['reasonCategory'],
    isFreeTextAllowed = false,
    fixedId?: string,
  ): Reason => ({
    id: fixedId ?? id('reason', key),
    name,
    description: name,
    reasonType,
    reasonCategory,
    isFreeTextAllowed,
    tags: [],
  });
  const reasons: Reason[] = [
    reason('transferIn', 'Transfer In', 'CREDIT', 'TRANSFER', false, MIGRATION_REASON_IDS.transferIn),
    reason('transferOut', 'Transfer Out', 'DEBIT', 'TRANSFER', true),
    reason('consumed', 'Consumed', 'DEBIT', 'ADJUSTMENT', false, MIGRATION_REASON_IDS.consumed),
    reason('receipts', 'Receipts', 'CREDIT', 'ADJUSTMENT', false, MIGRATION_REASON_IDS.receipts),
    reason(
      'bbExcess',
      'Beginning Balance Excess',
      'CREDIT',
      'ADJUSTMENT',
      false,
      MIGRATION_REASON_IDS.beginningBalanceExcess,
    ),
    reason(
      'bbInsufficiency',
      'Beginning Balance Insufficiency',
      'DEBIT',
      'ADJUSTMENT',
      false,
      MIGRATION_REASON_IDS.beginningBalanceInsufficiency,
    ),
    reason('facilityReturn', 'Facility return', 'CREDIT', 'ADJUSTMENT'),
    reason('damage', 'Damage', 'DEBIT', 'ADJUSTMENT'),
    reason('expired', 'Expired', 'DEBIT', 'ADJUSTMENT'),
    reason('lost', 'Lost', 'DEBIT', 'ADJUSTMENT', true),
    reason('stolen', 'Stolen', 'DEBIT', 'ADJUSTMENT'),
    reason('coldChain', 'Cold chain failure', 'DEBIT', 'ADJUSTMENT'),
    reason('podRejected', 'Damaged on arrival', 'DEBIT', 'ADJUSTMENT'),
  ];
  const hiddenReasons = new Set([
    'Consumed',
    'Receipts',
    'Beginning Balance Excess',
    'Beginning Balance Insufficiency',
  ]);
  const validReasons: ValidReasonAssignment[] = [];
  for (const p of programs)
    for (const ft of facilityTypes)
      for (const r of reasons) {
        validReasons.push({
          id: id('vra', `${p.code}:${ft.code}:${r.name}`),
          programId: p.id,
          facilityTypeId: ft.id,
          reasonId: r.id,
          hidden: hiddenReasons.has(r.name),
        });
      }

  const organizations: Organization[] = [{ id: id('org', 'DONOR'), name: 'Lakeland Donor Pool' }];
  const nodes: StockNode[] = [
    ...facilities.map((f) => ({ id: id('node', f.code), referenceId: f.id, isRefDataFacility: true })),
    { id: id('node', 'DONOR'), referenceId: organizations[0].id, isRefDataFacility: false },
  ];
  const validSourcesDestinations: ValidSourceDestination[] = [];
  const whNode = id('node', 'LK-WH-301');
  for (const p of programs) {
    for (const ft of facilityTypes.filter((t) => t.code !== 'warehouse')) {
      validSourcesDestinations.push({
        id: id('vsd', `src:${p.code}:${ft.code}:WH`),
        kind: 'source',
        programId: p.id,
        facilityTypeId: ft.id,
        nodeId: whNode,
        isFreeTextAllowed: false,
      });
      validSourcesDestinations.push({
        id: id('vsd', `src:${p.code}:${ft.code}:DONOR`),
        kind: 'source',
        programId: p.id,
        facilityTypeId: ft.id,
        nodeId: id('node', 'DONOR'),
        isFreeTextAllowed: true,
      });
      validSourcesDestinations.push({
        id: id('vsd', `dst:${p.code}:${ft.code}:DH`),
        kind: 'destination',
        programId: p.id,
        facilityTypeId: ft.id,
        nodeId: id('node', 'LK-DH-201'),
        isFreeTextAllowed: false,
      });
    }
    for (const hc of facilities.filter((f) => f.typeId !== id('ftype', 'warehouse')).slice(0, 6)) {
      validSourcesDestinations.push({
        id: id('vsd', `dst:${p.code}:warehouse:${hc.code}`),
        kind: 'destination',
        programId: p.id,
        facilityTypeId: id('ftype', 'warehouse'),
        nodeId: id('node', hc.code),
        isFreeTextAllowed: false,
      });
    }
  }

  const seedDay = periods[0].startDate;
  const openingStock: SeedData['openingStock'] = [
    { facilityCode: 'LK-HC-101', programCode: 'FP01', productCode: 'FP-LNG30', quantity: 120, occurredDate: seedDay },
    {
      facilityCode: 'LK-HC-101',
      programCode: 'FP01',
      productCode: 'FP-LNG30',
      lotCode: 'LNG-2301',
      quantity: 60,
      occurredDate: seedDay,
    },
    { facilityCode: 'LK-HC-101', programCode: 'FP01', productCode: 'FP-CNDM', quantity: 1440, occurredDate: seedDay },
    { facilityCode: 'LK-HC-101', programCode: 'EM01', productCode: 'EM-AMX250', quantity: 800, occurredDate: seedDay },
    { facilityCode: 'LK-HC-101', programCode: 'EM01', productCode: 'EM-ORS', quantity: 150, occurredDate: seedDay },
    { facilityCode: 'LK-WH-301', programCode: 'FP01', productCode: 'FP-LNG30', quantity: 84000, occurredDate: seedDay },
    {
      facilityCode: 'LK-WH-301',
      programCode: 'EM01',
      productCode: 'EM-AMX250',
      quantity: 500000,
      occurredDate: seedDay,
    },
  ];

  return {
    levels,
    zones,
    facilityTypes,
    operators,
    programs,
    facilities,
    orderables,
    lots,
    schedules: [schedule],
    periods,
    approvedProducts,
    supervisoryNodes,
    requisitionGroups,
    users: options.mediatorPassword
      ? users.map((u) => (u.username === 'mediator' ? { ...u, password: options.mediatorPassword! } : u))
      : users,
    clients,
    apiKeys,
    reasons,
    validReasons,
    organizations,
    nodes,
    validSourcesDestinations,
    template: {
      id: id('template', 'default'),
      calculatedOrderQuantityDisplayed: options.calculatedOrderQuantityDisplayed ?? true,
    },
    openingStock,
  };
}
