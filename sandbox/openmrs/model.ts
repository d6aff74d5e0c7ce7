/**
 * The OpenMRS objects the sandbox keeps, as the platform's tables hold them (openmrs-core
 * Location, LocationTag, LocationAttribute(Type), User) plus the stock management module's
 * (openmrs/openmrs-module-stockmanagement: StockItem, Party, StockOperation, StockBatch).
 */
export interface User {
  uuid: string;
  username: string;
  password: string;
  display: string;
  personUuid: string;
  privileges: string[];
  roles: { uuid: string; name: string }[];
}

export interface Audit {
  creator: string;
  dateCreated: number;
  changedBy: string | null;
  dateChanged: number | null;
}

export interface LocationTag {
  uuid: string;
  name: string;
  description: string | null;
  retired: boolean;
}

export interface LocationAttributeType {
  uuid: string;
  name: string;
  description: string | null;
  datatypeClassname: string;
  minOccurs: number;
  maxOccurs: number | null;
  retired: boolean;
}

export interface LocationAttribute {
  uuid: string;
  attributeTypeUuid: string;
  value: string;
  voided: boolean;
}

export const ADDRESS_FIELDS = [
  'address1',
  'address2',
  'address3',
  'address4',
  'address5',
  'address6',
  'address7',
  'address8',
  'address9',
  'address10',
  'address11',
  'address12',
  'address13',
  'address14',
  'address15',
] as const;
export const TEXT_FIELDS = [
  'description',
  'cityVillage',
  'stateProvince',
  'country',
  'postalCode',
  'latitude',
  'longitude',
  'countyDistrict',
  ...ADDRESS_FIELDS,
] as const;
export type TextField = (typeof TEXT_FIELDS)[number];

export type Location = {
  uuid: string;
  name: string;
  tagUuids: string[];
  parentUuid: string | null;
  retired: boolean;
  retireReason: string | null;
  attributes: LocationAttribute[];
  audit: Audit;
} & Record<TextField, string | null>;

export interface Session {
  id: string;
  userUuid: string | null;
  lastUsed: number;
  locale: string;
  sessionLocationUuid: string | null;
}
