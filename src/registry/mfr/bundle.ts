import { malformedAnswer } from '../../upstream/errors.js';
import { REGISTRY, makeRegistryError } from './errors.js';

/**
 * Bundle pages as a FHIR server returns them: the entries, and the `next` link turned into a path
 * under the configured base URL. Only the link's path and query are kept, never its host: a
 * server behind a proxy often writes its internal address into links, and credentials must never
 * follow a link to another host.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- FHIR JSON as the registry sent it, read defensively
type Json = Record<string, any>;

export interface BundlePage {
  entries: Json[];
  /** Path (with query) under the base URL, when there is a next page. */
  next?: string;
  total?: number;
  /**
   * The registry's instant when it made the search: Bundle.meta.lastUpdated (HAPI sets it to the
   * search's time), else the HTTP Date header less its second's resolution, when the answer has one.
   */
  at?: string;
}

export function readBundle(body: unknown, what: string, baseUrl: string): BundlePage {
  const b = body as Json | undefined;
  if (!b || typeof b !== 'object' || b.resourceType !== 'Bundle')
    throw malformedAnswer(
      REGISTRY,
      `${what} answered ${b && typeof b === 'object' ? (b.resourceType ?? 'an object') : typeof b}, not a Bundle`,
      makeRegistryError,
    );
  const entries = Array.isArray(b.entry) ? (b.entry as Json[]) : [];
  const link = (Array.isArray(b.link) ? (b.link as Json[]) : []).find((l) => l?.relation === 'next');
  return {
    entries,
    next: typeof link?.url === 'string' && link.url ? pathUnderBase(link.url, baseUrl) : undefined,
    total: typeof b.total === 'number' ? b.total : undefined,
    at: instantOf(b.meta?.lastUpdated),
  };
}

function instantOf(raw: unknown): string | undefined {
  return typeof raw === 'string' && !Number.isNaN(Date.parse(raw)) ? raw : undefined;
}

/**
 * An HTTP Date header as an instant no later than the search. Less a minute, not only its second's
 * resolution: a reverse proxy in front of the registry (nginx by default) stamps Date with its own
 * clock, which can run ahead of the registry's; an instant too late would let the mark step over
 * a change made during the read, while one too early only reads a minute's changes again.
 */
const DATE_HEADER_MARGIN_MS = 60_000;

export function instantBeforeDate(date: unknown): string | undefined {
  const t = typeof date === 'string' ? Date.parse(date) : NaN;
  return Number.isNaN(t) ? undefined : new Date(t - DATE_HEADER_MARGIN_MS).toISOString();
}

/** `https://internal:8080/fhir/Location?_getpages=…` → `/Location?_getpages=…` (base `…/fhir`). */
export function pathUnderBase(link: string, baseUrl: string): string {
  const base = new URL(baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
  const url = new URL(link, base);
  const basePath = base.pathname.replace(/\/+$/, '');
  // HAPI's paging links point at the base itself (`…/fhir?_getpages=…`)
  const under = url.pathname === basePath || url.pathname.startsWith(`${basePath}/`);
  const path = under ? url.pathname.slice(basePath.length) : url.pathname;
  return `${path}${url.search}`;
}
