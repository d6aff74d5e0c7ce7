import KDBush from 'kdbush';
import { around } from 'geokdbush';
import { doubleMetaphone } from 'double-metaphone';
import type { PreparedList, PreparedRecord } from './prepare.js';
import type { TokenStats } from './similarity.js';

export type BlockingKey = 'area' | 'spatial' | 'token' | 'phonetic';

/**
 * Limits that keep blocking cheap without a strict parent filter. Every key is a union member:
 * a pair needs only one to be compared, so hierarchy drift, renamed type words or a typo in one
 * word never hide the true counterpart on their own.
 */
const BLOCKING = {
  /** Radius of the spatial search (km) and how many neighbours to take. */
  radiusKm: 10,
  maxNeighbours: 40,
  /** A name word is "rare" (a blocking key) when at most this many records carry it. */
  rareTokenDf: 40,
  /** Blocks larger than this are skipped: they would only compare unrelated records. */
  maxBlock: 40,
  /** A whole sub-area is one block only while it is this small (villages, GOFR-style districts). */
  maxAreaBlock: 12,
  /** Phonetic codes collide more than words do: smaller blocks only. */
  maxPhoneticBlock: 15,
};

/** Area key: the area plus the first letters of the distinctive name, so big areas stay small blocks. */
function areaKeys(r: PreparedRecord): string[] {
  const head = (r.name.core[0] ?? r.name.tokens[0] ?? '').slice(0, 2);
  const keys = [...r.subAreas].flatMap((a) => [`s:${a}|${head}`, `a:${a}`]);
  if (r.top) keys.push(`t:${r.top}|${head}`);
  return keys;
}

function tokenKeys(r: PreparedRecord, stats: TokenStats): string[] {
  const tokens = new Set([r.name, ...r.aliases].flatMap((n) => n.core));
  return [...tokens]
    .filter((t) => t.length >= 3 && (stats.df.get(t) ?? 0) <= BLOCKING.rareTokenDf)
    .map((t) => `w:${t}`);
}

const phoneticCache = new Map<string, string>();

/** Double Metaphone of each distinctive word: catches spelling variants ("Ekomero" / "Ikomero"). */
function phoneticKeys(r: PreparedRecord): string[] {
  const tokens = new Set([r.name, ...r.aliases].flatMap((n) => n.core));
  const keys: string[] = [];
  for (const t of tokens) {
    if (t.length < 4 || /^\d+$/.test(t)) continue;
    let code = phoneticCache.get(t);
    if (code === undefined) {
      code = doubleMetaphone(t)[0];
      phoneticCache.set(t, code);
    }
    if (code.length >= 2) keys.push(`p:${code}`);
  }
  return keys;
}

export interface BlockingIndex {
  blocks: Map<string, number[]>;
  spatial?: KDBush;
  spatialIds: number[];
}

function addTo(blocks: Map<string, number[]>, key: string, i: number): void {
  const list = blocks.get(key);
  if (list) list.push(i);
  else blocks.set(key, [i]);
}

/** Indexes the right-hand list (the registry side) by every blocking key. */
export function buildBlockingIndex(right: PreparedList, stats: TokenStats): BlockingIndex {
  const blocks = new Map<string, number[]>();
  const spatialIds: number[] = [];
  for (const r of right.records) {
    for (const k of [...areaKeys(r), ...tokenKeys(r, stats), ...phoneticKeys(r)]) addTo(blocks, k, r.index);
    if (r.position) spatialIds.push(r.index);
  }
  let spatial: KDBush | undefined;
  if (spatialIds.length > 0) {
    spatial = new KDBush(spatialIds.length);
    for (const i of spatialIds) {
      const p = right.records[i].position!;
      spatial.add(p.longitude, p.latitude);
    }
    spatial.finish();
  }
  return { blocks, spatial, spatialIds };
}

export const KEY_BITS: Record<BlockingKey, number> = { area: 1, spatial: 2, token: 4, phonetic: 8 };

const KEYS_BY_BITS: BlockingKey[][] = Array.from({ length: 16 }, (_, bits) =>
  (Object.keys(KEY_BITS) as BlockingKey[]).filter((k) => bits & KEY_BITS[k]),
);

/** Blocking keys present in a bit set from candidatesFor (a shared, read-only array). */
export function keysOf(bits: number): readonly BlockingKey[] {
  return KEYS_BY_BITS[bits] ?? [];
}

/** Candidate right-hand records for one left record, each with the keys that proposed it (bit set of KEY_BITS). */
export function candidatesFor(left: PreparedRecord, index: BlockingIndex, stats: TokenStats): Map<number, number> {
  const out = new Map<number, number>();
  const add = (i: number, key: BlockingKey) => out.set(i, (out.get(i) ?? 0) | KEY_BITS[key]);
  const fromBlocks = (keys: string[], key: BlockingKey, max = BLOCKING.maxBlock) => {
    for (const k of keys) {
      const list = index.blocks.get(k);
      if (!list || list.length > max) continue;
      for (const i of list) add(i, key);
    }
  };
  const area = areaKeys(left);
  fromBlocks(
    area.filter((k) => !k.startsWith('a:')),
    'area',
  );
  fromBlocks(
    area.filter((k) => k.startsWith('a:')),
    'area',
    BLOCKING.maxAreaBlock,
  );
  fromBlocks(tokenKeys(left, stats), 'token');
  fromBlocks(phoneticKeys(left), 'phonetic', BLOCKING.maxPhoneticBlock);
  if (left.position && index.spatial) {
    const hits = around(
      index.spatial,
      left.position.longitude,
      left.position.latitude,
      BLOCKING.maxNeighbours,
      BLOCKING.radiusKm,
    );
    for (const h of hits) add(index.spatialIds[h], 'spatial');
  }
  return out;
}
