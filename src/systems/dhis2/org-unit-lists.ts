/**
 * The org unit lists a Location search read, kept briefly for the next page of that search.
 *
 * DHIS2 org units are matched here with the FHIR meaning after DHIS2's own filters (facilities.ts),
 * so the FHIR layer pages the matches itself (`_offset`), and each page was a search of its own:
 * every page a client followed listed every matching org unit again, page by page of
 * `dhis2.pageSize`. A list is now kept for LIST_REUSE_MS and reused only while DHIS2 says it is
 * unchanged: one call with the same filters, `order=lastUpdated:desc` and `pageSize=1` gives the
 * number of org units that match (`pager.total`) and the newest change among them. An org unit
 * added, changed, moved into or out of the filters, or deleted moves one of the two, and the list
 * is read again. What they cannot show (a change DHIS2 stamps with the very time of the newest
 * one seen, or a write to its database behind its API, which stamps nothing) shows within
 * LIST_REUSE_MS. Paging down to DHIS2 instead would need an order no new org unit shifts, and
 * pages the exact FHIR match would leave short or empty.
 */
import type { Dhis2Client } from './client.js';
import { asRecord } from '../../upstream/errors.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- DHIS2 JSON, read field by field with checks
type Json = Record<string, any>;

/** How long a list may answer the pages after the first: a client follows `next` links within seconds. */
export const LIST_REUSE_MS = 60_000;
/** Searches kept at once (the oldest goes first): a few clients paging, not a cache of DHIS2. */
const MOST_LISTS = 16;

const PATH = '/api/organisationUnits';

/** What DHIS2 says of a list's org units: how many, and the newest lastUpdated among them. */
interface ListState {
  total: number;
  newest: string;
}

interface KeptList {
  units: Json[];
  state: ListState;
  readAt: number;
}

/** The state of a list as read: its length and the newest lastUpdated of its org units. */
function stateOf(units: readonly Json[]): ListState {
  let newest = '';
  for (const u of units) if (typeof u.lastUpdated === 'string' && u.lastUpdated > newest) newest = u.lastUpdated;
  return { total: units.length, newest };
}

export class OrgUnitLists {
  private readonly kept = new Map<string, KeptList>();

  constructor(
    private readonly client: Dhis2Client,
    private readonly now: () => number = Date.now,
  ) {}

  /** The org units matching `filter` with `fields`, in `order`: the list kept for them while DHIS2 says it is unchanged. */
  async list(fields: string, filter: string[], order: string): Promise<Json[]> {
    const key = JSON.stringify([fields, filter, order]);
    const kept = this.kept.get(key);
    if (kept && this.now() - kept.readAt < LIST_REUSE_MS && (await this.unchanged(filter, kept.state)))
      return kept.units;
    const readAt = this.now();
    const units = await this.client.list<Json>(PATH, 'organisationUnits', {
      fields,
      filter: filter.length ? filter : undefined,
      order,
    });
    this.keep(key, { units, state: stateOf(units), readAt });
    return units;
  }

  clear(): void {
    this.kept.clear();
  }

  private keep(key: string, list: KeptList): void {
    this.kept.delete(key);
    this.kept.set(key, list);
    for (const oldest of this.kept.keys()) {
      if (this.kept.size <= MOST_LISTS) break;
      this.kept.delete(oldest);
    }
  }

  /** One call: the same filters' count and newest change, as the kept list had them. */
  private async unchanged(filter: string[], was: ListState): Promise<boolean> {
    const page = asRecord(
      await this.client.call<unknown>({
        method: 'GET',
        path: PATH,
        query: {
          fields: 'lastUpdated',
          filter: filter.length ? filter : undefined,
          order: 'lastUpdated:desc',
          page: 1,
          pageSize: 1,
        },
      }),
    );
    const pager = asRecord(page?.pager);
    const units = page?.organisationUnits;
    // no pager (an old server's whole list): no count to compare, so the list is read again
    if (!pager || !Array.isArray(units)) return false;
    const newest = typeof units[0]?.lastUpdated === 'string' ? units[0].lastUpdated : '';
    return Number(pager.total) === was.total && newest === was.newest;
  }
}
