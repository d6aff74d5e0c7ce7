import type { MappingFile } from '../config/mappings.js';

/**
 * The header synonyms a facility list's columns are recognised by (fhir-mappings/facility-columns.json).
 * A module of its own so that start-up's mapping check names the file without loading the list
 * reader and its CSV parser (issue 18).
 */
export interface HeaderSynonyms {
  id: string[];
  name: string[];
  aliases: string[];
  areas: string[];
  type: string[];
  lat: string[];
  lon: string[];
  status: string[];
  /** Optional: a mappings.dir from before it existed still loads. */
  registered?: string[];
  identifiers: string[];
  inactiveValues: string[];
  suspendedValues: string[];
}

export const FACILITY_COLUMNS_FILE: MappingFile<HeaderSynonyms> = {
  file: 'facility-columns.json',
  schema: 'facility-columns.schema.json',
};

/**
 * A header as the synonym table names it: `Facility Name`, `facility-name` and `facility_name`
 * are one column to the reader (facility-list.ts inferColumnMapping).
 */
export const headerKey = (h: string) =>
  h
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_|_$/g, '');
