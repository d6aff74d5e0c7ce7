import type { Facility, FacilityStatus, GeoPoint } from '../../domain/facility.js';
import { cleanPositions, referencePoint, type PositionDefect } from './geo.js';
import { findTypeClass, foldText, normaliseName, tokenise, type NormalisedName } from './normalise.js';
import type { TypeClass, Vocabulary } from './vocabulary.js';

/**
 * What the matcher takes: a domain Facility (from an mCSD bundle, a connector or a CSV file) and,
 * when the source names its administrative levels, the level key of each `areaPath` entry
 * ("county", "district" …) so lists with different depths can be compared level by level.
 */
export interface MatchRecord {
  facility: Facility;
  /** Parallel to facility.areaPath (nearest first). Absent: levels are counted from the top. */
  areaLevels?: string[];
  /** When the record was registered in its list (ISO date or instant), where the list says. */
  registered?: string;
}

export interface PreparedRecord {
  index: number;
  id: string;
  facility: Facility;
  name: NormalisedName;
  aliases: NormalisedName[];
  /** Area names keyed by level, folded. */
  areaByLevel: Map<string, string>;
  /** Folded value at the top level both lists share (county, region …). */
  top?: string;
  /** Folded area names below that top level, whatever their level: drift moves names between levels. */
  subAreas: Set<string>;
  /** Tokens of all the record's own area names: a name word equal to one is a locality, not identity. */
  areaTokens: Set<string>;
  typeClass?: TypeClass;
  position?: GeoPoint;
  positionDefect?: PositionDefect;
  /** Identifier values by system. */
  identifiers: Map<string, Set<string>>;
  status: FacilityStatus;
  /** MatchRecord.registered in epoch ms (absent or unreadable: unknown). */
  registeredMs?: number;
}

export interface PreparedList {
  records: PreparedRecord[];
  /** Level keys top-first. */
  levels: string[];
}

export function toMatchRecord(input: Facility | MatchRecord): MatchRecord {
  return 'facility' in input ? input : { facility: input };
}

/** Level keys of a record, top-first; positional keys when the source gave none. */
function levelKeys(record: MatchRecord): string[] {
  const path = record.facility.areaPath ?? [];
  const keys =
    record.areaLevels && record.areaLevels.length === path.length
      ? record.areaLevels
      : path.map((_, i) => `level-${path.length - i}`);
  return [...keys].reverse();
}

function listLevels(records: MatchRecord[]): string[] {
  const seen: string[] = [];
  for (const r of records) for (const k of levelKeys(r)) if (!seen.includes(k)) seen.push(k);
  return seen;
}

/** The highest administrative level that both lists carry: the only one compared as "same area". */
function commonTopLevel(left: string[], right: string[]): string | undefined {
  return left.find((k) => right.includes(k));
}

function recordId(f: Facility, index: number): string {
  return f.id ?? f.source?.id ?? f.identifiers[0]?.value ?? `#${index}`;
}

function identifierMap(f: Facility): Map<string, Set<string>> {
  const map = new Map<string, Set<string>>();
  for (const id of f.identifiers) {
    const value = id.value.trim().toLowerCase();
    if (!value) continue;
    if (!map.has(id.system)) map.set(id.system, new Set());
    map.get(id.system)!.add(value);
  }
  return map;
}

/**
 * Per-run memo of the few distinct strings that recur on every record (type labels, area names):
 * a list of 10,000 facilities has a few dozen types and a few hundred areas.
 */
interface Memo {
  typeClass: Map<string, TypeClass | undefined>;
  folded: Map<string, string>;
  /** Area-derived fields by area path: records of one village share them (read-only). */
  areas: Map<string, AreaFields>;
}

type AreaFields = Pick<PreparedRecord, 'areaByLevel' | 'top' | 'subAreas' | 'areaTokens'>;

function typeClassOf(f: Facility, name: NormalisedName, vocabulary: Vocabulary, memo: Memo): TypeClass | undefined {
  for (const t of f.types ?? []) {
    const label = t.display ?? t.code;
    let found = memo.typeClass.get(label);
    if (!memo.typeClass.has(label)) {
      found = findTypeClass(tokenise(label), vocabulary);
      memo.typeClass.set(label, found);
    }
    if (found) return found;
  }
  return name.typeClass;
}

function foldArea(text: string, memo: Memo): string {
  let v = memo.folded.get(text);
  if (v === undefined) {
    v = foldText(text);
    memo.folded.set(text, v);
  }
  return v;
}

function areaFields(record: MatchRecord, top: string | undefined, memo: Memo): AreaFields {
  const path = record.facility.areaPath ?? [];
  const key = `${record.areaLevels?.join('\u0001') ?? ''}\u0000${path.join('\u0001')}`;
  const known = memo.areas.get(key);
  if (known) return known;
  const keys = levelKeys(record); // top-first
  const namesTopFirst = [...path].reverse().map((a) => foldArea(a, memo));
  const areaByLevel = new Map<string, string>();
  keys.forEach((k, i) => namesTopFirst[i] && areaByLevel.set(k, namesTopFirst[i]));
  const topIndex = top ? keys.indexOf(top) : -1;
  const fields: AreaFields = {
    areaByLevel,
    top: top ? areaByLevel.get(top) : undefined,
    subAreas: new Set(namesTopFirst.filter((n, i) => n && i > topIndex)),
    areaTokens: new Set(namesTopFirst.flatMap((n) => (n ? n.split(' ') : []))),
  };
  memo.areas.set(key, fields);
  return fields;
}

/** Aliases that normalise to the main name (or to each other) add nothing but cost. */
function distinctAliases(name: NormalisedName, aliases: NormalisedName[]): NormalisedName[] {
  const seen = new Set([`${name.full}|${name.qualifierText}`]);
  return aliases.filter((a) => {
    const k = `${a.full}|${a.qualifierText}`;
    if (!a.full || seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function prepareOne(
  record: MatchRecord,
  index: number,
  top: string | undefined,
  vocabulary: Vocabulary,
  memo: Memo,
  clean: { position?: GeoPoint; defect?: PositionDefect },
): PreparedRecord {
  const f = record.facility;
  const name = normaliseName(f.name, vocabulary);
  return {
    index,
    id: recordId(f, index),
    facility: f,
    name,
    aliases: f.aliases?.length
      ? distinctAliases(
          name,
          f.aliases.map((a) => normaliseName(a, vocabulary)),
        )
      : [],
    ...areaFields(record, top, memo),
    typeClass: typeClassOf(f, name, vocabulary, memo),
    identifiers: identifierMap(f),
    status: f.status,
    position: clean.position,
    positionDefect: clean.defect,
    ...registeredField(record.registered),
  };
}

function registeredField(value: string | undefined): { registeredMs?: number } {
  const ms = value ? Date.parse(value) : NaN;
  return Number.isFinite(ms) ? { registeredMs: ms } : {};
}

/** Normalises both lists once, against each other (shared top level, shared geo reference). */
export function prepareLists(
  left: (Facility | MatchRecord)[],
  right: (Facility | MatchRecord)[],
  vocabulary: Vocabulary,
): { left: PreparedList; right: PreparedList; topLevel?: string } {
  const l = left.map(toMatchRecord);
  const r = right.map(toMatchRecord);
  const leftLevels = listLevels(l);
  const rightLevels = listLevels(r);
  const topLevel = commonTopLevel(leftLevels, rightLevels);
  const ref = referencePoint([l.map((x) => x.facility.position), r.map((x) => x.facility.position)]);
  const memo: Memo = { typeClass: new Map(), folded: new Map(), areas: new Map() };
  const build = (records: MatchRecord[], levels: string[]): PreparedList => {
    const clean = cleanPositions(
      records.map((x) => x.facility.position),
      ref,
    );
    return {
      levels,
      records: records.map((rec, i) => prepareOne(rec, i, topLevel, vocabulary, memo, clean[i])),
    };
  };
  return { left: build(l, leftLevels), right: build(r, rightLevels), topLevel };
}
