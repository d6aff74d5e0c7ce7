import type { Location, LocationAttributeType, LocationTag, TextField, User } from './model.js';
import { TEXT_FIELDS } from './model.js';

/**
 * The sandbox's starting world: our own locations (none copied from a real list), some west of
 * Greenwich and some south of the equator so negative coordinates are exercised, one with blank
 * and one with non-numeric coordinates, a retired one, an administrative parent and a ward. Tag
 * and attribute type uuids are the well-known ones where distributions share them (Login Location
 * in RefApp/Bahmni; KenyaEMR's "Master Facility Code", palladiumkenya/openmrs-module-kenyaemr
 * FacilityMetadata.java).
 */
export const TAGS = {
  login: 'b8bbf83e-645f-451f-8efe-a0db56f09676',
  visit: '37dd4458-dc9e-4ae6-a1f1-789c1162d37b',
  facility: '5e3a1d2c-6b7f-4c10-9d0e-1f2a3b4c5d60',
  admission: 'a675e840-d225-11e4-9c67-080027b662ec',
  dispensing: '7a3c1e52-9b4d-4f61-8e2a-0c9d8b7a6f51',
};
export const MASTER_FACILITY_CODE = '8a845a89-6aa5-4111-81d3-0af31c45c002';
export const LANDLINE = '9b1e5f3a-2c7d-4e80-a1b2-c3d4e5f60718';

export const LOC = {
  nairobiCounty: '0d3c2b1a-1111-4a2b-8c3d-000000000001',
  mwangaza: '0d3c2b1a-1111-4a2b-8c3d-000000000002',
  mwangazaPharmacy: '0d3c2b1a-1111-4a2b-8c3d-000000000003',
  kilima: '0d3c2b1a-1111-4a2b-8c3d-000000000004',
  lumley: '0d3c2b1a-1111-4a2b-8c3d-000000000005',
  rioAzul: '0d3c2b1a-1111-4a2b-8c3d-000000000006',
  nordhavn: '0d3c2b1a-1111-4a2b-8c3d-000000000007',
  blankCoords: '0d3c2b1a-1111-4a2b-8c3d-000000000008',
  textCoords: '0d3c2b1a-1111-4a2b-8c3d-000000000009',
  closed: '0d3c2b1a-1111-4a2b-8c3d-000000000010',
};

export const ADMIN_PASSWORD = 'Admin123';

export interface Seed {
  users: User[];
  tags: LocationTag[];
  attributeTypes: LocationAttributeType[];
  locations: Location[];
}

const CREATED = Date.parse('2024-01-15T08:00:00Z');

type LocSpec = Partial<Record<TextField, string | null>> & {
  uuid: string;
  name: string;
  tags?: string[];
  parent?: string;
  code?: string;
  retired?: boolean;
  changed?: string;
};

function location(spec: LocSpec, admin: string, n: number): Location {
  const fields = Object.fromEntries(TEXT_FIELDS.map((f) => [f, spec[f] ?? null])) as Record<TextField, string | null>;
  return {
    ...fields,
    uuid: spec.uuid,
    name: spec.name,
    tagUuids: spec.tags ?? [],
    parentUuid: spec.parent ?? null,
    retired: spec.retired ?? false,
    retireReason: spec.retired ? 'closed in 2024' : null,
    attributes: spec.code
      ? [
          {
            uuid: `5eed0a77-0000-4000-8000-${String(n).padStart(12, '0')}`,
            attributeTypeUuid: MASTER_FACILITY_CODE,
            value: spec.code,
            voided: false,
          },
        ]
      : [],
    audit: {
      creator: admin,
      dateCreated: CREATED + n * 60_000,
      changedBy: spec.changed ? admin : null,
      dateChanged: spec.changed ? Date.parse(spec.changed) : null,
    },
  };
}

export function buildSeed(): Seed {
  const admin: User = {
    uuid: '45ce6c2e-dd5a-11e6-9d9c-0242ac150002',
    username: 'admin',
    password: ADMIN_PASSWORD,
    display: 'admin',
    personUuid: '24252571-dd5a-11e6-9d9c-0242ac150002',
    privileges: ['*'],
    roles: [
      { uuid: '8d94f852-c2cc-11de-8d13-0010c6dffd0f', name: 'System Developer' },
      { uuid: '8d94f280-c2cc-11de-8d13-0010c6dffd0f', name: 'Provider' },
    ],
  };
  const clerk: User = {
    uuid: 'c1e7a0b2-3d4e-4f50-8a6b-7c8d9e0f1a2b',
    username: 'clerk',
    password: 'Clerk123',
    display: 'clerk',
    personUuid: 'd2f8b1c3-4e5f-4061-9b7c-8d9e0f1a2b3c',
    privileges: ['Get Locations'],
    roles: [{ uuid: '8d94f280-c2cc-11de-8d13-0010c6dffd0f', name: 'Provider' }],
  };
  const tags: LocationTag[] = [
    {
      uuid: TAGS.login,
      name: 'Login Location',
      description: 'When a user logs in and chooses a session location, they may only choose one with this tag',
      retired: false,
    },
    {
      uuid: TAGS.visit,
      name: 'Visit Location',
      description:
        'Visits are only allowed to happen at locations tagged with this location tag or at locations that descend from a location tagged with this tag.',
      retired: false,
    },
    { uuid: TAGS.facility, name: 'Facility Location', description: 'A health facility', retired: false },
    {
      uuid: TAGS.admission,
      name: 'Admission Location',
      description: 'Patients may only be admitted to inpatient care in a location with this tag',
      retired: false,
    },
    {
      uuid: TAGS.dispensing,
      name: 'Dispensing Location',
      description: 'A pharmacy or store that holds stock',
      retired: false,
    },
  ];
  const attributeTypes: LocationAttributeType[] = [
    {
      uuid: MASTER_FACILITY_CODE,
      name: 'Master Facility Code',
      description: 'Unique facility code allocated by the Ministry of Health',
      datatypeClassname: 'org.openmrs.customdatatype.datatype.FreeTextDatatype',
      minOccurs: 0,
      maxOccurs: 1,
      retired: false,
    },
    {
      uuid: LANDLINE,
      name: 'Official Landline',
      description: 'Landline telephone contact number',
      datatypeClassname: 'org.openmrs.customdatatype.datatype.FreeTextDatatype',
      minOccurs: 0,
      maxOccurs: 1,
      retired: false,
    },
  ];
  const a = admin.uuid;
  const specs: LocSpec[] = [
    { uuid: LOC.nairobiCounty, name: 'Nairobi County', stateProvince: 'Nairobi', country: 'Kenya' },
    {
      uuid: LOC.mwangaza,
      name: 'Mwangaza Health Centre',
      tags: [TAGS.facility, TAGS.login, TAGS.visit],
      parent: LOC.nairobiCounty,
      code: 'SBX-10001',
      description: 'Health Centre',
      countyDistrict: 'Nairobi',
      stateProvince: 'Nairobi',
      country: 'Kenya',
      latitude: '-1.2921',
      longitude: '36.8219',
      address5: 'Central',
      address6: 'Westlands',
    },
    { uuid: LOC.mwangazaPharmacy, name: 'Mwangaza Pharmacy', tags: [TAGS.dispensing], parent: LOC.mwangaza },
    {
      uuid: LOC.kilima,
      name: 'Kilima Dispensary',
      tags: [TAGS.facility, TAGS.login],
      code: 'SBX-10002',
      description: 'Dispensary',
      countyDistrict: 'Arusha',
      country: 'Tanzania',
      latitude: '-3.3869',
      longitude: '36.6830',
    },
    {
      uuid: LOC.lumley,
      name: 'Lumley Community Health Post',
      tags: [TAGS.facility],
      code: 'SBX-20001',
      cityVillage: 'Freetown',
      country: 'Sierra Leone',
      latitude: '8.4657',
      longitude: '-13.2317',
    },
    {
      uuid: LOC.rioAzul,
      name: 'Rio Azul Clinic',
      tags: [TAGS.facility, TAGS.login],
      code: 'SBX-30001',
      cityVillage: 'Recife',
      country: 'Brazil',
      latitude: '-8.0476',
      longitude: '-34.8770',
      address1: 'Rua Azul 12',
    },
    {
      uuid: LOC.nordhavn,
      name: 'Nordhavn Clinic',
      tags: [TAGS.facility],
      code: 'SBX-40001',
      cityVillage: 'Copenhagen',
      country: 'Denmark',
      latitude: '55.7100',
      longitude: '12.5900',
    },
    {
      uuid: LOC.blankCoords,
      name: 'Bondeni Outreach Post',
      tags: [TAGS.facility],
      code: 'SBX-10003',
      country: 'Kenya',
      latitude: '',
      longitude: '  ',
    },
    {
      uuid: LOC.textCoords,
      name: 'Tumaini Maternity Home',
      tags: [TAGS.facility],
      code: 'SBX-10004',
      country: 'Kenya',
      latitude: 'unknown',
      longitude: 'n/a',
    },
    {
      uuid: LOC.closed,
      name: 'Old Market Clinic',
      tags: [TAGS.facility],
      code: 'SBX-10005',
      country: 'Kenya',
      latitude: '-0.0917',
      longitude: '34.7680',
      retired: true,
      changed: '2024-06-01T10:00:00Z',
    },
  ];
  return { users: [admin, clerk], tags, attributeTypes, locations: specs.map((s, i) => location(s, a, i)) };
}
