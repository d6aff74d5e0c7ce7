import { hash } from 'node:crypto';

/** SHA-256 in hex; the one-shot form skips a Hash object per call (these run several times per request). */
function sha256Hex(text: string): string {
  return hash('sha256', text, 'hex');
}

/**
 * A deterministic FHIR id from the parts that identify an object (system, kind, upstream id,
 * line …): the same upstream object always gets the same id, on every instance, without state.
 * 32 hex characters fit FHIR's id rule ([A-Za-z0-9-.]{1,64}).
 */
export function stableId(...parts: string[]): string {
  return sha256Hex(parts.join('\u001f')).slice(0, 32);
}

/**
 * A deterministic UUID (RFC 4122 layout, version 5 bits over SHA-256) for upstreams whose ids
 * must be UUIDs: the same parts always give the same id, so a re-sent body is byte-identical.
 */
export function stableUuid(...parts: string[]): string {
  const hex = sha256Hex(parts.join('\u001f'));
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** A short content hash, used as the FHIR versionId / ETag of objects read live from upstreams. */
export function contentVersion(value: unknown): string {
  return sha256Hex(canonicalJson(value)).slice(0, 16);
}

/**
 * contentVersion of the object as it would be without one member (a resource without its meta),
 * with no copy made of it: the same hash as contentVersion({ ...value, [without]: undefined }).
 */
export function contentVersionWithout(value: Record<string, unknown>, without: string): string {
  return sha256Hex(canonicalObject(value, without)).slice(0, 16);
}

/** Keys written as JSON with their colon, remembered: the same few dozen element names recur in every resource. */
const writtenKeys = new Map<string, string>();
/** Keys come from clients too: past this many, new ones are written each time, not remembered. */
const WRITTEN_KEYS_LIMIT = 2048;

/** A key written as JSON followed by `:` (one concatenation less per member). */
function jsonKey(key: string): string {
  const known = writtenKeys.get(key);
  if (known !== undefined) return known;
  const written = `${quoted(key)}:`;
  if (writtenKeys.size < WRITTEN_KEYS_LIMIT) writtenKeys.set(key, written);
  return written;
}

/** A character JSON.stringify escapes: control, `"`, `\\`, a lone surrogate (any surrogate here, to be safe). */
// eslint-disable-next-line no-control-regex -- control characters are exactly what JSON.stringify escapes
const NEEDS_ESCAPE = /[\u0000-\u001f"\\\ud800-\udfff]/;

/**
 * A string as JSON.stringify writes it. Nearly every string of a resource needs no escape, and
 * then it is only put between quotes: a JSON.stringify call per string (a call into the runtime)
 * was about a third of the canonical form's cost (callgrind, a SupplyRequest: 7.8k of 58k
 * instructions in the runtime's string serializer alone). JSON.stringify escapes control
 * characters, `"`, `\\` and lone surrogates (well-formed JSON.stringify, ES2019); a string with any
 * of those, or with any surrogate at all, is left to it. One regular-expression test, not a
 * charCodeAt loop: in the server the strings come in many representations (parsed, sliced,
 * concatenated), and the loop's `charCodeAt` load went megamorphic there, ~50 instructions per
 * character (session 17: +54k per create, where a microbenchmark of one string kind showed none).
 */
function quoted(text: string): string {
  return NEEDS_ESCAPE.test(text) ? JSON.stringify(text) : `"${text}"`;
}

/**
 * Sorts keys in place in UTF-16 code unit order, as the default sort does (`<` on strings compares
 * code units). An object has a handful of keys, often already in order: an insertion sort does
 * no work then, and otherwise a few comparisons, where Array.prototype.sort paid its set-up on
 * every object (about 1.1k instructions per call, callgrind).
 */
function sortKeys(keys: string[]): void {
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i];
    let j = i - 1;
    if (keys[j] <= key) continue;
    do {
      keys[j + 1] = keys[j];
      j--;
    } while (j >= 0 && keys[j] > key);
    keys[j + 1] = key;
  }
}

/**
 * JSON with sorted keys, so equal objects hash equally whatever order their keys were built in.
 * Byte for byte the form it always had (persisted payload hashes and idempotency keys depend on
 * it): keys in UTF-16 code unit order, undefined members left out, undefined array items and
 * other unserializable values as null, class instances (a Date) as their own enumerable fields.
 * Written as one pass that appends to a string, without the entry arrays, sort comparator
 * closures and joins of a map/filter/sort form (about twice as fast on a SupplyRequest: 3.9 against 8.4 µs).
 * Strings that need no escape and booleans are written without a call into the runtime, keys
 * (with their colon) from a small map, and keys are put in order by an insertion sort (session
 * 17, callgrind, the encoded SupplyRequest: 58k instructions per call before, 35-42k after).
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += (i ? ',' : '') + member(value[i]);
    return `${out}]`;
  }
  return canonicalObject(value as Record<string, unknown>, undefined);
}

/** One value inside an object or array, in canonicalJson's form. */
function member(value: unknown): string {
  if (typeof value === 'string') return quoted(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return canonicalJson(value);
}

/** An object in canonicalJson's form, leaving out the member named `without` (when given). */
function canonicalObject(record: Record<string, unknown>, without: string | undefined): string {
  const keys = Object.keys(record);
  sortKeys(keys);
  let out = '{';
  let separator = '';
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    const value = record[key];
    if (value === undefined || key === without) continue;
    out += separator + jsonKey(key) + member(value);
    separator = ',';
  }
  return `${out}}`;
}
