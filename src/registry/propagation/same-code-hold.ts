import { isHumanDecision, type CrosswalkRow } from '../crosswalk-types.js';

/**
 * Why a create waits on an unlinked record of the system that carries the registry facility's
 * code. It cannot be created beside it: each system finds the record a write is for by that code
 * (OpenLMIS its facility code, OpenMRS the registry code attribute, DHIS2 the UID derived from
 * it, or it refuses a second org unit with that code), so the create would be written into that
 * record. A person's reject or no-match of the record therefore does not release the create: the
 * reason then says so, and what a data manager can do (link the record that is the facility, or
 * give that one another code in the system, after which the next run creates it).
 */
export function sameCodeHoldReason(
  system: string,
  registryId: string,
  recordId: string,
  row: CrosswalkRow | undefined,
): string {
  const refusal = row && refusedBy(row, registryId);
  const fix = `link the record that is this facility (review API: accept), or give ${recordId} another code in ${system}: the next run then creates it`;
  if (!refusal) return `record ${recordId} carries the same code but is not linked: a person must ${fix}`;
  return `record ${recordId} carries the same code, and ${row.decidedBy} said on ${row.decidedAt} it is not this facility (${refusal}): a record created with that code would be taken for ${recordId}; ${fix}`;
}

/** How a person said the record is not this registry facility, if one did. */
function refusedBy(row: CrosswalkRow, registryId: string): string | undefined {
  if (!isHumanDecision(row)) return undefined;
  if (row.state === 'match-broken' && row.rejectedRegistryIds?.includes(registryId)) return 'match broken';
  if (row.rejectedRegistryIds?.includes(registryId)) return 'rejected';
  if (row.state === 'no-match') return 'no-match';
  if (row.state === 'ignored') return 'ignored';
  return undefined;
}
