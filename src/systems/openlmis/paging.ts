import { LMIS, LmisError } from './errors.js';

/**
 * Spring Data pages (reference §0): `{content, number, size, last, totalPages}` with 0-based
 * `page`. Some endpoints answer a bare array (GET /api/programs) or ignore paging; both end the
 * loop. A server that keeps saying `last: false` with empty pages must not loop forever.
 */
const MAX_PAGES = 10_000;

interface SpringPage {
  content?: unknown[] | null;
  last?: boolean | null;
  totalPages?: number | null;
  number?: number | null;
}

export async function collectPages<T>(fetchPage: (page: number, size: number) => Promise<unknown>, size: number, path: string): Promise<T[]> {
  const out: T[] = [];
  for (let page = 0; page < MAX_PAGES; page++) {
    const body = await fetchPage(page, size);
    if (Array.isArray(body)) return [...out, ...(body as T[])];
    if (!body || typeof body !== 'object' || !('content' in body)) {
      throw new LmisError({ system: LMIS, transient: false, status: 502, code: 'exception', diagnostics: `GET ${path} answered neither a page nor an array` });
    }
    const p = body as SpringPage;
    const content = (p.content ?? []) as T[];
    out.push(...content);
    // `last` decides when the server sends it; otherwise totalPages, then a short page
    const done = p.last === true || content.length === 0
      || (p.last == null && ((typeof p.totalPages === 'number' && page + 1 >= p.totalPages) || content.length < size));
    if (done) return out;
  }
  throw new LmisError({ system: LMIS, transient: false, status: 502, code: 'too-costly', diagnostics: `GET ${path} kept paging past ${MAX_PAGES} pages` });
}
