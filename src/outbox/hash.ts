import { createHash } from 'node:crypto';
import { canonicalJson } from '../domain/ids.js';

export { canonicalJson };

/** sha256 of the canonical JSON of a payload: the idempotency check compares these. */
export function hashPayload(payload: unknown): string {
  return createHash('sha256').update(canonicalJson(payload)).digest('hex');
}
