/**
 * A national-size input for bench:reconcile from the Kenya training split (issue 14: "the national
 * run (9.6k × 12.4k) stays under 3 s"). The fixtures hold 28 of Kenya's 47 counties (5,769 ×
 * 7,260); the other 19 are in a hold-out this benchmark never reads. The missing counties are made
 * as copies of training counties, each copy a distinct place, so the matcher's blocks stay
 * county-sized as in the real national list instead of doubling:
 *  - every name and area token that is a place name (a token of any area name) or rare (fewer
 *    than GENERIC_MIN_RECORDS names carry it) gets the copy's suffix, in both lists alike, so a
 *    true pair stays as alike as it was and a copy's facilities share no rare word, sound or area
 *    with the original's; common words (dispensary, clinic, st, catholic, afya …) stay, as the
 *    national list shares them across counties;
 *  - codes (mfl_code, kmhfl_id) get the copy's prefix, and the truth pairs the copies' codes;
 *  - coordinates move COPY_SHIFT_DEG of longitude per copy, so no copy is near its original.
 * Counties are copied in name order, left and right rows alike, until each list reaches its
 * national size; the last county copied is cut in file order where a list is full (a registry
 * has more facilities than a 2014 system list, so the registry side copies a few counties more).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Papa from 'papaparse';
import { readRows } from '../src/registry/facility-list.js';

/** Kenya's national lists (issue 14): KenyaEMR's 2014 MFL copy and KMHFL 2020, all 47 counties. */
export const NATIONAL_SIZE = { left: 9641, right: 12_379 };

const GENERIC_MIN_RECORDS = 25;
const COPY_SHIFT_DEG = 15;
const SUFFIXES = ['ba', 'ko', 'ri', 'mu', 'se', 'ta', 'ni', 'lo'];
/** Columns holding names and places; the rest (types, owners, levels, dates) are copied as they are. */
const NAME_COLUMNS = ['name', 'official_name', 'nearest_town'];
const AREA_COLUMNS = [
  'province',
  'county',
  'district',
  'sub_county',
  'division',
  'location',
  'sub_location',
  'constituency',
  'ward',
];

type Row = Record<string, string>;

export interface NationalFiles {
  left: string;
  right: string;
  truth: string;
  /** Counties copied (each with its copy number), in order. */
  copied: string[];
  sizes: { left: number; right: number };
}

const tokens = (s: string) => s.toLowerCase().match(/[a-z]+/g) ?? [];

/** The words a copy renames: place names, and words too rare to be generic. */
function distinctWords(left: Row[], right: Row[]): Set<string> {
  const perName = new Map<string, number>();
  const places = new Set<string>();
  for (const row of [...left, ...right]) {
    for (const t of new Set(tokens(row.name ?? ''))) perName.set(t, (perName.get(t) ?? 0) + 1);
    for (const c of AREA_COLUMNS) for (const t of tokens(row[c] ?? '')) places.add(t);
  }
  const out = new Set(places);
  for (const [t, n] of perName) if (n < GENERIC_MIN_RECORDS) out.add(t);
  return out;
}

function renamer(words: Set<string>, suffix: string): (s: string) => string {
  return (s) => s.replace(/[A-Za-z]+/g, (w) => (words.has(w.toLowerCase()) ? w + suffix : w));
}

function copyRow(row: Row, copy: number, rename: (s: string) => string): Row {
  const out: Row = { ...row };
  for (const c of [...NAME_COLUMNS, ...AREA_COLUMNS]) if (out[c]) out[c] = rename(out[c]);
  if (out.mfl_code) out.mfl_code = `c${copy}-${out.mfl_code}`;
  if (out.kmhfl_id) out.kmhfl_id = `copy${copy}-${out.kmhfl_id}`;
  if (out.longitude && Number.isFinite(Number(out.longitude)))
    out.longitude = String(Number(out.longitude) + COPY_SHIFT_DEG * copy);
  return out;
}

function byCounty(rows: Row[]): Map<string, Row[]> {
  const m = new Map<string, Row[]>();
  for (const r of rows) {
    const k = r.county ?? '';
    if (!m.has(k)) m.set(k, []);
    m.get(k)!.push(r);
  }
  return m;
}

/**
 * Writes national-size left, right and truth CSVs into `dir` from the training files (the key
 * column is `mfl_code` in all three, as in the Kenya fixtures).
 */
export function writeNationalInput(
  training: { left: string; right: string; truth: string },
  dir: string,
  size = NATIONAL_SIZE,
): NationalFiles {
  const left = readRows(training.left);
  const right = readRows(training.right);
  const truthCodes = new Set(readRows(training.truth).map((r) => r.mfl_code));
  const words = distinctWords(left, right);
  const leftByCounty = byCounty(left);
  const rightByCounty = byCounty(right);
  const counties = [...new Set([...leftByCounty.keys(), ...rightByCounty.keys()])].filter(Boolean).sort();
  const outLeft = [...left];
  const outRight = [...right];
  const copied: string[] = [];
  for (let copy = 1; outLeft.length < size.left || outRight.length < size.right; copy++) {
    if (copy > SUFFIXES.length) throw new Error('the training counties cannot reach the national size');
    const rename = renamer(words, SUFFIXES[copy - 1]);
    for (const county of counties) {
      if (outLeft.length >= size.left && outRight.length >= size.right) break;
      const addLeft = (leftByCounty.get(county) ?? []).slice(0, size.left - outLeft.length);
      const addRight = (rightByCounty.get(county) ?? []).slice(0, size.right - outRight.length);
      outLeft.push(...addLeft.map((r) => copyRow(r, copy, rename)));
      outRight.push(...addRight.map((r) => copyRow(r, copy, rename)));
      copied.push(`${county} #${copy}`);
    }
  }
  // truth: a code in both lists that the training truth pairs, originals and copies alike
  const rightCodes = new Set(outRight.map((r) => r.mfl_code));
  const originalOf = (code: string) => code.replace(/^c\d+-/, '');
  const truth = outLeft
    .map((r) => r.mfl_code)
    .filter((code) => rightCodes.has(code) && truthCodes.has(originalOf(code)));
  mkdirSync(dir, { recursive: true });
  const files = {
    left: path.join(dir, 'national-left.csv'),
    right: path.join(dir, 'national-right.csv'),
    truth: path.join(dir, 'national-truth.csv'),
  };
  writeFileSync(files.left, Papa.unparse(outLeft));
  writeFileSync(files.right, Papa.unparse(outRight));
  writeFileSync(files.truth, Papa.unparse(truth.map((mfl_code) => ({ mfl_code }))));
  return { ...files, copied, sizes: { left: outLeft.length, right: outRight.length } };
}
