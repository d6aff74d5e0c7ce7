import { createHash, randomUUID } from 'node:crypto';

/**
 * Deterministic UUID (v5-shaped) from a seed name, so seeded ids are stable across restarts and
 * a connector test can hard-wire them if it must (it should look them up by code instead).
 */
export function stableId(name: string): string {
  const h = createHash('sha1').update(`openlmis-sandbox:${name}`).digest('hex');
  const variant = ((parseInt(h[16], 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function newId(): string {
  return randomUUID();
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID_RE.test(value);
}
