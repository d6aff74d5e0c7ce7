import { InvalidInputError } from '../../../domain/errors.js';
import type { Facility } from '../../../domain/index.js';
import type { Page, SearchCriteria } from '../../../routing/ports.js';
import type { LmisClient } from '../types.js';
import * as api from '../api.js';
import { readSpringPage } from '../paging.js';

/**
 * One page of a Location search, paged by OpenLMIS (issue 18: a 20-item search pulled every
 * facility and zone from OpenLMIS and decoded them all). Facilities come a page at a time from
 * GET /api/facilities/full with the filters the server takes (code, type, zoneId; its default
 * sort is by name, so pages are stable); zones follow the last facility page, from the cached zone
 * list. The exact FHIR meaning is applied to each page here (the server's code filter is a
 * substring match), so a page may hold fewer than `count`: the cursor says where the next begins.
 *
 * The name is not pushed down: FHIR's name search ignores accents ("Sao" finds "São Tomé") and
 * OpenLMIS's UPPER(name) LIKE does not, so its answer would not be a superset of ours.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- OpenLMIS JSON as parsed
type Json = Record<string, any>;

/** Where the next page starts: a facility page of OpenLMIS, or an index into the zones. */
type Cursor = { facilityPage: number } | { zone: number };

export function encodeCursor(c: Cursor): string {
  return 'facilityPage' in c ? `f${c.facilityPage}` : `z${c.zone}`;
}

export function decodeCursor(s: string | undefined): Cursor {
  if (s === undefined) return { facilityPage: 0 };
  const m = /^([fz])(\d{1,9})$/.exec(s);
  if (!m) throw new InvalidInputError(`_cursor '${s}' is not one this server gave`, '_cursor');
  return m[1] === 'f' ? { facilityPage: Number(m[2]) } : { zone: Number(m[2]) };
}

export interface LocationSearchParts {
  client: LmisClient;
  /** One facility of the OpenLMIS page decoded (the same object again while it is unchanged). */
  decode: (dto: unknown) => Facility;
  /** The FHIR meaning of the criteria, applied to each decoded Location. */
  matches: (f: Facility, c: SearchCriteria) => boolean;
  /** Zones as area Locations (cached with the reference data). */
  zones: () => Promise<Facility[]>;
  wantsFacilities: boolean;
  wantsZones: boolean;
}

/** Up to `count` zones from `from`, and the cursor after them. */
async function zonePage(
  parts: LocationSearchParts,
  c: SearchCriteria,
  from: number,
  count: number,
): Promise<{ items: Facility[]; next?: Cursor }> {
  if (!parts.wantsZones) return { items: [] };
  const all = (await parts.zones()).filter((z) => parts.matches(z, c));
  const room = Math.max(0, count);
  const items = all.slice(from, from + room);
  return { items, next: from + room < all.length ? { zone: from + room } : undefined };
}

export async function searchLocationPage(
  parts: LocationSearchParts,
  c: SearchCriteria & { page: NonNullable<SearchCriteria['page']> },
): Promise<Page<Facility>> {
  const size = c.page.count;
  const at = decodeCursor(c.page.cursor);
  if ('zone' in at || !parts.wantsFacilities) {
    const zones = await zonePage(parts, c, 'zone' in at ? at.zone : 0, size);
    return { items: zones.items, paged: true, next: zones.next && encodeCursor(zones.next) };
  }
  const page = at.facilityPage;
  const query = { code: c.identifier?.value, zoneId: c.partOf, type: c.type, page, size };
  const read = readSpringPage<Json>(await api.fullFacilitiesPage(parts.client, query), page, size);
  const items = (read?.items ?? []).map(parts.decode).filter((f) => parts.matches(f, c));
  if (read && !read.last) return { items, paged: true, next: encodeCursor({ facilityPage: page + 1 }) };
  // the last facility page: zones fill what room is left
  const zones = await zonePage(parts, c, 0, size - items.length);
  return { items: [...items, ...zones.items], paged: true, next: zones.next && encodeCursor(zones.next) };
}
