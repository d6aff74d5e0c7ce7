import { createHash } from 'node:crypto';

/**
 * A deterministic FHIR id from the parts that identify an object (system, kind, upstream id,
 * line …): the same upstream object always gets the same id, on every instance, without state.
 * 32 hex characters fit FHIR's id rule ([A-Za-z0-9-.]{1,64}).
 */
export function stableId(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\u001f')).digest('hex').slice(0, 32);
}

/**
 * A deterministic UUID (RFC 4122 layout, version 5 bits over SHA-256) for upstreams whose ids
 * must be UUIDs: the same parts always give the same id, so a re-sent body is byte-identical.
 */
export function stableUuid(...parts: string[]): string {
  const hex = createHash('sha256').update(parts.join('\u001f')).digest('hex');
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** A short content hash, used as the FHIR versionId / ETag of objects read live from upstreams. */
export function contentVersion(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex').slice(0, 16);
}

/** JSON with sorted keys, so equal objects hash equally whatever order their keys were built in. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
