import { InvalidInputError } from '../domain/errors.js';
import { inRanges } from '../domain/instant-range.js';
import type { SearchCriteria } from '../routing/ports.js';
import { adapters } from './adapters.js';
import type { Json } from './codecs/common.js';
import { EncodedResources } from './encoded-resources.js';
import type { FhirContext } from './interactions.js';
import { withJsonText } from './json-text.js';
import { SearchsetTexts } from './searchset-text.js';
import { leftOutEntry } from './left-out-entry.js';
import type { Issue } from '../domain/errors.js';
import { requireRoute, serviceFor } from './interactions.js';
import type { ResourceRoute } from './routes.js';
import { parseToken, unescapedAt, unescapeSearch } from './search-params.js';
import { checkedAtTheEdge, hasTypeCoding, type TypeToken } from './location-type-token.js';
import { reportDateMatches } from './report-date.js';

/**
 * Types whose encoder is a pure function of (FHIR version, domain value), so an unchanged value's
 * resources are reused (encoded-resources.ts). Location: a facility list is searched again and
 * again and rarely changes. Other types are added once their encoders are shown to be pure.
 */
const REUSED_ENCODINGS = new Set(['Location']);
const encodings = new EncodedResources();

/** The resources of one search match: reused when an equal value was encoded before. */
function encodeMatch(ctx: FhirContext, route: ResourceRoute, item: unknown): Json[] {
  const encode = () => adapters[route.type].encode(ctx.version, item);
  const id = (item as { id?: unknown }).id;
  if (!REUSED_ENCODINGS.has(route.type) || typeof id !== 'string') return encode();
  return encodings.encode(`${ctx.version}|${route.type}|${id}`, item, encode);
}

/** Whether a parameter only shapes the result (`_count`, `_elements` …) rather than selecting resources. */
export function isResultParam(name: string): boolean {
  return RESULT_PARAMS.has(name) || IGNORED_RESULT_PARAMS.has(name);
}

/** Result parameters handled here rather than turned into criteria. */
const RESULT_PARAMS = new Set(['_count', '_offset', '_cursor', '_sort', '_summary', '_format', '_total', '_pretty']);
/** Result parameters a lenient search ignores (the full resource is answered) but a strict one refuses. */
const IGNORED_RESULT_PARAMS = new Set(['_elements', '_include', '_revinclude', '_contained', '_containedType']);

export interface SearchOutcome {
  resources: Json[];
  /** Every match; unknown when the system paged upstream and did not say. */
  total?: number;
  /** When the system paged upstream: this page's cursor and the next page's (absent on the last). */
  cursor?: { self?: string; next?: string };
  /** The parameters actually used, for the self link. */
  used: [string, string][];
  offset: number;
  count: number;
  summaryCount: boolean;
  /** Systems that could not answer as asked (Page.leftOut): told in an outcome entry. */
  leftOut?: Issue[];
}

function single(params: Record<string, string[]>, name: string): string | undefined {
  return params[name]?.[params[name].length - 1];
}

function positiveInt(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new InvalidInputError(`${name} must be a non-negative integer, got '${raw}'`, name);
  return Number(raw);
}

/**
 * One parameter value as its OR list, split at each comma no backslash escapes (`\,` is a comma of
 * the value, `\\,` a backslash and then the split) and left escaped: each value's escapes are
 * undone once, after a token is split at its bar (parseToken), or whole for other types. Undone
 * here, `a\\,b|c` was one token `a\,b|c` in the system `a,b`.
 */
export function orList(value: string): string[] {
  const parts: string[] = [];
  let from = 0;
  for (let comma = unescapedAt(value, ','); comma >= 0; comma = unescapedAt(value, ',', from)) {
    parts.push(value.slice(from, comma));
    from = comma + 1;
  }
  parts.push(value.slice(from));
  return parts;
}

/**
 * The value a parameter of one value is applied with. A comma list (OR) or a repeated parameter
 * (AND) is refused: the systems match one value, so `name=a,b` would match a name "a,b" — nothing —
 * and a repeat would be dropped, each a wrong answer given as a right one.
 */
function oneValue(name: string, values: string[]): string {
  const parts = orList(values[0]);
  if (values.length > 1 || parts.length > 1)
    throw new InvalidInputError(
      `Search parameter '${name}' takes one value here: ${values.length > 1 ? 'a repeated parameter (AND)' : 'a comma list (OR)'} is not supported; a comma that is part of the value is written \\,`,
      name,
      400,
      'not-supported',
    );
  return parts[0];
}

/**
 * `status` is matched at the edge (edgeFilter), so a comma list (any of) and a repeat (each of)
 * mean what FHIR says on every system; a system is asked for a status only when it is one code.
 */
function applyStatus(values: string[], criteria: SearchCriteria): string[][] | undefined {
  // an empty `status=` asks for nothing, as it did when the systems alone matched it
  const sets = values.map((v) => orList(v).map((x) => parseToken(x).code)).filter((set) => set.some(Boolean));
  criteria.status = sets.length === 1 && sets[0].length === 1 ? sets[0][0] : undefined;
  return sets.length ? sets : undefined;
}

function toCriteria(
  ctx: FhirContext,
  route: ResourceRoute,
  params: Record<string, string[]>,
): { criteria: SearchCriteria; used: [string, string][]; statuses?: string[][]; type?: TypeToken } {
  const criteria: SearchCriteria = {};
  const used: [string, string][] = [];
  let statuses: string[][] | undefined;
  let type: TypeToken | undefined;
  for (const [name, values] of Object.entries(params)) {
    if (RESULT_PARAMS.has(name)) continue;
    if (IGNORED_RESULT_PARAMS.has(name)) {
      if (ctx.strictHandling)
        throw new InvalidInputError(
          `Search result parameter '${name}' is not supported (Prefer: handling=strict)`,
          name,
          400,
          'not-supported',
        );
      continue;
    }
    const [base, modifier] = name.split(':');
    const def = route.searchParams.find((p) => p.name === base);
    if (!def) {
      if (ctx.strictHandling)
        throw new InvalidInputError(
          `Unknown search parameter '${name}' for ${route.type} (Prefer: handling=strict); supported: ${route.searchParams.map((p) => p.name).join(', ')}`,
          name,
        );
      continue;
    }
    // a modifier changes what matches, so one we do not implement is refused, never ignored (FHIR search §3.2.1.5.5)
    if (modifier !== undefined)
      throw new InvalidInputError(
        `Search parameter '${base}' does not support the modifier ':${modifier}'`,
        name,
        400,
        'not-supported',
      );
    // dates: a repeat is AND and each value one range (a comma is refused as not a date); _id: a comma list
    if (def.name === 'status') statuses = applyStatus(values, criteria);
    else if (def.type === 'date' || def.name === '_id') def.apply(values, criteria);
    else {
      const value = oneValue(name, values);
      def.apply([def.type === 'token' ? value : unescapeSearch(value)], criteria);
    }
    if (route.type === 'Location' && def.name === 'type') {
      const token = parseToken(values[0]);
      if (checkedAtTheEdge(token)) type = token;
    }
    for (const v of values) used.push([name, v]);
  }
  return { criteria, used, statuses, type };
}

/**
 * Types whose `identifier` no system's search applies: an InventoryReport search lists live stock,
 * which carries no business identifier on any system, and every stock connector ignored the
 * parameter, so `identifier=…&location=…` listed the facility's whole stock and an If-None-Exist
 * on a report's identifier matched it (412, "matches 3 resources"). Matched here instead. Other
 * types are not: their systems search identifiers by their own (a facility code under another
 * system names the same Location).
 */
const IDENTIFIER_AT_THE_EDGE = new Set(['InventoryReport']);

/**
 * An identifier searched as `|value` (system ''): one with no system (search.html, token). The
 * systems take '' as no system at all (any), so it is matched here on every type.
 */
function identifierAtTheEdge(criteria: SearchCriteria, type: string | undefined): SearchCriteria['identifier'] {
  const identifier = criteria.identifier;
  return identifier?.system === '' || (type && IDENTIFIER_AT_THE_EDGE.has(type)) ? identifier : undefined;
}

function carriesIdentifier(resource: Json, wanted: NonNullable<SearchCriteria['identifier']>): boolean {
  const ids = ([] as Json[]).concat(resource.identifier ?? []);
  const inSystem = (i: Json) => (wanted.system === '' ? !i?.system : !wanted.system || i?.system === wanted.system);
  return ids.some((i) => i?.value === wanted.value && inSystem(i));
}

/**
 * InventoryReport `item` selects the reports that carry the product, each whole, as any search
 * parameter selects resources (search.html). The systems used it to cut the lines of their live
 * snapshot, which has one id: an `item` search answered that id with one line, seen as a new
 * version of it, so the next full read was another version again (ETag, meta.lastUpdated and
 * `_lastUpdated` downloads churned with no stock change), a product the facility does not stock
 * matched its report with no lines, and DHIS2 ignored the parameter. The systems are no longer
 * asked (each read the whole stock anyway); it is matched here against every product coding.
 */
function takeItemToEdge(route: ResourceRoute, criteria: SearchCriteria): SearchCriteria['item'] {
  if (route.type !== 'InventoryReport' || !criteria.item) return undefined;
  const item = criteria.item;
  delete criteria.item;
  return item;
}

function carriesItem(report: Json, wanted: NonNullable<SearchCriteria['item']>): boolean {
  const lines = ([] as Json[]).concat(report.inventoryListing ?? []).flatMap((l) => [].concat(l?.item ?? []));
  return lines.some((line: Json) =>
    ([] as Json[])
      .concat(line?.item?.concept?.coding ?? [])
      .some((c) => c?.code === wanted.code && (!wanted.system || c?.system === wanted.system)),
  );
}

/**
 * SupplyRequest `supplier` (the Location an order is delivered from, `deliverFrom`): only Open
 * mSupply's and DHIS2's order searches take it, so OpenLMIS and OpenMRS listed every order for any
 * supplier. Matched here on every system; Open mSupply is still asked (it answers the supplying
 * store's own view of the orders by it).
 */
function suppliedBy(type: string, criteria: SearchCriteria): string | undefined {
  return type === 'SupplyRequest' ? criteria.supplier : undefined;
}

function deliveredFrom(order: Json, locationId: string): boolean {
  const reference = order.deliverFrom?.reference;
  return typeof reference === 'string' && referenceIdOf(reference) === locationId;
}

/** The id of a Location reference as this server writes it (`Location/[id]`, or on its base). */
function referenceIdOf(reference: string): string {
  return reference.replace(/^.*Location\//, '').replace(/\/_history\/.*$/, '');
}

/** What the edge checks itself, besides the criteria the systems were asked. */
interface EdgeChecks {
  statuses?: string[][];
  locationType?: TypeToken;
  item?: SearchCriteria['item'];
  supplier?: string;
  /** InventoryReport `date` (report-date.ts); the systems are still asked (DHIS2 reads its periods by it). */
  reportDate?: SearchCriteria['date'];
}

/**
 * Edge-side filters that are cheap and make every service exact on them: _id, _lastUpdated,
 * status, a Location's type token (location-type-token.ts), an InventoryReport's item.
 */
function edgeFilter(resources: Json[], criteria: SearchCriteria, checks: EdgeChecks, type?: string): Json[] {
  const identifier = identifierAtTheEdge(criteria, type);
  const { statuses, locationType, item, supplier, reportDate } = checks;
  return resources.filter((r) => {
    if (criteria.ids && !criteria.ids.includes(r.id)) return false;
    if (statuses && !statuses.every((anyOf) => anyOf.includes(r.status))) return false;
    if (identifier && !carriesIdentifier(r, identifier)) return false;
    if (locationType && !hasTypeCoding(r, locationType)) return false;
    if (item && !carriesItem(r, item)) return false;
    if (supplier !== undefined && !deliveredFrom(r, supplier)) return false;
    if (reportDate?.length && !reportDateMatches(r, reportDate)) return false;
    return inRanges(r.meta?.lastUpdated, criteria.lastUpdated);
  });
}

function sortKey(route: ResourceRoute, resource: Json, key: string): string {
  // a key of another type (date on Location) would sort every resource as equal: refused, not ignored
  const known = key === '_lastUpdated' || key === '_id' || route.sortKeys.includes(key);
  switch (known ? key : undefined) {
    case '_lastUpdated':
      return resource.meta?.lastUpdated ?? '';
    case '_id':
      return resource.id ?? '';
    case 'name':
      return (resource.name ?? '').toLowerCase();
    case 'date':
      return resource.authoredOn ?? resource.reportedDateTime ?? '';
    default:
      throw new InvalidInputError(
        `_sort by '${key}' is not supported for ${route.type}; use _lastUpdated, _id${route.sortKeys.map((k) => `, ${k}`).join('')}`,
        '_sort',
      );
  }
}

function sortResources(route: ResourceRoute, resources: Json[], sort: string | undefined): Json[] {
  if (!sort) return resources;
  const keys = sort
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean)
    .map((k) => ({ key: k.replace(/^-/, ''), desc: k.startsWith('-') }));
  for (const { key } of keys) sortKey(route, {}, key);
  // each resource's keys made once, not twice per comparison (a name is lower-cased ~2 log n times otherwise)
  const keyed = resources.map((resource) => ({ resource, by: keys.map(({ key }) => sortKey(route, resource, key)) }));
  keyed.sort((a, b) => {
    for (let i = 0; i < keys.length; i++) {
      const x = a.by[i];
      const y = b.by[i];
      if (x !== y) return (x < y ? -1 : 1) * (keys[i].desc ? -1 : 1);
    }
    return 0;
  });
  return keyed.map((k) => k.resource);
}

/** How many upstream pages with no match one search request reads past before it answers an empty page. */
const EMPTY_PAGES_READ_PAST = 25;

export async function searchResources(
  ctx: FhirContext,
  type: string,
  params: Record<string, string[]>,
  opts: { all?: boolean } = {},
): Promise<SearchOutcome> {
  const route = requireRoute(ctx, type);
  const summary = single(params, '_summary');
  if (summary !== undefined && !['count', 'true', 'false', 'data', 'text'].includes(summary))
    throw new InvalidInputError(`_summary must be one of true, false, data, text, count`, '_summary');
  // whole resources are answered: false and data are that (ours carry no narrative), true and text are not
  if (ctx.strictHandling && (summary === 'true' || summary === 'text'))
    throw new InvalidInputError(
      `_summary=${summary} is not supported (Prefer: handling=strict): this server answers whole resources; _summary=count, false and data are served`,
      '_summary',
      400,
      'not-supported',
    );
  const count = Math.min(positiveInt('_count', single(params, '_count'), ctx.defaultCount), ctx.maxCount);
  const offset = positiveInt('_offset', single(params, '_offset'), 0);
  // FHIR search: _count=0 is _summary=count (the total, no entries and no next link; a next link
  // of _count=0 would be the page itself again, and a client following next links would never stop)
  const summaryCount = summary === 'count' || count === 0;
  const { criteria, used, statuses, type: locationType } = toCriteria(ctx, route, params);
  const checks: EdgeChecks = {
    statuses,
    locationType,
    item: takeItemToEdge(route, criteria),
    supplier: suppliedBy(route.type, criteria),
    reportDate: route.type === 'InventoryReport' ? criteria.date : undefined,
  };
  const sort = single(params, '_sort');
  const cursor = single(params, '_cursor');
  // a system pages for us only when we would not reorder or skip what it answers
  const pushDown = !opts.all && !sort && offset === 0 && !summaryCount;
  if (cursor !== undefined && !pushDown)
    throw new InvalidInputError(
      '_cursor comes from a next link and cannot be combined with _sort, _offset or _summary=count',
      '_cursor',
    );
  if (pushDown) criteria.page = { count, cursor };
  const service = serviceFor<unknown>(ctx, route);
  let page = await service.search(criteria);
  const leftOut = page.leftOut?.length ? { leftOut: page.leftOut } : {};
  const matchesOf = (p: typeof page) =>
    edgeFilter(
      p.items.flatMap((item) => encodeMatch(ctx, route, item)),
      criteria,
      checks,
      route.type,
    );
  if (sort) used.push(['_sort', sort]);
  if (page.paged) {
    let resources = matchesOf(page);
    // a page the filters here left empty is read past (a _lastUpdated download over a system
    // that keeps no change time met a run of empty pages, one request each), within a bound so
    // one request never walks a whole national list
    for (let skipped = 0; !resources.length && page.next !== undefined && skipped < EMPTY_PAGES_READ_PAST; skipped++) {
      page = await service.search({ ...criteria, page: { count, cursor: page.next } });
      resources = matchesOf(page);
    }
    // every page read from the first (one page, or empty ones read past): an ordinary searchset, total included
    if (cursor === undefined && page.next === undefined)
      return { resources, total: resources.length, used, offset: 0, count, summaryCount: false, ...leftOut };
    return {
      resources,
      total: page.total,
      cursor: { self: cursor, next: page.next },
      used,
      offset: 0,
      count,
      summaryCount: false,
      ...leftOut,
    };
  }
  if (cursor !== undefined)
    throw new InvalidInputError(
      '_cursor is not understood by the system that serves this search; page with _offset',
      '_cursor',
    );
  const matching = sortResources(route, matchesOf(page), sort);
  const resources = opts.all ? matching : matching.slice(offset, offset + count);
  return { resources, total: matching.length, used, offset, count, summaryCount, ...leftOut };
}

function link(
  ctx: FhirContext,
  type: string,
  used: [string, string][],
  offset: number,
  count: number,
  cursor?: string,
): string {
  const qs = new URLSearchParams(used);
  qs.set('_count', String(count));
  if (offset) qs.set('_offset', String(offset));
  if (cursor !== undefined) qs.set('_cursor', cursor);
  return `${ctx.baseUrl}/${type}?${qs.toString()}`;
}

function pageLinks(ctx: FhirContext, type: string, s: SearchOutcome): { relation: string; url: string }[] {
  if (s.cursor) {
    // paged upstream: forward only, as the upstream's own cursor goes
    const links = [{ relation: 'self', url: link(ctx, type, s.used, 0, s.count, s.cursor.self) }];
    if (s.cursor.next !== undefined)
      links.push({ relation: 'next', url: link(ctx, type, s.used, 0, s.count, s.cursor.next) });
    return links;
  }
  const links = [{ relation: 'self', url: link(ctx, type, s.used, s.offset, s.count) }];
  if (s.offset + s.count < (s.total ?? 0))
    links.push({ relation: 'next', url: link(ctx, type, s.used, s.offset + s.count, s.count) });
  if (s.offset > 0) links.push({ relation: 'previous', url: link(ctx, type, s.used, previousOffset(s), s.count) });
  return links;
}

/**
 * Where `previous` goes: the page before, or, from an `_offset` past the end, the last page
 * with matches on the client's own grid (offset − k·count), not an empty page before this one.
 */
function previousOffset(s: SearchOutcome): number {
  const before = s.offset - s.count;
  if (s.total === undefined || before < s.total) return Math.max(0, before);
  const back = Math.ceil((s.offset - s.total + 1) / s.count) * s.count;
  return Math.max(0, s.offset - back);
}

export function searchsetBundle(ctx: FhirContext, type: string, s: SearchOutcome): Json {
  // the systems left out are told on every page, a count's too: the total is theirs only
  const told = s.leftOut?.length ? [leftOutEntry(s.leftOut)] : [];
  if (s.summaryCount)
    return {
      resourceType: 'Bundle',
      type: 'searchset',
      total: s.total,
      link: [{ relation: 'self', url: link(ctx, type, [...s.used, ['_summary', 'count']], 0, s.count) }],
      ...(told.length ? { entry: told } : {}),
    };
  const head = {
    resourceType: 'Bundle',
    type: 'searchset',
    ...(s.total !== undefined ? { total: s.total } : {}),
    link: pageLinks(ctx, type, s),
  };
  if (!s.resources.length) return told.length ? { ...head, entry: told } : head;
  const fullUrlBase = `${ctx.baseUrl}/${type}/`;
  const entry = s.resources.map((r) => ({ fullUrl: `${fullUrlBase}${r.id}`, resource: r, search: MATCH }));
  // the remembered texts (searchset-text.ts) are of matches only
  if (told.length) return { ...head, entry: [...entry, ...told] };
  return withJsonText({ ...head, entry }, () => searchsetTexts.text(head, fullUrlBase, s.resources));
}

const MATCH = Object.freeze({ mode: 'match' });
/** A repeated search over unchanged matches answers the text it answered last (searchset-text.ts). */
const searchsetTexts = new SearchsetTexts();

export async function search(
  ctx: FhirContext,
  type: string,
  params: Record<string, string[]>,
): Promise<{ status: number; body: Json }> {
  return { status: 200, body: searchsetBundle(ctx, type, await searchResources(ctx, type, params)) };
}
