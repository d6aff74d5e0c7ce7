import { collectAllPages, type PageRead } from '../../upstream/paging.js';
import { LMIS, makeLmisError } from './errors.js';

/**
 * Spring Data pages (reference §0): `{content, number, size, last, totalPages}` with 0-based
 * `page`. Some endpoints answer a bare array (GET /api/programs) or ignore paging; both end the
 * loop (upstream/paging.ts guards against a server that never says it is done).
 */
interface SpringPage {
  content?: unknown[] | null;
  last?: boolean | null;
  totalPages?: number | null;
  number?: number | null;
}

export function readSpringPage<T>(body: unknown, page: number, size: number): PageRead<T> | undefined {
  if (Array.isArray(body)) return { items: body as T[], last: true };
  if (!body || typeof body !== 'object' || !('content' in body)) return undefined;
  const p = body as SpringPage;
  const items = (p.content ?? []) as T[];
  // `last` decides when the server sends it; otherwise totalPages, then a short page
  const last =
    p.last === true ||
    (p.last == null && ((typeof p.totalPages === 'number' && page + 1 >= p.totalPages) || items.length < size));
  return { items, last };
}

export function collectPages<T>(
  fetchPage: (page: number, size: number) => Promise<unknown>,
  size: number,
  path: string,
): Promise<T[]> {
  return collectAllPages<T>(fetchPage, size, {
    system: LMIS,
    what: `GET ${path}`,
    readPage: readSpringPage,
    makeError: makeLmisError,
  });
}
