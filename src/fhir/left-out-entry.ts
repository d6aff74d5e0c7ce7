import { createHash } from 'node:crypto';
import type { Issue } from '../domain/errors.js';
import type { Json } from './codecs/common.js';

/**
 * The searchset entry that tells a client the answer is not every match: an OperationOutcome with
 * a warning per system left out (a stock search without a location, which OpenLMIS, OpenMRS and
 * DHIS2 need), entry.search.mode `outcome` (FHIR R4/R5 search.html "Handling Errors"; the
 * spec's own example is Bundle bundle-search-warning). It is no match: Bundle.total and the
 * paging count matches only. Its fullUrl (R5 bdl-15 needs one) is a UUID made from the warnings,
 * so the same search answers the same bytes.
 */
export function leftOutEntry(leftOut: readonly Issue[]): Json {
  const issue = leftOut.map((i) => ({
    severity: 'warning',
    code: 'incomplete',
    diagnostics: `left out of this answer: ${i.diagnostics}`,
    ...(i.expression?.length ? { expression: i.expression } : {}),
  }));
  return {
    fullUrl: `urn:uuid:${uuidOf(JSON.stringify(issue))}`,
    resource: { resourceType: 'OperationOutcome', issue },
    search: { mode: 'outcome' },
  };
}

/** A version-4-shaped UUID from a hash of the text: stable for the same text. */
function uuidOf(text: string): string {
  const h = createHash('sha256').update(text).digest('hex').slice(0, 32).split('');
  h[12] = '4';
  h[16] = ((parseInt(h[16], 16) & 0x3) | 0x8).toString(16);
  const s = h.join('');
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
}
