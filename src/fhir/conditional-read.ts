import type { Json } from './codecs/common.js';
import { atVersion } from './version-id.js';

/** The validators a read (or vread) is made conditional on: FHIR http.html#cread, RFC 9110 §13.1.2-3. */
export interface ReadConditions {
  /** `If-None-Match` (a Bundle entry's `request.ifNoneMatch`): checked as an entity tag list already. */
  ifNoneMatch?: string;
  /** `If-Modified-Since`: an HTTP date (a Bundle entry's `request.ifModifiedSince`: an instant). */
  ifModifiedSince?: string;
}

/** The time an encoder gives a resource whose system keeps none: no change time to compare with. */
const UNKNOWN_TIME = '1970-01-01T00:00:00.000Z';

/**
 * The versions an If-Match or If-None-Match names: '*' (any), or each entity tag of its list,
 * weak or strong alike (every ETag served is weak: FHIR compares versions, RFC 9110 §13.1.1 lets
 * If-None-Match compare weakly, and clients send back W/"v", "v" or a bare v).
 */
export function etagVersions(header: string): '*' | string[] {
  if (header.trim() === '*') return '*';
  return header.split(',').map((tag) => tag.trim().replace(/^W\//, '').replace(/^"|"$/g, ''));
}

/**
 * Whether the client already holds this version of the resource, so a read answers 304 Not
 * Modified with no body (a cache or an app on a slow link revalidating what it has). RFC 9110
 * §13.2.2: If-None-Match, when sent, decides alone (weak comparison; `*` matches any resource
 * that exists); otherwise If-Modified-Since, when it is a valid date, compared to the second
 * (Last-Modified carries whole seconds). A resource with no known change time is never "not
 * modified since": a change of it would not move its time.
 */
export function notModified(resource: Json, conditions: ReadConditions | undefined): boolean {
  if (!conditions) return false;
  const { ifNoneMatch, ifModifiedSince } = conditions;
  if (ifNoneMatch !== undefined) {
    const versions = etagVersions(ifNoneMatch);
    return versions === '*' || atVersion(resource, versions);
  }
  if (ifModifiedSince === undefined) return false;
  const since = sinceInstant(ifModifiedSince);
  const lastUpdated = resource.meta?.lastUpdated;
  if (since === undefined || typeof lastUpdated !== 'string' || lastUpdated === UNKNOWN_TIME) return false;
  const changed = Date.parse(lastUpdated);
  return Number.isFinite(changed) && Math.floor(changed / 1000) <= Math.floor(since / 1000);
}

/** IMF-fixdate, RFC 850 and asctime dates (RFC 9110 §5.6.7), or an instant (a Bundle entry's). */
const HTTP_DATE =
  /^(?:[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT|[A-Z][a-z]+, \d{2}-[A-Z][a-z]{2}-\d{2} \d{2}:\d{2}:\d{2} GMT|[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2} \d{4})$/;
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/;

/**
 * The milliseconds an If-Modified-Since names, or undefined when it is no date: RFC 9110 §13.1.3
 * has such a header ignored (the read answers in full), as it is a list or a date it cannot parse.
 */
function sinceInstant(value: string): number | undefined {
  const text = value.trim();
  if (!HTTP_DATE.test(text) && !INSTANT.test(text)) return undefined;
  // asctime dates carry no zone: they are GMT
  const ms = Date.parse(/GMT$|Z$|[+-]\d{2}:\d{2}$/.test(text) ? text : `${text} GMT`);
  return Number.isFinite(ms) ? ms : undefined;
}
