import type { CrosswalkRow } from '../crosswalk-types.js';
import type { CrosswalkIndex } from './crosswalk-index.js';

/**
 * The systems whose links of one registry facility differ between a batch's crosswalk (read once,
 * when a pull or a decision began planning) and the rows read now: a person's decision on that
 * facility (a reject, an undo, a link) landed in between. Compared by each linked row's system id,
 * state and decision stamp; only systems the batch holds are named.
 */
export function crosswalkMoved(
  crosswalks: Map<string, CrosswalkIndex>,
  registryId: string,
  current: CrosswalkRow[],
): string[] {
  const moved: string[] = [];
  for (const [system, index] of crosswalks) {
    const then = index.rowsFor(registryId).filter((r) => r.registryId === registryId);
    const now = current.filter((r) => r.system === system);
    if (stamps(then) !== stamps(now)) moved.push(system);
  }
  return moved;
}

function stamps(rows: CrosswalkRow[]): string {
  return rows
    .map((r) => [r.systemId, r.state, r.decidedBy, r.decidedAt].join('\u0000'))
    .sort()
    .join('\n');
}
