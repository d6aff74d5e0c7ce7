/**
 * isCalendarDate reads the usual shapes (`YYYY-MM-DD`, `YYYY-MM-DDThh:mm:ss[.f](Z|±hh:mm)`) from
 * their digits and leaves every other text to its pattern: its answers must be the pattern's for
 * every text. Compared with the pattern-only reading (as it was before, kept here) on hand-picked
 * limits and on seeded random texts near those shapes: digits out of range, separators and
 * zones changed, fractions empty or long, characters that are digits only outside ASCII.
 */
import t from 'tap';
import { daysIn, isCalendarDate } from '../../../src/fhir/validation/dates.js';

const PARTS = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-](\d{2}):(\d{2}))?)?)?)?$/;

function byPattern(value: string): boolean {
  const m = PARTS.exec(value);
  if (!m) return true;
  const [, y, mo, d, h, mi, s, , zh, zm] = m;
  const year = Number(y);
  if (mo !== undefined && (Number(mo) < 1 || Number(mo) > 12)) return false;
  if (d !== undefined && (Number(d) < 1 || Number(d) > daysIn(year, Number(mo)))) return false;
  if (h !== undefined && (Number(h) > 23 || Number(mi) > 59 || (s !== undefined && Number(s) > 60))) return false;
  if (zh !== undefined && (Number(zh) > 14 || Number(zm) > 59)) return false;
  return true;
}

const CASES = [
  '2026-11-20',
  '2026-11-20T08:00:00Z',
  '2026-11-20T08:00:00.123Z',
  '2026-11-20T08:00:00+03:00',
  '2026-11-20T08:00:00.5-14:00',
  '2026-11-20T08:00:00+14:59',
  '2026-11-20T08:00:00+15:00',
  '2026-11-20T08:00:00+03:60',
  '2026-02-29',
  '2024-02-29',
  '1900-02-29',
  '0000-02-29',
  '2026-00-10',
  '2026-13-10',
  '2026-04-31',
  '2026-04-00',
  '2026-11-20T24:00:00Z',
  '2026-11-20T23:60:00Z',
  '2026-11-20T23:59:60Z',
  '2026-11-20T23:59:61Z',
  '2026-11-20T08:00Z',
  '2026-11-20T08:00',
  '2026-11-20T08:00:00',
  '2026-11-20T08:00:00.Z',
  '2026-11-20T08:00:00.+03:00',
  '2026-11-20t08:00:00Z',
  '2026-11-20T08:00:00z',
  '2026-11',
  '2026',
  '2026-1-20',
  '2026-11-20 ',
  '2026-11-20T08:00:00Z ',
  '٢٠٢٦-11-20',
  '2026-11-20T08:00:00+3:00',
  '2026-11-20T08:00:00+03:0',
  '2026-11-20T08:00:00+0300',
  '',
];

/** A seeded generator (mulberry32): the same texts on every run. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let r = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
}

/** A usual shape with each character, now and then, replaced by one that could confuse a reading. */
function nearShapes(count: number): string[] {
  const next = random(40);
  const pick = <T>(list: readonly T[]) => list[Math.floor(next() * list.length)];
  const two = () => String(Math.floor(next() * 100)).padStart(2, '0');
  const shapes = [
    () => `${pick(['2026', '2024', '1900', '0099', '2000'])}-${two()}-${two()}`,
    () =>
      `2026-${two()}-${two()}T${two()}:${two()}:${two()}${pick(['', '.', '.1', '.123456789'])}${pick(['Z', '+', '-'])}${two()}:${two()}`,
    () => `2026-${two()}-${two()}T${two()}:${two()}:${two()}${pick(['', '.5', '.', '.12'])}${pick(['Z', '', 'z'])}`,
  ];
  const noise = ['0', '9', '-', ':', 'T', 'Z', '.', '+', ' ', 'x', '٣', '\u0660'];
  return Array.from({ length: count }, () => {
    const text = pick(shapes)();
    if (next() < 0.5) return text;
    const at = Math.floor(next() * text.length);
    return next() < 0.8 ? text.slice(0, at) + pick(noise) + text.slice(at + 1) : text.slice(0, at) + text.slice(at + 1);
  });
}

t.test("isCalendarDate answers as the pattern's reading on every text", async (t) => {
  const texts = [...CASES, ...nearShapes(50_000)];
  const differing = texts.filter((text) => isCalendarDate(text) !== byPattern(text));
  t.same(differing, [], 'no text answered otherwise');
  t.ok(
    texts.some((text) => !byPattern(text)),
    'some texts are refused',
  );
});
