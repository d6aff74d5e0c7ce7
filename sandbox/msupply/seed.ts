import type { Item, Name, NameVisibility, StockLine, Store, User } from './model.js';

/**
 * The sandbox's own data for the demo's facilities: a central warehouse supplying two health
 * centres, the integration user `mediator`/`password` acting in all three, and items whose codes
 * are the `msupply` column of fhir-mappings/products.json (pack sizes as there). Ids are fixed so
 * tests and the demo can name them.
 */
export const SEED_PASSWORD = 'password';

export interface Seed {
  users: User[];
  stores: Store[];
  names: Name[];
  visibility: NameVisibility[];
  items: Item[];
  stockLines: StockLine[];
}

const store = (n: number, code: string, name: string): { store: Store; name: Name } => {
  const id = `store-${code.toLowerCase()}`;
  const nameId = `name-${code.toLowerCase()}`;
  return {
    store: { id, code, name, nameId, siteId: n },
    name: { id: nameId, code, name, storeId: id, isCustomer: true, isSupplier: true },
  };
};

export function buildSeed(): Seed {
  const wh = store(1, 'WH-CENTRAL', 'Central Medical Store');
  const north = store(2, 'HC-NORTH', 'North Health Centre');
  const south = store(3, 'HC-SOUTH', 'South Health Centre');
  const other = store(4, 'HC-EAST', 'East Health Centre');
  const all = [wh, north, south, other];
  const external: Name = {
    id: 'name-donor',
    code: 'DONOR-1',
    name: 'Donor Agency',
    isCustomer: false,
    isSupplier: false,
    isManufacturer: true,
  };
  // a customer of the warehouse without an Open mSupply site of its own
  const clinic: Name = {
    id: 'name-clinic-west',
    code: 'CL-WEST',
    name: 'West Community Clinic',
    isCustomer: true,
    isSupplier: false,
  };
  const visibility: NameVisibility[] = [
    { storeId: wh.store.id, nameId: clinic.id, isCustomer: true, isSupplier: false },
  ];
  for (const hc of [north, south, other]) {
    // each health centre sees the warehouse as its supplier; the warehouse sees it as a customer
    visibility.push({ storeId: hc.store.id, nameId: wh.name.id, isCustomer: false, isSupplier: true });
    visibility.push({ storeId: wh.store.id, nameId: hc.name.id, isCustomer: true, isSupplier: false });
    visibility.push({ storeId: hc.store.id, nameId: external.id, isCustomer: false, isSupplier: false });
  }
  const items: Item[] = [
    {
      id: 'item-amx250',
      code: 'AMX250T',
      name: 'Amoxicillin 250mg dispersible tablet',
      defaultPackSize: 100,
      unitName: 'tablet',
    },
    { id: 'item-pcm500', code: 'PCM500T', name: 'Paracetamol 500mg tablet', defaultPackSize: 1000, unitName: 'tablet' },
    {
      id: 'item-ors',
      code: 'ORS205S',
      name: 'Oral rehydration salts, sachet 20.5g',
      defaultPackSize: 50,
      unitName: 'sachet',
    },
    {
      id: 'item-znc20',
      code: 'ZNC20T',
      name: 'Zinc sulfate 20mg dispersible tablet',
      defaultPackSize: 100,
      unitName: 'tablet',
    },
    {
      id: 'item-ctx480',
      code: 'CTX480T',
      name: 'Co-trimoxazole 480mg tablet',
      defaultPackSize: 1000,
      unitName: 'tablet',
    },
  ];
  const stockLines: StockLine[] = items.flatMap((item, i) => [
    {
      id: `stock-wh-${item.code.toLowerCase()}`,
      storeId: wh.store.id,
      itemId: item.id,
      batch: `B${2026}${i}`,
      expiryDate: '2028-06-30',
      packSize: item.defaultPackSize,
      totalNumberOfPacks: 500,
      availableNumberOfPacks: 500,
      onHold: false,
    },
    {
      id: `stock-hcn-${item.code.toLowerCase()}`,
      storeId: north.store.id,
      itemId: item.id,
      batch: `N${2026}${i}`,
      expiryDate: '2027-12-31',
      packSize: item.defaultPackSize,
      totalNumberOfPacks: 10,
      availableNumberOfPacks: 10,
      onHold: false,
    },
  ]);
  return {
    users: [
      {
        id: 'user-mediator',
        username: 'mediator',
        password: SEED_PASSWORD,
        storeIds: [wh.store.id, north.store.id, south.store.id],
        failedLogins: 0,
      },
      { id: 'user-nosite', username: 'visitor', password: SEED_PASSWORD, storeIds: [], failedLogins: 0 },
    ],
    stores: all.map((s) => s.store),
    names: [...all.map((s) => s.name), external, clinic],
    visibility,
    items,
    stockLines,
  };
}
