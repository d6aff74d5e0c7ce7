import type { Facility, FacilityKind } from '../../domain/facility.js';
import { EXT, MCSD_LOCATION_TYPES, PROGRAM_SYSTEM } from '../conventions.js';
import type { FhirVersion } from '../versions.js';
import {
  codeToConcept,
  compact,
  conceptToCode,
  identifierToFhir,
  identifiersFromFhir,
  isR5,
  type Json,
} from './common.js';

const PHYSICAL_TYPES = 'http://terminology.hl7.org/CodeSystem/location-physical-type';

function kindCoding(kind: FacilityKind) {
  return kind === 'area'
    ? { system: MCSD_LOCATION_TYPES, code: 'jurisdiction', display: 'Jurisdiction' }
    : { system: MCSD_LOCATION_TYPES, code: 'facility', display: 'Facility' };
}

export function encodeLocation(version: FhirVersion, f: Facility, meta: Json): Json {
  const physical = {
    coding: [
      f.kind === 'area'
        ? { system: PHYSICAL_TYPES, code: 'jdn', display: 'Jurisdiction' }
        : { system: PHYSICAL_TYPES, code: 'si', display: 'Site' },
    ],
  };
  const telecom = f.telecom?.map((t) => ({ system: t.system, value: t.value }));
  return compact({
    resourceType: 'Location',
    id: f.id,
    meta,
    extension: f.programs?.map((p) => ({
      url: EXT.supportedProgram,
      valueCoding: { system: PROGRAM_SYSTEM, code: p },
    })),
    identifier: f.identifiers.map((i) => identifierToFhir(i)),
    status: f.status,
    name: f.name,
    alias: f.aliases,
    description: f.description,
    mode: 'instance',
    type: [{ coding: [kindCoding(f.kind)] }, ...(f.types ?? []).map(codeToConcept)],
    // no telecom is no contact (an empty contact.telecom is invalid FHIR, as is an empty contact)
    ...(isR5(version) ? { contact: telecom?.length ? [{ telecom }] : undefined } : { telecom }),
    address: f.address
      ? compact({
          line: f.address.lines,
          city: f.address.city,
          district: f.address.district,
          state: f.address.state,
          country: f.address.country,
        })
      : undefined,
    ...(isR5(version) ? { form: physical } : { physicalType: physical }),
    position: f.position ? { longitude: f.position.longitude, latitude: f.position.latitude } : undefined,
    managingOrganization: f.operator
      ? compact({
          display: f.operator.display ?? f.operator.code,
          identifier: f.operator.system ? { system: f.operator.system, value: f.operator.code } : undefined,
        })
      : undefined,
    partOf: f.partOf ? { reference: `Location/${f.partOf}` } : undefined,
  });
}

function kindFromLocation(r: Json): FacilityKind {
  const codes = (r.type ?? []).flatMap((t: Json) => t.coding ?? []);
  if (codes.some((c: Json) => c.system === MCSD_LOCATION_TYPES && c.code === 'jurisdiction')) return 'area';
  const physical = (r.physicalType ?? r.form)?.coding ?? [];
  if (physical.some((c: Json) => c.code === 'jdn' || c.code === 'area')) return 'area';
  return 'facility';
}

export function decodeLocation(version: FhirVersion, r: Json): Facility {
  const telecomList: Json[] = isR5(version)
    ? (r.contact ?? []).flatMap((c: Json) => c.telecom ?? [])
    : (r.telecom ?? []);
  const types = (r.type ?? [])
    .filter((t: Json) => !(t.coding ?? []).some((c: Json) => c.system === MCSD_LOCATION_TYPES))
    .map(conceptToCode)
    .filter(Boolean);
  const programs = (r.extension ?? [])
    .filter((e: Json) => e.url === EXT.supportedProgram)
    .map((e: Json) => e.valueCoding?.code)
    .filter(Boolean);
  const org = r.managingOrganization;
  const partOf = typeof r.partOf?.reference === 'string' ? r.partOf.reference.replace(/^.*Location\//, '') : undefined;
  // identifiers stay an array even when empty (compact drops empty arrays): an mCSD facility may
  // carry only a type and a name
  return {
    ...compact({
      id: r.id,
      name: r.name ?? r.alias?.[0] ?? r.id ?? 'unnamed',
      aliases: r.alias,
      status: r.status ?? 'active',
      kind: kindFromLocation(r),
      types,
      operator: org
        ? compact({
            code: org.identifier?.value ?? org.display ?? org.reference,
            system: org.identifier?.system,
            display: org.display,
          })
        : undefined,
      partOf,
      position: r.position ? { latitude: r.position.latitude, longitude: r.position.longitude } : undefined,
      address: r.address
        ? compact({
            lines: r.address.line,
            city: r.address.city,
            district: r.address.district,
            state: r.address.state,
            country: r.address.country,
          })
        : undefined,
      telecom: telecomList
        .filter((t) => t.value)
        .map((t) => ({
          system: (['phone', 'email', 'url'].includes(t.system) ? t.system : 'other') as
            'phone' | 'email' | 'url' | 'other',
          value: t.value,
        })),
      programs,
      description: r.description,
      lastUpdated: r.meta?.lastUpdated,
    }),
    identifiers: identifiersFromFhir(r.identifier),
  } as Facility;
}
