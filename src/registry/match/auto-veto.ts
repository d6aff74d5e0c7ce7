import type { ScoreReason } from '../crosswalk-types.js';
import type { CandidatePair, CandidateGraph } from './matcher.js';
import { registeredAfterList, registeredAfterReason } from './registered-after.js';
import { closedForLiveRecord, closedInRegistryReason } from './closed-in-registry.js';

/**
 * Evidence that keeps a pick out of the automatic zone whatever its score (it may still be
 * offered for review). Propagation turns an automatic match into writes to a real facility, so
 * these are the cases where a person must look, not a weight to be outvoted by a good name:
 *  - identifiers in a namespace both records carry disagree (and none agrees): by that
 *    namespace's own issuer they are two registrations. Agreement in the same namespace is strong
 *    evidence for; disagreement is as strong against. Codes from unrelated namespaces are never
 *    compared (features.ts), so this is not GOFR's mistake turned round;
 *  - the registry record was registered after the system list was taken (registered-after.ts);
 *  - the registry facility is closed and the record live in its system (closed-in-registry.ts):
 *    not even a shared code outranks this one, the code being the closed registration's own.
 * Each comes with the reason shown in the review queue.
 */
export function autoVeto(graph: CandidateGraph, pair: CandidatePair): ScoreReason | undefined {
  if (closedForLiveRecord(pair.comparison)) return closedInRegistryReason(pair.comparison);
  if (pair.deterministic === 'identifier') return undefined;
  const { comparison } = pair;
  if (comparison.levels.identifier === 'different') return identifierConflict(pair);
  const registry = graph.right[pair.right];
  if (registeredAfterList(graph.leftAsOfMs, registry)) return registeredAfterReason(graph.leftAsOfMs!, registry);
  return undefined;
}

function identifierConflict({ comparison: { a, b } }: CandidatePair): ScoreReason {
  const shared = [...a.identifiers.keys()].filter((system) => b.identifiers.has(system));
  const show = (values: Set<string> | undefined) => [...(values ?? [])].join('/');
  const detail = shared.map((s) => `${s} ${show(a.identifiers.get(s))} vs ${show(b.identifiers.get(s))}`).join('; ');
  return {
    field: 'identifier-conflict',
    weight: 0,
    detail: `codes in the same namespace differ (${detail}): two registrations by that namespace; never automatic`,
  };
}
