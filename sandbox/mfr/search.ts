import { MfrStateError, type Json, type ResourceType } from './state.js';

/**
 * The directory's search (mCSD ITI-90 as a FHIR R4 server answers it): `_id`, `identifier`,
 * `name` (starts-with, `:contains`, `:exact`), `partof`, `type`, `status`, `_lastUpdated` with
 * prefixes (repeatable, ANDed), `_sort` on `_lastUpdated` or `_id`, `_count`/`_offset` paging,
 * `_summary=count`.
 * An unknown parameter is refused with 400 as HAPI does by default, so a client's typo shows.
 */
export type Query = Record<string, string | string[] | undefined>;

const PARAMS: Record<ResourceType, Set<string>> = {
  Location: new Set(['_id', 'identifier', 'name', 'partof', 'type', 'status', '_lastUpdated']),
  Organization: new Set(['_id', 'identifier', 'name', 'partof', 'type', '_lastUpdated']),
};
const CONTROL = new Set(['_count', '_offset', '_sort', '_format', '_pretty', '_total', '_summary']);

const values = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const bad = (message: string) => new MfrStateError(400, message);

/** A date(Time) search value → the instants it covers, [from, to). */
function dateRange(value: string, where: string): [number, number] {
  const m = /^(\d{4})(-\d{2})?(-\d{2})?(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?$/.exec(value);
  if (!m) throw bad(`${where}: '${value}' is not a date or dateTime`);
  if (m[4]) {
    const from = Date.parse(m[7] ? value : `${value}Z`);
    if (Number.isNaN(from)) throw bad(`${where}: '${value}' is not a valid dateTime`);
    const step = m[6] ? 1 : m[5] ? 1000 : 60_000;
    return [from, from + step];
  }
  const from = Date.parse(`${m[1]}${m[2] ?? '-01'}${m[3] ?? '-01'}T00:00:00Z`);
  if (Number.isNaN(from)) throw bad(`${where}: '${value}' is not a valid date`);
  const to = new Date(from);
  if (m[3]) to.setUTCDate(to.getUTCDate() + 1);
  else if (m[2]) to.setUTCMonth(to.getUTCMonth() + 1);
  else to.setUTCFullYear(to.getUTCFullYear() + 1);
  return [from, to.getTime()];
}

/** `_lastUpdated=ge2024-…`: a predicate on an instant. */
export function lastUpdatedFilter(raw: string): (instant: number) => boolean {
  const m = /^(eq|ne|gt|lt|ge|le|sa|eb)?(.*)$/.exec(raw)!;
  const [from, to] = dateRange(m[2], `_lastUpdated=${raw}`);
  switch (m[1] ?? 'eq') {
    case 'eq':
      return (t) => t >= from && t < to;
    case 'ne':
      return (t) => t < from || t >= to;
    case 'gt':
    case 'sa':
      return (t) => t >= to;
    case 'lt':
    case 'eb':
      return (t) => t < from;
    case 'ge':
      return (t) => t >= from;
    default:
      return (t) => t < to;
  }
}

/** `system|code`, `|code`, `system|` or `code` against a list of codings or identifiers. */
function tokenMatch(raw: string, items: { system?: string; value?: string; code?: string }[]): boolean {
  const bar = raw.indexOf('|');
  const system = bar < 0 ? undefined : raw.slice(0, bar);
  const code = bar < 0 ? raw : raw.slice(bar + 1);
  return items.some(
    (i) =>
      (system === undefined || (system === '' ? !i.system : i.system === system)) &&
      (code === '' || (i.value ?? i.code) === code),
  );
}

function nameMatch(modifier: string | undefined, raw: string, r: Json): boolean {
  const names = [r.name, ...(r.alias ?? [])].filter((n): n is string => typeof n === 'string');
  if (modifier === 'exact') return names.includes(raw);
  const fold = (s: string) => s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
  const q = fold(raw);
  return names.some((n) => (modifier === 'contains' ? fold(n).includes(q) : fold(n).startsWith(q)));
}

/** One search parameter (comma = OR) → a predicate on a resource. */
function predicate(type: ResourceType, param: string, raw: string): (r: Json) => boolean {
  const [name, modifier] = param.split(':', 2);
  if (!PARAMS[type].has(name) || (modifier && !(name === 'name' && ['contains', 'exact'].includes(modifier))))
    throw bad(`Unknown search parameter '${param}' for ${type}; known: ${[...PARAMS[type], ...CONTROL].join(', ')}`);
  if (name === '_lastUpdated') {
    const test = lastUpdatedFilter(raw);
    return (r) => test(Date.parse(r.meta.lastUpdated));
  }
  const alternatives = raw.split(',');
  const one = (r: Json, v: string): boolean => {
    switch (name) {
      case '_id':
        return r.id === v;
      case 'identifier':
        return tokenMatch(v, r.identifier ?? []);
      case 'name':
        return nameMatch(modifier, v, r);
      case 'partof':
        return r.partOf?.reference === `${type}/${v.replace(/^.*\//, '')}`;
      case 'type':
        return tokenMatch(
          v,
          (r.type ?? []).flatMap((t: Json) => t.coding ?? []),
        );
      case 'status':
        return r.status === v;
      default:
        return false;
    }
  };
  return (r) => alternatives.some((v) => one(r, v));
}

export interface SearchResult {
  total: number;
  page: Json[];
  offset: number;
  count: number;
}

/**
 * `ignoreSort`: answer in the directory's own order whatever `_sort` asks, as a registry that
 * ignores it does (some HAPI configurations, custom mCSD servers).
 */
export function search(
  type: ResourceType,
  all: Json[],
  query: Query,
  pageSize: number,
  maxCount = 500,
  ignoreSort = false,
): SearchResult {
  let items = all;
  for (const [param, raw] of Object.entries(query)) {
    if (CONTROL.has(param)) continue;
    for (const v of values(raw)) items = items.filter(predicate(type, param, v));
  }
  const summary = values(query._summary)[0];
  if (summary !== undefined && summary !== 'count') throw bad(`_summary=${summary}: only count is supported`);
  // `_summary=count`: the total alone, no entries
  if (summary === 'count') return { total: items.length, page: [], offset: 0, count: 0 };
  const sort = ignoreSort ? undefined : values(query._sort)[0];
  if (sort !== undefined) {
    const desc = sort.startsWith('-');
    const field = sort.replace(/^-/, '');
    if (field !== '_lastUpdated' && field !== '_id')
      throw bad(`_sort=${sort}: only _lastUpdated and _id are supported`);
    const keyOf = (r: Json) => (field === '_id' ? r.id : r.meta.lastUpdated);
    items = [...items].sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0) * (desc ? -1 : 1));
  }
  const { count, offset } = paging(query, pageSize, maxCount);
  return { total: items.length, page: items.slice(offset, offset + count), offset, count };
}

export function paging(query: Query, pageSize: number, maxCount = 500): { count: number; offset: number } {
  const int = (name: string, fallback: number): number => {
    const raw = values(query[name])[0];
    if (raw === undefined) return fallback;
    if (!/^\d+$/.test(raw)) throw bad(`${name}=${raw}: expected a non-negative integer`);
    return Number(raw);
  };
  return { count: Math.min(int('_count', pageSize), maxCount), offset: int('_offset', 0) };
}
