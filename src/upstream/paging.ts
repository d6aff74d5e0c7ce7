import { malformedAnswer, type ErrorFactory } from './errors.js';

/**
 * Collects every item across pages. The page shape is the system's knowledge (Spring Data pages for
 * OpenLMIS, `pager` for DHIS2, `totalCount` for GraphQL lists), given as `readPage`; the loop, its
 * guard against a server that never says it is done, and the errors are here once.
 */
export const MAX_PAGES = 10_000;

export interface PageRead<T> {
  items: T[];
  /** No page after this one. */
  last: boolean;
}

export interface PagingOptions<T> {
  system: string;
  /** For the diagnostics: `GET /api/…`. */
  what: string;
  /** A page answer → its items and whether it is the last; undefined when the answer is not a page. */
  readPage: (body: unknown, page: number, size: number) => PageRead<T> | undefined;
  makeError?: ErrorFactory;
  maxPages?: number;
}

export async function collectAllPages<T>(
  fetchPage: (page: number, size: number) => Promise<unknown>,
  size: number,
  opts: PagingOptions<T>,
): Promise<T[]> {
  const out: T[] = [];
  const max = opts.maxPages ?? MAX_PAGES;
  for (let page = 0; page < max; page++) {
    const read = opts.readPage(await fetchPage(page, size), page, size);
    if (!read) throw malformedAnswer(opts.system, `${opts.what} answered neither a page nor an array`, opts.makeError);
    out.push(...read.items);
    if (read.last || read.items.length === 0) return out;
  }
  throw malformedAnswer(opts.system, `${opts.what} kept paging past ${max} pages`, opts.makeError, 'too-costly');
}
