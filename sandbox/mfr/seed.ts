/**
 * The registry's starting directory: the demo country "Lakeland" as mCSD jurisdictions (country →
 * regions → districts → a town) and facilities, under the same codes the OpenLMIS and DHIS2
 * sandboxes use (sandbox/openlmis/seed.ts, sandbox/dhis2/seed.ts: LK-HC-101 …, zones LKL-…), with
 * their names and positions, each facility `partOf` its district (or region, for the regional
 * stores, as OpenLMIS has them). The OpenLMIS sandbox's extra health posts (LK-HP-401 …) are seeded
 * too, so the registry holds every facility that sandbox lists.
 *
 * What does not line up, and is therefore not seeded: the OpenMRS sandbox's locations carry other
 * Master Facility Codes (SBX-10001 …, in Kenya, Tanzania, Brazil …) and the Open mSupply sandbox's
 * stores have their own codes (WH-CENTRAL, HC-NORTH …); a test that needs one of them in the
 * registry opens it through the state API (`MfrState.open`).
 */
export const REGISTRY_CODE_SYSTEM = 'http://fhir-supply-mediator.org/fhir/identifier/registry-facility-code';
export const MCSD_TYPES = 'https://profiles.ihe.net/ITI/mCSD/CodeSystem/IHE.mCSD.Organization.Location.Types';
/** GOFR's 2019-era mCSD profiles code the facility type as a URN in the RFC 3986 system. */
export const URN_SYSTEM = 'urn:ietf:rfc:3986';
export const GOFR_FACILITY = 'urn:ihe:iti:mcsd:2019:facility';
export const GOFR_JURISDICTION = 'urn:ihe:iti:mcsd:2019:jurisdiction';
export const PHYSICAL_TYPES = 'http://terminology.hl7.org/CodeSystem/location-physical-type';
export const SERVICE_TYPES = 'http://terminology.hl7.org/CodeSystem/v3-RoleCode';

/** Which generation of mCSD type codes the directory writes. */
export type TypeCodes = 'mcsd4' | 'gofr2019';

export interface SeedJurisdiction {
  code: string;
  name: string;
  parent?: string;
  /** [longitude, latitude] */
  point?: [number, number];
}

export interface SeedFacility {
  code: string;
  name: string;
  parent: string;
  /** v3 RoleCode service type (HOSP, COMM …) */
  service: string;
  point?: [number, number];
  status?: 'active' | 'inactive';
}

export const SEED_JURISDICTIONS: SeedJurisdiction[] = [
  { code: 'LKL', name: 'Lakeland', point: [34.3, -13.2] },
  { code: 'LKL-N', name: 'Northern Highlands Region', parent: 'LKL', point: [34.0, -10.9] },
  { code: 'LKL-S', name: 'Southern Lakeshore Region', parent: 'LKL', point: [35.1, -15.4] },
  { code: 'LKL-N-MBR', name: 'Mberewa District', parent: 'LKL-N', point: [34.1, -10.4] },
  { code: 'LKL-N-TSG', name: 'Tsangano District', parent: 'LKL-N', point: [33.9, -11.2] },
  { code: 'LKL-S-CHL', name: 'Chilanga District', parent: 'LKL-S', point: [35.3, -15.1] },
  { code: 'LKL-S-CHL-TWN', name: 'Chilanga Town', parent: 'LKL-S-CHL', point: [35.32, -15.05] },
];

export const SEED_FACILITIES: SeedFacility[] = [
  { code: 'LK-HC-101', name: 'Mberewa Health Centre', parent: 'LKL-N-MBR', service: 'COMM', point: [34.121, -10.412] },
  { code: 'LK-HC-102', name: 'Kasito Health Centre', parent: 'LKL-N-MBR', service: 'COMM', point: [34.187, -10.455] },
  { code: 'LK-HC-103', name: 'Tsangano Health Centre', parent: 'LKL-N-TSG', service: 'COMM', point: [33.912, -11.201] },
  {
    code: 'LK-HC-104',
    name: 'Chilanga Town Clinic',
    parent: 'LKL-S-CHL-TWN',
    service: 'COMM',
    point: [35.318, -15.049],
  },
  { code: 'LK-HC-105', name: 'Nyali Health Centre', parent: 'LKL-S-CHL', service: 'COMM', status: 'inactive' },
  {
    code: 'LK-DH-201',
    name: 'Mberewa District Hospital',
    parent: 'LKL-N-MBR',
    service: 'HOSP',
    point: [34.102, -10.398],
  },
  {
    code: 'LK-WH-301',
    name: 'Northern Regional Medical Store',
    parent: 'LKL-N',
    service: 'PHARM',
    point: [34.015, -10.955],
  },
  {
    code: 'LK-WH-302',
    name: 'Southern Regional Medical Store',
    parent: 'LKL-S',
    service: 'PHARM',
    point: [35.104, -15.377],
  },
];

/** The OpenLMIS sandbox's extra health posts (its `extraHealthPosts`, default 24), same codes and places. */
export function healthPosts(count: number): SeedFacility[] {
  const out: SeedFacility[] = [];
  for (let i = 1; i <= count; i++)
    out.push({
      code: `LK-HP-${String(400 + i)}`,
      name: `Health Post ${String(i).padStart(2, '0')} Lakeshore`,
      parent: i % 2 ? 'LKL-S-CHL' : 'LKL-N-TSG',
      service: 'COMM',
      point: [35 + i / 100, -15 + i / 100],
    });
  return out;
}

/** Location ids are readable and derived from the code, so tests and the demo can name them. */
export const jurisdictionId = (code: string): string => `jur-${code.toLowerCase()}`;
export const facilityId = (code: string): string => `fac-${code.toLowerCase()}`;
export const organizationId = (locationId: string): string => `org-${locationId}`;
