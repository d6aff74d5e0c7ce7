import type { Code, Identifier, SourceRef } from './identifiers.js';

export type FacilityStatus = 'active' | 'suspended' | 'inactive';

/** `facility` is a service delivery point; `area` is an administrative zone (OpenLMIS geographic zone, DHIS2 org unit above facility level, mCSD jurisdiction). */
export type FacilityKind = 'facility' | 'area';

export interface GeoPoint {
  latitude: number;
  longitude: number;
}

export interface Address {
  lines?: string[];
  city?: string;
  district?: string;
  state?: string;
  country?: string;
}

/**
 * The canonical facility. Every list of facilities (the registry, each connector, CSV files)
 * becomes a list of these, so the matcher and propagation never see a system-specific shape.
 */
export interface Facility {
  /** Our stable id (the FHIR Location id). */
  id?: string;
  identifiers: Identifier[];
  name: string;
  aliases?: string[];
  status: FacilityStatus;
  kind: FacilityKind;
  types?: Code[];
  /** Managing organisation (operator): name or code as the source has it. */
  operator?: Code;
  /** Id of the parent Location (area or facility). */
  partOf?: string;
  /** Names of the enclosing areas, nearest first (sub-county, county, …), when the source gives them. */
  areaPath?: string[];
  position?: GeoPoint;
  address?: Address;
  telecom?: { system: 'phone' | 'email' | 'url' | 'other'; value: string }[];
  /** Programs the facility supports (OpenLMIS program codes and the like). */
  programs?: string[];
  description?: string;
  source?: SourceRef;
  /** ISO instant of the last change at the source. */
  lastUpdated?: string;
}
