import { restError } from './errors.js';

/**
 * REST paging (webservices.rest RestConstants / BasePageableResult): `limit` defaults to 50
 * (GP webservices.rest.maxResultsDefault) and is capped at 100 (maxResultsAbsolute); `startIndex`
 * from 0; `links` carries `next`/`prev` only when there is such a page, written with the server's
 * idea of its own URL (GP webservices.rest.uriPrefix); `totalCount=true` adds the total.
 */
export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 100;

export function pageOf<T>(items: T[], query: Record<string, unknown>, selfUrl: string): Record<string, unknown> {
  const rawLimit = query.limit === undefined ? DEFAULT_LIMIT : Number(query.limit);
  const rawStart = query.startIndex === undefined ? 0 : Number(query.startIndex);
  if (!Number.isInteger(rawLimit) || !Number.isInteger(rawStart) || rawStart < 0)
    throw restError(
      400,
      `Invalid paging parameters limit=${String(query.limit)} startIndex=${String(query.startIndex)}`,
    );
  const limit = rawLimit <= 0 ? DEFAULT_LIMIT : Math.min(rawLimit, MAX_LIMIT);
  const results = items.slice(rawStart, rawStart + limit);
  const link = (startIndex: number) => {
    const u = new URL(selfUrl);
    for (const [k, v] of Object.entries(query))
      if (v !== undefined && k !== 'startIndex' && k !== 'limit') u.searchParams.set(k, String(v));
    u.searchParams.set('limit', String(limit));
    u.searchParams.set('startIndex', String(startIndex));
    return u.toString();
  };
  const out: Record<string, unknown> = { results };
  const pageLinks = [
    ...(rawStart + limit < items.length ? [{ rel: 'next', uri: link(rawStart + limit) }] : []),
    ...(rawStart > 0 ? [{ rel: 'prev', uri: link(Math.max(0, rawStart - limit)) }] : []),
  ];
  if (pageLinks.length) out.links = pageLinks;
  if (String(query.totalCount) === 'true') out.totalCount = items.length;
  return out;
}
