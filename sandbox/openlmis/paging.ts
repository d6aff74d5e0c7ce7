import { badRequest } from './errors.js';

/**
 * Spring Data `Pageable` from `page`, `size`, `sort` query params and the `Page<T>` JSON shape
 * (reference §0). `defaultSize` is Integer.MAX_VALUE in referencedata and v2 stock summaries:
 * no `page`/`size` means everything on one page.
 */
export interface Pageable {
  page: number;
  size: number;
  sort: Array<{ property: string; direction: 'ASC' | 'DESC' }>;
}

export const UNPAGED_SIZE = 2147483647;

export interface Page<T> {
  content: T[];
  totalElements: number;
  totalPages: number;
  size: number;
  number: number;
  numberOfElements: number;
  first: boolean;
  last: boolean;
  sort: Array<{
    direction: string;
    property: string;
    ignoreCase: boolean;
    nullHandling: string;
    ascending: boolean;
    descending: boolean;
  }> | null;
}

function toInt(value: unknown, fallback: number): number {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  return Number.isInteger(n) ? n : fallback;
}

export function parsePageable(query: Record<string, unknown>, defaultSize = UNPAGED_SIZE): Pageable {
  // Spring clamps negative pages to 0 and size < 1 to the default.
  const page = Math.max(0, toInt(query.page, 0));
  let size = toInt(query.size, defaultSize);
  if (size < 1) size = defaultSize;
  const sortParams = ([] as unknown[]).concat(query.sort ?? []).map(String);
  const sort = sortParams.filter(Boolean).map((s) => {
    const [property, dir] = s.split(',');
    return { property, direction: (dir ?? 'asc').toUpperCase() === 'DESC' ? ('DESC' as const) : ('ASC' as const) };
  });
  if (size > UNPAGED_SIZE) throw badRequest('error.paging', 'size too large');
  return { page, size, sort };
}

function compare(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return 1;
  if (b === null || b === undefined) return -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a).localeCompare(String(b));
}

export function sortItems<T>(
  items: T[],
  pageable: Pageable,
  fallback?: Array<{ property: string; direction: 'ASC' | 'DESC' }>,
): T[] {
  const sort = pageable.sort.length ? pageable.sort : (fallback ?? []);
  if (!sort.length) return items;
  return [...items].sort((x, y) => {
    for (const s of sort) {
      const c = compare((x as Record<string, unknown>)[s.property], (y as Record<string, unknown>)[s.property]);
      if (c !== 0) return s.direction === 'ASC' ? c : -c;
    }
    return 0;
  });
}

export function toPage<T>(all: T[], pageable: Pageable): Page<T> {
  const start = pageable.page * pageable.size;
  const content = start >= all.length ? [] : all.slice(start, start + pageable.size);
  const totalPages = Math.ceil(all.length / pageable.size);
  return {
    content,
    totalElements: all.length,
    totalPages,
    // PageImpl echoes the requested page size, Integer.MAX_VALUE for the unpaged default
    size: pageable.size,
    number: pageable.page,
    numberOfElements: content.length,
    first: pageable.page === 0,
    last: pageable.page >= totalPages - 1,
    sort: pageable.sort.length
      ? pageable.sort.map((s) => ({
          direction: s.direction,
          property: s.property,
          ignoreCase: false,
          nullHandling: 'NATIVE',
          ascending: s.direction === 'ASC',
          descending: s.direction === 'DESC',
        }))
      : null,
  };
}
