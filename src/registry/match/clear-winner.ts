import type { FeatureLevels } from './features.js';
import type { Thresholds } from './weights.js';

/**
 * Types whose disagreement a margin cannot explain away. A private clinic and the public
 * dispensary named after the same village ("Thunguri Medical Clinic" / "Thunguri Dispensary")
 * are usually two facilities, and the registry record that would compete with the pick (the
 * clinic's own entry) is often simply absent, so "nothing else comes close" proves nothing.
 * An upgrade one step up the care ladder (adjacent) or an unknown type is no such evidence.
 */
const TYPE_AGAINST = new Set<FeatureLevels['type']>(['different', 'family', 'core:different', 'core:family']);

/**
 * Name levels too weak for the rule: the names share a word (often the village or town) but
 * agree below 0.85 overall. For a record whose facility is absent from the registry, the best
 * candidate is exactly such a namesake ("Kapsabet Medicare Centre" / "Kapsabet Eye Care",
 * "Aberdare Health Services" / "Aberdare Medical C.Ltd"), and nothing else comes close to it
 * either, so a wide margin proves nothing. The rule exists for renamed facilities whose
 * distinctive name survived (core-exact, fuzzy), not for these.
 */
const NAME_TOO_WEAK = new Set<FeatureLevels['name']>(['s78', 'low']);

/**
 * Whether a pick may use the clear-winner rule at all: its name must agree beyond a shared word,
 * its type must not contradict it, and it must lie in the same top-level area (a namesake in
 * another county has no local competitor by construction, so its margin is inflated). On the
 * Kenya training split every false automatch this rule would add below the main threshold had
 * one of these defects (see CALIBRATION_POLICY for what the name condition changed on unseen
 * counties).
 */
export function clearWinnerEligible(levels: FeatureLevels): boolean {
  return !NAME_TOO_WEAK.has(levels.name) && !TYPE_AGAINST.has(levels.type) && levels.area !== 'different';
}

/** The clear-winner rule of `Thresholds`: a lower score suffices when nothing competes and nothing contradicts. */
export function isClearWinner(score: number, margin: number, levels: FeatureLevels, t: Thresholds): boolean {
  if (t.clearAuto === undefined || t.clearMargin === undefined) return false;
  return score >= t.clearAuto && margin >= t.clearMargin && clearWinnerEligible(levels);
}
