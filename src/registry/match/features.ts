import { distanceKm } from './geo.js';
import type { PreparedRecord } from './prepare.js';
import { compareNames, tokenSimilarity, type NameComparison, type TokenStats } from './similarity.js';

/**
 * The comparison vector of a candidate pair: one level per feature. Each level has an m
 * probability (among true pairs) and a u probability (among non-pairs) in the weights table;
 * `missing` levels carry no evidence either way.
 */
export const FEATURE_LEVELS = {
  name: ['exact', 'core-exact', 's95', 's90', 's85', 's78', 'low'],
  // Term frequency of what the names share, joint with how they agree: a shared unique name is
  // near-proof, a shared common one ("Meru Lab Services" x 3) is not (Splink-style TF adjustment).
  rarity: [
    'exact:df1-2',
    'exact:df3-10',
    'exact:df11-50',
    'exact:df51+',
    'fuzzy:df1-2',
    'fuzzy:df3-10',
    'fuzzy:df11-50',
    'fuzzy:df51+',
    'fuzzy:none',
    'weak:df1-2',
    'weak:df3-10',
    'weak:df11-50',
    'weak:df51+',
    'weak:none',
  ],
  // Joint with the name: when the distinctive names agree exactly but the generic words differ
  // ("Ihwagi Medical Clinic" / "Ihwagi Dispensary"), the type is what tells a renamed facility
  // (Dispensary → Health Centre, an upgrade) from a different one named after the same village
  // (a private clinic beside the public dispensary). Under independence these two cases would
  // share one weight.
  type: [
    'same',
    'adjacent',
    'family',
    'different',
    'core:same',
    'core:adjacent',
    'core:family',
    'core:different',
    'missing',
  ],
  level: ['same', 'different', 'missing'],
  area: ['same', 'different', 'missing'],
  subArea: ['shared', 'none', 'missing'],
  qualifier: ['same', 'similar', 'different', 'missing'],
  distance: ['d0.5', 'd2', 'd10', 'd25', 'far', 'missing'],
  identifier: ['same', 'different', 'missing'],
  status: ['same', 'different', 'missing'],
} as const;

export type FeatureName = keyof typeof FEATURE_LEVELS;
export type FeatureLevels = { [F in FeatureName]: (typeof FEATURE_LEVELS)[F][number] };
export const FEATURES = Object.keys(FEATURE_LEVELS) as FeatureName[];

export interface PairComparison {
  levels: FeatureLevels;
  name: NameComparison;
  distanceKm?: number;
  a: PreparedRecord;
  b: PreparedRecord;
}

/** Human-readable detail per feature, for the review reasons (built only for rows that are shown). */
export function describeComparison(c: PairComparison): Partial<Record<FeatureName, string>> {
  const { a, b, name, distanceKm: km } = c;
  return {
    name: `similarity ${name.similarity.toFixed(3)} ("${a.facility.name}" vs "${b.facility.name}")`,
    rarity:
      name.rarestSharedDf === undefined
        ? 'no shared distinctive word'
        : `rarest shared word in ${name.rarestSharedDf} records`,
    type: `${a.typeClass?.class ?? '?'} vs ${b.typeClass?.class ?? '?'}`,
    level: `${a.name.level ?? '?'} vs ${b.name.level ?? '?'}`,
    area: `${a.top ?? '?'} vs ${b.top ?? '?'}`,
    qualifier: `"${a.name.qualifier.join(' ')}" vs "${b.name.qualifier.join(' ')}"`,
    distance:
      km === undefined
        ? `no usable coordinates${a.positionDefect || b.positionDefect ? ` (${a.positionDefect ?? b.positionDefect})` : ''}`
        : `${km.toFixed(2)} km`,
  };
}

function bestNameComparison(a: PreparedRecord, b: PreparedRecord, stats: TokenStats): NameComparison {
  let best = compareNames(a.name, b.name, stats, a.areaTokens, b.areaTokens);
  if (a.aliases.length === 0 && b.aliases.length === 0) return best;
  // Aliases (official names, former names) compete with the main name; the best pairing counts.
  for (let i = -1; i < a.aliases.length; i++) {
    const x = i < 0 ? a.name : a.aliases[i];
    for (let j = -1; j < b.aliases.length; j++) {
      if (i < 0 && j < 0) continue;
      const c = compareNames(x, j < 0 ? b.name : b.aliases[j], stats, a.areaTokens, b.areaTokens);
      if (c.similarity > best.similarity || (c.similarity === best.similarity && c.fullExact && !best.fullExact))
        best = c;
    }
  }
  return best;
}

function nameLevel(c: NameComparison): FeatureLevels['name'] {
  if (c.fullExact) return 'exact';
  if (c.coreExact) return 'core-exact';
  if (c.similarity >= 0.95) return 's95';
  if (c.similarity >= 0.9) return 's90';
  if (c.similarity >= 0.85) return 's85';
  if (c.similarity >= 0.78) return 's78';
  return 'low';
}

function rarityLevel(name: FeatureLevels['name'], df: number | undefined): FeatureLevels['rarity'] {
  const group =
    name === 'exact' || name === 'core-exact' ? 'exact' : name === 's78' || name === 'low' ? 'weak' : 'fuzzy';
  const bucket = df === undefined ? 'none' : df <= 2 ? 'df1-2' : df <= 10 ? 'df3-10' : df <= 50 ? 'df11-50' : 'df51+';
  if (group === 'exact' && bucket === 'none') return 'exact:df1-2';
  return `${group}:${bucket}` as FeatureLevels['rarity'];
}

function typeAgreement(a: PreparedRecord, b: PreparedRecord): 'same' | 'adjacent' | 'family' | 'different' | 'missing' {
  if (!a.typeClass || !b.typeClass) return 'missing';
  if (a.typeClass.class === b.typeClass.class) return 'same';
  if (a.typeClass.rank && b.typeClass.rank && Math.abs(a.typeClass.rank - b.typeClass.rank) === 1) return 'adjacent';
  return a.typeClass.family === b.typeClass.family ? 'family' : 'different';
}

function typeLevel(a: PreparedRecord, b: PreparedRecord, name: FeatureLevels['name']): FeatureLevels['type'] {
  const agreement = typeAgreement(a, b);
  if (agreement === 'missing' || name !== 'core-exact') return agreement;
  return `core:${agreement}`;
}

function levelLevel(a: PreparedRecord, b: PreparedRecord): FeatureLevels['level'] {
  if (!a.name.level || !b.name.level) return 'missing';
  return a.name.level === b.name.level ? 'same' : 'different';
}

function areaLevel(a: PreparedRecord, b: PreparedRecord): FeatureLevels['area'] {
  if (!a.top || !b.top) return 'missing';
  return a.top === b.top ? 'same' : 'different';
}

function subAreaLevel(a: PreparedRecord, b: PreparedRecord): FeatureLevels['subArea'] {
  if (a.subAreas.size === 0 || b.subAreas.size === 0) return 'missing';
  for (const x of a.subAreas) if (b.subAreas.has(x)) return 'shared';
  return 'none';
}

function qualifierLevel(a: PreparedRecord, b: PreparedRecord): FeatureLevels['qualifier'] {
  const qa = a.name.qualifierText;
  const qb = b.name.qualifierText;
  if (!qa || !qb) return 'missing';
  if (qa === qb) return 'same';
  return tokenSimilarity(qa, qb) >= 0.85 ? 'similar' : 'different';
}

function distanceLevel(km: number | undefined): FeatureLevels['distance'] {
  if (km === undefined) return 'missing';
  if (km < 0.5) return 'd0.5';
  if (km < 2) return 'd2';
  if (km < 10) return 'd10';
  if (km < 25) return 'd25';
  return 'far';
}

/** Identifiers count only within the same system: an OpenLMIS code equal to a DHIS2 code proves nothing. */
function identifierLevel(a: PreparedRecord, b: PreparedRecord): FeatureLevels['identifier'] {
  let comparable = false;
  for (const [system, values] of a.identifiers) {
    const other = b.identifiers.get(system);
    if (!other) continue;
    comparable = true;
    for (const v of values) if (other.has(v)) return 'same';
  }
  return comparable ? 'different' : 'missing';
}

function statusLevel(a: PreparedRecord, b: PreparedRecord): FeatureLevels['status'] {
  return a.status === b.status ? 'same' : 'different';
}

export function comparePair(a: PreparedRecord, b: PreparedRecord, stats: TokenStats): PairComparison {
  const name = bestNameComparison(a, b, stats);
  const km = a.position && b.position ? distanceKm(a.position, b.position) : undefined;
  const nl = nameLevel(name);
  const levels: FeatureLevels = {
    name: nl,
    rarity: rarityLevel(nl, name.rarestSharedDf),
    type: typeLevel(a, b, nl),
    level: levelLevel(a, b),
    area: areaLevel(a, b),
    subArea: subAreaLevel(a, b),
    qualifier: qualifierLevel(a, b),
    distance: distanceLevel(km),
    identifier: identifierLevel(a, b),
    status: statusLevel(a, b),
  };
  return { levels, name, distanceKm: km, a, b };
}
