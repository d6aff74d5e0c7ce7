import { hash } from 'node:crypto';
import { contentVersionWithout } from '../domain/ids.js';
import type { Json } from './codecs/common.js';

/**
 * meta.versionId, the resource's ETag: a hash of the JSON text the resource is answered with,
 * meta left out (issue 18, session 39). Until session 39 it was the SHA-256 of a canonical text
 * (keys sorted: domain/ids.ts contentVersionWithout), a second walk of every resource besides
 * the answer's own JSON.stringify (~75k of the edge's 472k instructions per create); now the one
 * text is made once, hashed, and sent (adapters.ts withMeta).
 *
 * The same content still gives the same version: the text is the encoder's, a pure function of
 * the domain value that builds every object member by member in its own order, so the order of
 * the domain value's keys (a payload read back from PostgreSQL's jsonb has other orders) does
 * not reach it (test/unit/fhir/version-id.test.ts checks each adapter with every key order
 * reversed).
 *
 * SHA-1, cut to 80 bits: a tag says which version a client holds, and any digest cut to 80 bits
 * collides after about 2^40 tries, fewer than any known attack on SHA-1 needs; SHA-1 takes half
 * of SHA-256's instructions (callgrind, which hides this host's SHA-NI) and is a little faster
 * with SHA-NI too (session 28: 0.99 against 1.20 µs for 846 bytes).
 *
 * Tags of the earlier form (16 hex characters) were handed out before: a client holding one
 * for content that has not changed since keeps its If-Match, If-None-Match and vread
 * (`atVersion`). The new form is 20 hex characters, so the two are never confused.
 */
const LENGTH = 20;

/** An earlier form's tag: 16 lowercase hex characters (contentVersion). */
const EARLIER_FORM = /^[0-9a-f]{16}$/;

/** The versionId of a resource whose JSON text, meta left out, is `text`. */
export function versionOfText(text: string): string {
  return hash('sha1', text, 'hex').slice(0, LENGTH);
}

/**
 * The rendering an R5 resource's version was hashed from (its R4 twin: adapters.ts
 * releaseNeutral), for the earlier form, which hashed that twin too. R4 resources hash themselves.
 */
const hashedFrom = new WeakMap<object, Json>();

/** Records that `resource`'s version is hashed from another rendering of the same state. */
export function rememberHashedFrom(resource: Json, hashed: Json): void {
  hashedFrom.set(resource, hashed);
}

/** The tag the resource had in the earlier form (hashed only when a client sends one). */
function earlierVersionOf(resource: Json): string {
  return contentVersionWithout(hashedFrom.get(resource) ?? resource, 'meta');
}

/**
 * Whether `resource` is at one of `versions` (an If-Match's or If-None-Match's list, a vread's
 * vid): its versionId, or, for a tag of the earlier form, what its unchanged content was tagged
 * before session 39.
 */
export function atVersion(resource: Json, versions: readonly string[]): boolean {
  const current = String(resource.meta?.versionId);
  if (versions.includes(current)) return true;
  const earlier = versions.filter((v) => EARLIER_FORM.test(v));
  return earlier.length > 0 && earlier.includes(earlierVersionOf(resource));
}
