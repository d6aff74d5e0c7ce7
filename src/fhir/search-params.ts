import { InvalidInputError } from '../domain/errors.js';
import type { InstantRange } from '../domain/instant-range.js';
import type { SearchCriteria } from '../routing/ports.js';
import { EXT, SP_BASE } from './conventions.js';
import { isCalendarDate } from './validation/dates.js';
import { mayNameKind } from './location-type-token.js';

/**
 * A search parameter we serve: its FHIR definition (for the CapabilityStatement) and how its
 * values become domain SearchCriteria. Custom ones (no official definition) are also served as
 * SearchParameter resources.
 */
export interface SearchParamDef {
  name: string;
  type: 'token' | 'string' | 'reference' | 'date';
  expression: string;
  description: string;
  /** Official definition canonical, or undefined for the ones we define. */
  official?: string;
  apply(values: string[], criteria: SearchCriteria): void;
}

type DatePrefix = 'eq' | 'ne' | 'gt' | 'lt' | 'ge' | 'le' | 'sa' | 'eb' | 'ap';
const DATE_PREFIXES: DatePrefix[] = ['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb', 'ap'];
const dateValue = /^\d{4}(-\d{2}(-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;
const DAY_MS = 86_400_000;

/**
 * A FHIR date search value (prefix + a date of any precision) as the neutral instant range it
 * means: `2024-03` is the whole of March, `gt2024-03` starts in April, `ap` widens by 10 % of the
 * distance from now (at least a day), `ne` is the excluded range. Values without a zone are UTC.
 */
export function parseDate(name: string, raw: string): InstantRange {
  const prefix = DATE_PREFIXES.find((p) => raw.startsWith(p)) ?? 'eq';
  const value = DATE_PREFIXES.includes(raw.slice(0, 2) as DatePrefix) ? raw.slice(2) : raw;
  if (!dateValue.test(value) || !isCalendarDate(value)) {
    throw new InvalidInputError(
      `Search parameter ${name}: '${raw}' is not a FHIR date (prefix eq|ne|gt|lt|ge|le|sa|eb|ap then ` +
        'YYYY[-MM[-DD[Thh:mm[:ss][zone]]]], a real calendar date and time)',
      name,
    );
  }
  const [start, end] = implicitRange(value);
  const iso = (t: number) => new Date(t).toISOString();
  switch (prefix) {
    case 'eq':
      return { from: iso(start), to: iso(end) };
    case 'ne':
      return { from: iso(start), to: iso(end), exclude: true };
    case 'gt':
    case 'sa':
      return { from: iso(end + 1) };
    case 'lt':
    case 'eb':
      return { to: iso(start - 1) };
    case 'ge':
      return { from: iso(start) };
    case 'le':
      return { to: iso(end) };
    case 'ap': {
      const slack = Math.max(DAY_MS, Math.abs(Date.now() - start) / 10);
      return { from: iso(start - slack), to: iso(end + slack) };
    }
  }
}

/** First and last millisecond a date of the given precision stands for. */
function implicitRange(value: string): [number, number] {
  const zone = /(Z|[+-]\d{2}:\d{2})$/.exec(value)?.[0];
  const local = zone ? value.slice(0, -zone.length) : value;
  const [date, time] = local.split('T');
  const [y, m, d] = date.split('-').map(Number);
  if (!m) return [Date.UTC(y, 0, 1), Date.UTC(y + 1, 0, 1) - 1];
  if (!d) return [Date.UTC(y, m - 1, 1), Date.UTC(y, m, 1) - 1];
  if (!time) return [Date.UTC(y, m - 1, d), Date.UTC(y, m - 1, d + 1) - 1];
  const start = Date.parse(`${local}${zone ?? 'Z'}`);
  const seconds = time.split(':').length > 2;
  const width = time.includes('.') ? 1 : seconds ? 1000 : 60_000;
  return [start, start + width - 1];
}

/**
 * A token `[system|]code`, split at its first unescaped `|` and each part unescaped (FHIR search
 * escaping: `\|`, `\$`, `\,`, `\\`), so `DL\|1` is the code `DL|1` (any system), not the code
 * `1` in the system `DL\`.
 */
export function parseToken(raw: string): { system?: string; code: string } {
  const bar = unescapedAt(raw, '|');
  if (bar < 0) return { code: unescapeSearch(raw) };
  return { system: unescapeSearch(raw.slice(0, bar)) || undefined, code: unescapeSearch(raw.slice(bar + 1)) };
}

/**
 * Where the first `char` no backslash escapes stands at or after `from`, -1 if none (a backslash
 * escapes the next character).
 */
export function unescapedAt(raw: string, char: string, from = 0): number {
  for (let i = from; i < raw.length; i++) {
    if (raw[i] === '\\') i++;
    else if (raw[i] === char) return i;
  }
  return -1;
}

/** A search value's escapes undone: `\|`, `\$`, `\,` and `\\` stand for the character itself. */
export function unescapeSearch(value: string): string {
  return value.replace(/\\([|$,\\])/g, '$1');
}

/**
 * A token that names a value. FHIR reads `system|` as any value in that system; the systems match
 * a value only, so an empty one would match nothing (no identifier, no stock line) and the answer
 * would read as "none has one". Refused instead.
 */
function valuedToken(name: string, raw: string): { system?: string; code: string } {
  const t = parseToken(raw);
  if (t.system && !t.code)
    throw new InvalidInputError(
      `Search parameter ${name}: '${raw}' (any value in a system) is not supported; give system|value`,
      name,
      400,
      'not-supported',
    );
  return t;
}

function referenceId(raw: string, target: string): string {
  return raw.replace(new RegExp(`^.*${target}/`), '');
}

function spUrl(resource: string, name: string): string {
  return `${SP_BASE}/${resource}-${name}`;
}

const official = (resource: string, name: string) => `http://hl7.org/fhir/SearchParameter/${resource}-${name}`;

export const commonParams = (resource: string): SearchParamDef[] => [
  {
    name: '_id',
    type: 'token',
    expression: `${resource}.id`,
    description: 'Logical id',
    official: 'http://hl7.org/fhir/SearchParameter/Resource-id',
    apply: (v, c) => {
      c.ids = v.flatMap((x) => x.split(','));
    },
  },
  {
    name: '_lastUpdated',
    type: 'date',
    expression: `${resource}.meta.lastUpdated`,
    description: 'When the resource last changed',
    official: 'http://hl7.org/fhir/SearchParameter/Resource-lastUpdated',
    apply: (v, c) => {
      c.lastUpdated = v.map((x) => parseDate('_lastUpdated', x));
    },
  },
  {
    name: 'identifier',
    type: 'token',
    expression: `${resource}.identifier`,
    description: 'A business identifier (system|value)',
    official: official(resource, 'identifier'),
    apply: (v, c) => {
      const t = valuedToken('identifier', v[0]);
      // `|value`: an identifier with no system (search.html, token), '' here; `value`: any system
      c.identifier = { system: v[0].startsWith('|') ? '' : t.system, value: t.code };
    },
  },
  {
    name: 'status',
    type: 'token',
    expression: `${resource}.status`,
    description: 'Status',
    official: official(resource, 'status'),
    apply: (v, c) => {
      c.status = parseToken(v[0]).code;
    },
  },
];

export const locationParams: SearchParamDef[] = [
  {
    name: 'name',
    type: 'string',
    expression: 'Location.name | Location.alias',
    description:
      "Name or alias: it or a word in it starts with the value (case- and accent-insensitive). A Location has an alias where its system keeps a second name (DHIS2's short name); OpenLMIS, Open mSupply and OpenMRS keep none",
    official: official('Location', 'name'),
    apply: (v, c) => {
      c.name = v[0];
    },
  },
  {
    name: 'partof',
    type: 'reference',
    expression: 'Location.partOf',
    description: 'The enclosing Location',
    official: official('Location', 'partof'),
    apply: (v, c) => {
      c.partOf = referenceId(v[0], 'Location');
    },
  },
  {
    name: 'type',
    type: 'token',
    expression: 'Location.type',
    description: 'Facility type code',
    official: official('Location', 'type'),
    apply: (v, c) => {
      // the mCSD kind coding is the mediator's, no system's: a system asked for it matches none
      // (location-type-token.ts), so it is matched at the edge alone
      const token = parseToken(v[0]);
      if (!mayNameKind(token)) c.type = token.code;
    },
  },
];

export const supplyRequestParams: SearchParamDef[] = [
  {
    name: 'subject',
    type: 'reference',
    expression: 'SupplyRequest.deliverTo',
    description: 'The receiving facility (deliverTo)',
    official: official('SupplyRequest', 'subject'),
    apply: (v, c) => {
      c.facility = referenceId(v[0], 'Location');
    },
  },
  {
    name: 'date',
    type: 'date',
    expression: 'SupplyRequest.authoredOn',
    description: 'When the order was authored',
    official: official('SupplyRequest', 'date'),
    apply: (v, c) => {
      c.date = v.map((x) => parseDate('date', x));
    },
  },
  {
    // ours, not FHIR's SupplyRequest-supplier (SupplyRequest.supplier, an Organization this server
    // never writes): an order's supplier is the Location it is delivered from. Matched at the edge
    // (search.ts), so it holds on every system; Open mSupply also reads its warehouse's view by it.
    name: 'supplier',
    type: 'reference',
    expression: 'SupplyRequest.deliverFrom',
    description: 'The supplying facility (deliverFrom)',
    apply: (v, c) => {
      c.supplier = referenceId(v[0], 'Location');
    },
  },
];

export const supplyDeliveryParams: SearchParamDef[] = [
  {
    name: 'destination',
    type: 'reference',
    expression: 'SupplyDelivery.destination',
    description: 'The receiving Location (shipments to a facility)',
    apply: (v, c) => {
      c.facility = referenceId(v[0], 'Location');
    },
  },
  {
    name: 'based-on',
    type: 'reference',
    expression: 'SupplyDelivery.basedOn',
    description: 'The SupplyRequest (order line) this delivery fulfils',
    apply: (v, c) => {
      c.basedOn = referenceId(v[0], 'SupplyRequest');
    },
  },
  {
    // ours, not FHIR's SupplyDelivery-supplier (SupplyDelivery.supplier, which may reference only a
    // Practitioner, PractitionerRole or Organization): every system matches the supplying facility,
    // a Location, which a delivery carries in the supplying-location extension (and its order in deliverFrom)
    name: 'supplier',
    type: 'reference',
    expression: `SupplyDelivery.extension('${EXT.supplyingLocation}').value.ofType(Reference)`,
    description: 'The supplying facility (the Location in the supplying-location extension)',
    apply: (v, c) => {
      // Open mSupply reads a supplying store's outbound shipments by it: `Location/[id]` names the store
      c.supplier = referenceId(v[0], 'Location');
    },
  },
];

export const inventoryReportParams: SearchParamDef[] = [
  {
    name: 'location',
    type: 'reference',
    expression: 'InventoryReport.inventoryListing.location',
    description: 'The Location whose stock is reported',
    apply: (v, c) => {
      c.facility = referenceId(v[0], 'Location');
    },
  },
  {
    name: 'date',
    type: 'date',
    expression: 'InventoryReport.reportedDateTime | InventoryReport.reportingPeriod',
    description: 'When the report was made, or the period it reports on',
    apply: (v, c) => {
      c.date = v.map((x) => parseDate('date', x));
    },
  },
  {
    name: 'item',
    type: 'token',
    expression: 'InventoryReport.inventoryListing.item.item.concept',
    description: 'Product code',
    official: official('InventoryReport', 'item'),
    apply: (v, c) => {
      c.item = valuedToken('item', v[0]);
    },
  },
];

export function definitionUrl(resource: string, p: SearchParamDef): string {
  return p.official ?? spUrl(resource, p.name);
}

/** The SearchParameter resource for one of our own parameters. */
export function searchParameterResource(
  resource: string,
  p: SearchParamDef,
  fhirVersion: string,
): Record<string, unknown> {
  return {
    resourceType: 'SearchParameter',
    id: `${resource}-${p.name}`,
    url: spUrl(resource, p.name),
    name: `${resource}${p.name.replace(/(^|-)(\w)/g, (_m, _d, ch: string) => ch.toUpperCase())}`,
    status: 'active',
    description: p.description,
    code: p.name,
    base: [resource],
    type: p.type,
    expression: p.expression,
    ...(p.type === 'reference' ? { target: [p.expression.includes('basedOn') ? 'SupplyRequest' : 'Location'] } : {}),
    ...(fhirVersion.startsWith('4') ? { xpathUsage: 'normal' } : { processingMode: 'normal' }),
  };
}
