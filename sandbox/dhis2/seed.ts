import { createHash } from 'node:crypto';

/**
 * The sandbox's DHIS2 world, invented for the demo: the same country as the OpenLMIS sandbox
 * ("Lakeland"), as a four-level org unit tree (National → Region → District → Facility, the shape
 * of the Sierra Leone demo's levels) with the facilities under the codes the OpenLMIS sandbox uses
 * (a shared national facility code), stock data elements per product and measure, a monthly and
 * a weekly data set, the built-in default category combo, users and a personal access token.
 */
export const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
const ALNUM = `0123456789${LETTERS}`;

/** A UID (letter + 10 alphanumerics) derived from a seed key: stable across restarts. */
export function seedUid(key: string): string {
  const b = createHash('sha256').update(`dhis2-sandbox\u001f${key}`).digest();
  let uid = LETTERS[b[0] % LETTERS.length];
  for (let i = 1; i < 11; i++) uid += ALNUM[b[i] % ALNUM.length];
  return uid;
}

/** Built-in default category model (dhis2-core `DefaultCategoryService`). */
export const DEFAULT_CATEGORY_COMBO = 'bjDvmb4bfuf';
export const DEFAULT_COC = 'HllvX50cXC0';

export interface SeedOrgUnit {
  code: string;
  name: string;
  shortName?: string;
  parent?: string;
  /** [longitude, latitude] */
  point?: [number, number];
  closedDate?: string;
  openingDate?: string;
}

export const ORG_UNIT_LEVELS = ['National', 'Region', 'District', 'Facility'];

export const SEED_ORG_UNITS: SeedOrgUnit[] = [
  { code: 'LKL', name: 'Lakeland', openingDate: '1964-07-06' },
  { code: 'LKL-N', name: 'Northern Highlands Region', shortName: 'Northern Highlands', parent: 'LKL' },
  { code: 'LKL-S', name: 'Southern Lakeshore Region', shortName: 'Southern Lakeshore', parent: 'LKL' },
  { code: 'LKL-N-MBR', name: 'Mberewa District', parent: 'LKL-N', point: [34.1, -10.4] },
  { code: 'LKL-N-TSG', name: 'Tsangano District', parent: 'LKL-N', point: [33.9, -11.2] },
  { code: 'LKL-S-CHL', name: 'Chilanga District', parent: 'LKL-S', point: [35.3, -15.1] },
  {
    code: 'LK-HC-101',
    name: 'Mberewa Health Centre',
    shortName: 'Mberewa HC',
    parent: 'LKL-N-MBR',
    point: [34.121, -10.412],
  },
  {
    code: 'LK-HC-102',
    name: 'Kasito Health Centre',
    shortName: 'Kasito HC',
    parent: 'LKL-N-MBR',
    point: [34.187, -10.455],
  },
  {
    code: 'LK-HC-103',
    name: 'Tsangano Health Centre',
    shortName: 'Tsangano HC',
    parent: 'LKL-N-TSG',
    point: [33.912, -11.201],
  },
  {
    code: 'LK-HC-104',
    name: 'Chilanga Town Clinic',
    shortName: 'Chilanga Town Clinic',
    parent: 'LKL-S-CHL',
    point: [35.318, -15.049],
  },
  {
    code: 'LK-HC-105',
    name: 'Nyali Health Centre',
    shortName: 'Nyali HC',
    parent: 'LKL-S-CHL',
    closedDate: '2023-06-30',
  },
  {
    code: 'LK-DH-201',
    name: 'Mberewa District Hospital',
    shortName: 'Mberewa DH',
    parent: 'LKL-N-MBR',
    point: [34.102, -10.398],
  },
  {
    code: 'LK-WH-301',
    name: 'Northern Regional Medical Store',
    shortName: 'Northern RMS',
    parent: 'LKL-N-MBR',
    point: [34.015, -10.955],
  },
  {
    code: 'LK-WH-302',
    name: 'Southern Regional Medical Store',
    shortName: 'Southern RMS',
    parent: 'LKL-S-CHL',
    point: [35.104, -15.377],
  },
];

/** DHIS2 product codes (products.json `codes.dhis2`) the stock data elements are made for. */
export const SEED_PRODUCT_CODES = [
  'FP_LNG30',
  'FP_DMPA',
  'FP_CNDM',
  'FP_IMPL',
  'EM_AMX250',
  'EM_PCM500',
  'EM_ORS',
  'EM_ZNC20',
  'EM_CTX480',
];

/** Stock measures: the data element code suffix and value type (dhis2-indicators.json names the same). */
export const SEED_MEASURES: { suffix: string; name: string; valueType: string }[] = [
  { suffix: 'SOH', name: 'stock on hand', valueType: 'INTEGER_ZERO_OR_POSITIVE' },
  { suffix: 'CONS', name: 'consumption', valueType: 'INTEGER_ZERO_OR_POSITIVE' },
  { suffix: 'RCVD', name: 'quantity received', valueType: 'INTEGER_ZERO_OR_POSITIVE' },
  { suffix: 'ADJ', name: 'adjustments', valueType: 'INTEGER' },
  { suffix: 'SOD', name: 'stock-out days', valueType: 'INTEGER_ZERO_OR_POSITIVE' },
  { suffix: 'MOS', name: 'months of stock', valueType: 'NUMBER' },
  { suffix: 'EXP90', name: 'stock expiring within 90 days', valueType: 'INTEGER_ZERO_OR_POSITIVE' },
];

/**
 * One disaggregated design beside the per-product data elements, as national HMIS often keep
 * family planning commodities: data elements `FP_SOH` and `FP_CONS` whose category combo has one
 * category option combo per commodity (code = the product's DHIS2 code). Implants are left out of
 * the category on purpose: a product the combo does not have.
 */
export const FP_COMMODITY_COMBO = {
  id: 'LkFpCommCmb',
  code: 'FP_COMMODITIES',
  name: 'Family planning commodities',
  options: [
    { code: 'FP_LNG30', name: 'Combined oral contraceptive' },
    { code: 'FP_DMPA', name: 'Injectable (DMPA)' },
    { code: 'FP_CNDM', name: 'Male condom' },
  ],
};

/** Data elements disaggregated by FP_COMMODITY_COMBO. */
export const FP_COMMODITY_DATA_ELEMENTS = [
  { code: 'FP_SOH', name: 'FP commodity stock on hand' },
  { code: 'FP_CONS', name: 'FP commodity consumption' },
];

export const MONTHLY_DATA_SET = {
  id: 'LkStockMnth',
  code: 'LMIS_STOCK_MONTHLY',
  name: 'LMIS stock (monthly)',
  periodType: 'Monthly',
};
export const WEEKLY_DATA_SET = {
  id: 'LkStockWkly',
  code: 'LMIS_STOCK_WEEKLY',
  name: 'LMIS stock (weekly)',
  periodType: 'Weekly',
};

export interface SeedUser {
  username: string;
  password: string;
  name: string;
  superuser: boolean;
  /** Data capture org units (codes, or UIDs a test set): data is entered for these and below them. */
  captureOrgUnits: string[];
  /**
   * Search org units (codes or UIDs): with the capture ones, the scope an open program's tracked
   * entities are reached in (ownership, E1102); none: the capture ones alone, DHIS2's fallback.
   */
  searchOrgUnits?: string[];
  /** Data sets the user may write data values of (data-write sharing); undefined: all. */
  dataSets?: string[];
}

export const SEED_USERS: SeedUser[] = [
  { username: 'admin', password: 'district', name: 'John Traore', superuser: true, captureOrgUnits: ['LKL'] },
  {
    username: 'mediator',
    password: 'Mediator-2024!',
    name: 'Supply Mediator',
    superuser: false,
    captureOrgUnits: ['LKL'],
    // an integration user searches the whole country: narrowing its capture org units alone
    // leaves the items' ownership in reach (E1000 without E1102)
    searchOrgUnits: ['LKL'],
  },
];

/** A personal access token of the mediator user: d2pat_ + 32 characters + a 10-digit checksum, as DHIS2 mints them. */
export const SEED_API_TOKEN = 'd2pat_LkSandboxMediatorToken0000000A1234567890';
