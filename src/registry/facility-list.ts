import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Facility, FacilityStatus } from '../domain/facility.js';
import type { Identifier } from '../domain/identifiers.js';
import { InvalidInputError } from '../domain/errors.js';
import { activeMapping, loadMappingFile } from '../config/mappings.js';
import { FACILITY_COLUMNS_FILE, headerKey, type HeaderSynonyms } from './facility-columns.js';
import { parseCsvList } from './csv.js';
import type { MatchRecord } from './match/prepare.js';
import { codeIdColumn } from './list-ids.js';
import { readCoordinate, type Axis } from './coordinate.js';
import {
  ambiguousColumns,
  cellProblems,
  csvRecordLines,
  missingKeyColumns,
  refuseCellProblems,
  utf8ListText,
  type RowPlace,
} from './list-checks.js';

/** Which column holds what, for one facility list (CSV or JSON rows). */
export interface ColumnMapping {
  id?: string;
  name: string;
  aliases?: string[];
  /** Area columns, top (largest) first. */
  areas?: (string | { column: string; level: string })[];
  type?: string;
  lat?: string;
  lon?: string;
  status?: string;
  /** When the record was registered in its list (ISO date or instant). */
  registered?: string;
  identifiers?: { column: string; system: string }[];
}

export { FACILITY_COLUMNS_FILE } from './facility-columns.js';

/** Loaded once per mappings.dir: statusFromValue asks for it on every row. */
function headerSynonyms(): HeaderSynonyms {
  return activeMapping(FACILITY_COLUMNS_FILE);
}

/**
 * The header cells for a message. A title line above the header (`Facility list June 2024;;`, as
 * a spreadsheet's first row often is) was listed as `Facility list June 2024, , _1`: said as such.
 */
function headerList(headers: string[]): string {
  const named = headers.filter((h) => h.trim() !== '' && !/^_\d+$/.test(h));
  const title = named.length <= 1 && headers.length > 1;
  return title
    ? `${named.map((h) => JSON.stringify(h)).join(', ') || 'nothing'}: is that a title? The first line must be the header`
    : headers.join(', ');
}

/** Identifier headers this generic say nothing about who issued the code: kept per list. */
const GENERIC_ID_HEADERS = new Set(['code', 'id']);

/**
 * Guesses a column mapping from the header row using the synonym table. Generic code columns
 * ("code") get a list-specific identifier system, so two lists' unrelated code spaces are never
 * compared with each other (GOFR's identifier rule ignores systems; we do not).
 */
function inferColumnMapping(headers: string[], listLabel = 'list', file = listLabel, headerLine = 1): ColumnMapping {
  const syn = headerSynonyms();
  const byKey = new Map(headers.map((h) => [headerKey(h), h]));
  const first = (names: string[]) => names.map((n) => byKey.get(n)).find((h) => h !== undefined);
  const name = first(syn.name);
  // named by its file: the label of a registry list is `registry`, whatever file it came from
  if (!name)
    throw new InvalidInputError(`${file}: line ${headerLine}: no facility name column among ${headerList(headers)}`);
  const id = first(syn.id);
  const used = new Set([name, id].filter(Boolean));
  const identifiers = syn.identifiers
    .map((n) => byKey.get(n))
    .filter((h): h is string => h !== undefined && !used.has(h))
    .map((h) => ({
      column: h,
      system: GENERIC_ID_HEADERS.has(headerKey(h)) ? `${listLabel}#${headerKey(h)}` : headerKey(h),
    }));
  return {
    id,
    name,
    aliases: syn.aliases.map((n) => byKey.get(n)).filter((h): h is string => h !== undefined),
    areas: syn.areas
      .map((n) => byKey.get(n))
      .filter((h): h is string => h !== undefined)
      .map((h) => ({ column: h, level: headerKey(h) })),
    type: first(syn.type),
    lat: first(syn.lat),
    lon: first(syn.lon),
    status: first(syn.status),
    registered: first(syn.registered ?? []),
    identifiers,
  };
}

/** Reads a --mapping file: one mapping for both lists, or {left, right}. */
export function loadColumnMappingFile(file: string): { left: ColumnMapping; right: ColumnMapping } {
  const m = loadMappingFile<ColumnMapping | { left: ColumnMapping; right: ColumnMapping }>(file, {
    schema: 'facility-column-mapping.schema.json',
  });
  return 'left' in m ? m : { left: m, right: m };
}

/**
 * A status word as compared: lower case, hyphens, underscores and spaces as one space. Registries
 * and exports write one status many ways ("Non-Operational", "non_operational", "not operational"):
 * a closed facility read as active was linked to live records and never deactivated in them.
 */
function statusWord(value: string): string {
  return value
    .trim()
    .toLowerCase()
    .replace(/[\s_-]+/g, ' ');
}

function statusFromValue(value: string | undefined): FacilityStatus {
  const v = statusWord(value ?? '');
  if (!v) return 'active';
  const syn = headerSynonyms();
  if (syn.inactiveValues.some((w) => statusWord(w) === v)) return 'inactive';
  if (syn.suspendedValues.some((w) => statusWord(w) === v)) return 'suspended';
  return 'active';
}

/** A coordinate cell as a number (coordinate.ts); a cell it cannot read is no position. */
function coordinate(v: string | undefined, axis: Axis): number | undefined {
  return readCoordinate(v, axis).value;
}

/** One row → a domain Facility plus the level key of each area, using the mapping. */
function rowToRecord(row: Record<string, string>, mapping: ColumnMapping, index: number, system: string): MatchRecord {
  const cell = (c: string | undefined) => (c === undefined ? undefined : (row[c] ?? '').toString().trim());
  const areas = (mapping.areas ?? []).map((a) => (typeof a === 'string' ? { column: a, level: headerKey(a) } : a));
  const present = areas.filter((a) => cell(a.column));
  const id = cell(mapping.id) || `row-${index + 1}`;
  const identifiers: Identifier[] = (mapping.identifiers ?? [])
    .map((x) => ({ system: x.system, value: cell(x.column) ?? '' }))
    .filter((x) => x.value);
  const lat = coordinate(cell(mapping.lat), 'latitude');
  const lon = coordinate(cell(mapping.lon), 'longitude');
  const type = cell(mapping.type);
  const facility: Facility = {
    id,
    identifiers,
    name: cell(mapping.name) ?? '',
    aliases: (mapping.aliases ?? []).map(cell).filter((a): a is string => !!a),
    status: statusFromValue(cell(mapping.status)),
    kind: 'facility',
    types: type ? [{ code: type, display: type }] : undefined,
    // Facility.areaPath is nearest first; the mapping lists areas top first.
    areaPath: present.map((a) => cell(a.column)!).reverse(),
    position: lat !== undefined && lon !== undefined ? { latitude: lat, longitude: lon } : undefined,
    source: { system, id },
  };
  const registered = cell(mapping.registered);
  return {
    facility,
    areaLevels: present.map((a) => a.level).reverse(),
    ...(registered ? { registered } : {}),
  };
}

/** Every column a mapping reads. */
function mappedColumns(m: ColumnMapping): string[] {
  const areas = (m.areas ?? []).map((a) => (typeof a === 'string' ? a : a.column));
  const identifiers = (m.identifiers ?? []).map((x) => x.column);
  const single = [m.id, m.name, m.type, m.lat, m.lon, m.status, m.registered];
  return [...single, ...(m.aliases ?? []), ...areas, ...identifiers].filter((c): c is string => !!c);
}

export interface LoadedList {
  records: MatchRecord[];
  rows: Record<string, string>[];
  mapping: ColumnMapping;
  /** Where the ids came from (list-ids.ts): a named or id-like column, a code column, row numbers. */
  ids: 'column' | 'code' | 'row';
}

/** Parses CSV text into rows keyed by header; a refusal names the file. */
function parseCsv(text: string, file: string): ReturnType<typeof parseCsvList> {
  return parseCsvList(text, path.basename(file));
}

/**
 * The list's text. A directory fails in read(2), whose error carries no path, so the CLI could
 * not name the file and printed a stack trace instead of its one line.
 */
function readListText(file: string, checked = false): string {
  try {
    return checked ? utf8ListText(readFileSync(file), path.basename(file)) : readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EISDIR')
      throw new InvalidInputError(`cannot read ${file}: it is a directory, not a facility list`);
    throw err;
  }
}

/** A JSON list: an array of flat objects; anything else is refused naming the file and the entry. */
function jsonRows(text: string, file: string, checked = false): Record<string, string>[] {
  const name = path.basename(file);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new InvalidInputError(`${name}: not valid JSON (${(err as Error).message}); nothing was read`);
  }
  if (!Array.isArray(data)) throw new InvalidInputError(`${name}: expected a JSON array of facility objects`);
  return data.map((o: unknown, i) => {
    if (o === null || typeof o !== 'object' || Array.isArray(o))
      throw new InvalidInputError(
        `${name}: entry ${i + 1} is ${o === null ? 'null' : Array.isArray(o) ? 'an array' : `a ${typeof o}`}, not a facility object; nothing was read`,
      );
    return Object.fromEntries(
      Object.entries(o).map(([k, v]) => {
        // String() of an object is `[object Object]`: a name no facility has, taken without a word
        if (checked && v !== null && typeof v === 'object')
          throw new InvalidInputError(
            `${name}: entry ${i + 1}, column ${k}: ${Array.isArray(v) ? 'an array' : 'an object'}, not a value (a list's cells are text or numbers); nothing was read`,
          );
        return [k, v === null || v === undefined ? '' : String(v)];
      }),
    );
  });
}

/** Reads rows from a CSV file or a JSON array of objects. */
export function readRows(file: string): Record<string, string>[] {
  return readList(file).rows;
}

/**
 * The rows, and where each is in the file for a message (`checked`: the text must be UTF-8), and a
 * CSV's header as the file writes it (a second `name` is read as `name_1`).
 */
function readList(
  file: string,
  checked = false,
): { rows: Record<string, string>[]; place: RowPlace; headers?: string[]; headerLine?: number } {
  const text = readListText(file, checked);
  if (/\.json$/i.test(file)) return { rows: jsonRows(text, file, checked), place: (i) => `entry ${i + 1}` };
  const { rows, delimiter, headers, headerLine } = parseCsv(text, file);
  // the header is the first record; a BOM is no line of its own
  const lines = checked ? csvRecordLines(text.replace(/^\ufeff/, ''), delimiter) : [];
  return { rows, place: (i) => `line ${lines[i + 1] ?? i + 2}`, headers, headerLine };
}

export interface LoadOptions {
  mapping?: ColumnMapping;
  /** System label for the crosswalk (defaults to the file name without extension). */
  system?: string;
  /** Columns removed before anything else sees the rows (the benchmark drops its truth key). */
  dropColumns?: string[];
  /**
   * Row numbers as ids even where a code column could give them: the stored crosswalk of this list
   * is keyed by them, and its decisions would otherwise attach to nothing (list-ids.ts).
   */
  rowIds?: boolean;
  /**
   * Refuse, naming the line and column, what would be taken wrong without a word (list-checks.ts):
   * bytes that are not UTF-8, a key column the mapping names that the file lacks, a blank or
   * repeated id, a blank name, a coordinate it cannot read. The CLI and the reconcile job check; the benchmark reads as is.
   */
  checked?: boolean;
}

/** Loads a facility list from CSV or JSON rows with an explicit or inferred column mapping. */
export function loadFacilityList(file: string, options: LoadOptions = {}): LoadedList {
  const system = options.system ?? path.basename(file).replace(/\.[^.]+$/, '');
  const drop = new Set(options.dropColumns ?? []);
  const list = readList(file, options.checked);
  const { rows, place } = list;
  for (const r of rows) for (const k of drop) delete r[k];
  const headers = rows.length ? Object.keys(rows[0]) : [];
  let mapping = options.mapping ?? inferColumnMapping(headers, system, path.basename(file), list.headerLine);
  if (options.checked) {
    missingKeyColumns(path.basename(file), headers, mapping, rows.length);
    if (rows.length)
      ambiguousColumns(
        path.basename(file),
        list.headers ?? headers,
        mappedColumns(mapping),
        !!options.mapping,
        list.headerLine,
      );
    refuseCellProblems(path.basename(file), cellProblems(rows, mapping, place));
  }
  let ids: LoadedList['ids'] = mapping.id ? 'column' : 'row';
  const code = !mapping.id && !options.mapping && !options.rowIds ? codeIdColumn(rows, mapping) : undefined;
  if (code) {
    mapping = { ...mapping, id: code };
    ids = 'code';
  }
  return { records: rows.map((r, i) => rowToRecord(r, mapping, i, system)), rows, mapping, ids };
}
