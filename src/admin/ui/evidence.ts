import type { ScoreReason } from '../../registry/crosswalk-types.js';

/**
 * The matcher's reasons (src/registry/match/: a field, a log-likelihood weight, a terse detail)
 * said in words a data manager reads at a glance: "same facility code", "names match once
 * abbreviations are expanded: 'Abdisamad Disp.' → 'Abdisamad Dispensary'". Strongest first;
 * `for` says whether it speaks for the match. A detail this does not know is shown as it is.
 */
export interface Evidence {
  text: string;
  for: boolean;
  weight: number;
}

const pair = /\("(.*)" vs "(.*)"\)/;

/**
 * A rule's reason, not a score's (its weight 0): a closed candidate offered for a live record is
 * never linked by a run (match/closed-in-registry.ts), so the reason speaks against it.
 */
const CLOSED_IN_REGISTRY = 'closed-in-registry';

function nameWords(detail: string): string {
  const kind = detail.split(':')[0];
  const names = pair.exec(detail);
  const similarity = /similarity ([0-9.]+)/.exec(detail);
  const shown = names ? `'${names[1]}' → '${names[2]}'` : '';
  if (names && names[1] === names[2]) return 'same name';
  if (kind === 'exact') return `names match once abbreviations are expanded: ${shown}`;
  if (kind === 'core-exact') return `names match apart from the facility type word: ${shown}`;
  if (similarity) return `names ${Math.round(Number(similarity[1]) * 100)}% alike: ${shown}`;
  return `names: ${detail}`;
}

function sameOrNot(detail: string, what: string): string {
  const m = /^(same|different|other)?:?\s*(.*?)(?: vs (.*))?$/.exec(detail);
  if (detail === 'same' || detail === 'shared') return `same ${what}`;
  const related = /adjacent:\s*(.*) vs (.*)$/.exec(detail);
  if (related) return `related ${what}s: ${related[1]} vs ${related[2]}`;
  if (m && m[1] === 'same') return `same ${what}: ${m[2]}`;
  if (m && m[3] !== undefined) return `different ${what}: ${m[2]} vs ${m[3]}`;
  return `${what}: ${detail}`;
}

export function reasonInWords(reason: ScoreReason): string {
  switch (reason.field) {
    case 'identifier':
      return reason.detail === 'same'
        ? 'same facility code'
        : reason.weight < 0
          ? 'facility codes differ'
          : `facility code: ${reason.detail}`;
    case 'name':
      return nameWords(reason.detail);
    case 'rarity': {
      const n = /in (\d+) records/.exec(reason.detail);
      if (!n) return `shared word: ${reason.detail}`;
      return reason.weight >= 0
        ? `share a rare word (found in ${n[1]} records)`
        : `the shared word is common (found in ${n[1]} records)`;
    }
    case 'type':
      return sameOrNot(reason.detail, 'facility type');
    case 'area':
      return sameOrNot(reason.detail, 'area');
    case 'subArea':
      return reason.weight >= 0 ? 'same sub-area' : `sub-area: ${reason.detail}`;
    case 'status':
      return reason.detail === 'same' ? 'same status' : `status: ${reason.detail}`;
    case 'distance': {
      const km = /([0-9.]+) km/.exec(reason.detail);
      return km ? `${km[1]} km apart` : `distance: ${reason.detail}`;
    }
    case CLOSED_IN_REGISTRY:
      return `closed in the registry: ${reason.detail}`;
    default:
      return `${reason.field}: ${reason.detail}`;
  }
}

export function evidenceOf(reasons: ScoreReason[]): Evidence[] {
  return reasons
    .filter((r) => r.field !== 'rejected')
    .map((r) => {
      const rule = r.field === CLOSED_IN_REGISTRY;
      // the rule decides whatever the scores say: shown first, against the candidate
      return { text: reasonInWords(r), for: r.weight >= 0 && !rule, weight: rule ? -Infinity : r.weight };
    })
    .sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight));
}

/** Great-circle distance in km (haversine), for "3.2 km apart". */
export function distanceKm(
  a: { latitude: number; longitude: number },
  b: { latitude: number; longitude: number },
): number {
  const rad = Math.PI / 180;
  const dLat = (b.latitude - a.latitude) * rad;
  const dLon = (b.longitude - a.longitude) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.latitude * rad) * Math.cos(b.latitude * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371 * Math.asin(Math.sqrt(h));
}
