/**
 * One latitude or longitude cell of a facility list, as people write them: decimal degrees
 * (`-1.2345`, or `-1,2345` from a French or Portuguese spreadsheet), or degrees and minutes with
 * or without seconds and a hemisphere (`1°14'04.2"S`, `1°14.07' S`, `S 1 14 4.2`), as GPS units
 * and paper registers give them. `Number` read all but the first as NaN, so such a list lost every
 * position, and with it the distance evidence, without a word.
 */
export type Axis = 'latitude' | 'longitude';

export type CoordinateCell = { value?: number; problem?: undefined } | { value?: undefined; problem: string };

const HEMISPHERES: Record<Axis, Record<string, 1 | -1>> = {
  latitude: { N: 1, S: -1 },
  longitude: { E: 1, W: -1, O: -1 }, // O: Ouest, as a French register writes west
};

/** Marks that may follow degrees, minutes or seconds; spaces and colons separate them too. */
const MARKS = /[°º˚'′’‘"″”:]/g;

/**
 * What registers write for a position nobody took: no position, like a blank cell. `#N/A` is what
 * Excel shows for a lookup that found nothing, `nan` what a Python script writes for a missing
 * number: refused, one such cell refused a whole national list.
 */
const NONE = new Set(['-', '--', '?', 'n/a', '#n/a', 'na', 'nan', 'none', 'null', 'nil', 'unknown', 'nd', 'n.d.']);

/** A decimal number as `Number` reads it, exponent and all. */
const PLAIN = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?$/i;

/** A decimal number with a point or a decimal comma. */
const NUMBER = /^\d+(?:[.,]\d+)?$/;

const decimal = (text: string): number => Number(text.replace(',', '.'));

function unreadable(text: string, axis: Axis, why?: string): CoordinateCell {
  const example = axis === 'latitude' ? `-1.2345 or 1°14'04"S` : `36.8172 or 36°49'02"E`;
  return { problem: `${JSON.stringify(text)} is not a ${axis}${why ? ` (${why})` : ''}: write it as ${example}` };
}

/** The largest magnitude each axis takes, in degrees. */
const LIMIT: Record<Axis, number> = { latitude: 90, longitude: 180 };

/**
 * Beyond this a number is no angle mistyped but a distance: UTM eastings run from about 166,000
 * to 834,000 metres and northings to 10,000,000, the numbers a GIS export in a projected system
 * gives. Taken as degrees they put a facility nowhere on Earth and its distances to every
 * candidate in the thousands of kilometres: the distance evidence spoke against the right match.
 */
const PROJECTED = 1000;

/**
 * A number read from the cell, if it can be a position on Earth: `1e999` (Infinity), a latitude
 * beyond 90, a longitude beyond 180 is a problem, said as what it most likely is.
 */
function degrees(text: string, value: number, axis: Axis): CoordinateCell {
  if (!Number.isFinite(value)) return unreadable(text, axis, 'not a finite number');
  const magnitude = Math.abs(value);
  if (magnitude <= LIMIT[axis]) return { value };
  if (magnitude >= PROJECTED)
    return unreadable(text, axis, 'it looks like projected metres, as UTM gives, not degrees');
  if (axis === 'latitude' && magnitude <= LIMIT.longitude)
    return unreadable(text, axis, 'beyond 90 degrees: are the latitude and longitude columns swapped?');
  return unreadable(text, axis, `beyond ${LIMIT[axis]} degrees`);
}

/** The hemisphere letter at either end of the cell, and the cell without it. */
function hemisphere(text: string): { letter?: string; rest: string } {
  const m = /^([A-Za-z])\s*(.*)$/.exec(text) ?? /^(.*?)\s*([A-Za-z])$/.exec(text);
  if (!m) return { rest: text };
  const [letter, rest] = /^[A-Za-z]$/.test(m[1]) ? [m[1], m[2]] : [m[2], m[1]];
  return { letter: letter.toUpperCase(), rest };
}

/**
 * A blank cell is no position (undefined); anything else is a number of degrees within its axis's
 * range or a problem to name. A checked list (list-checks.ts) is refused for a problem, as for
 * every cell it cannot take; an unchecked one (the benchmark) reads it as no position.
 */
export function readCoordinate(cell: string | undefined, axis: Axis): CoordinateCell {
  const text = (cell ?? '').trim();
  if (text === '' || NONE.has(text.toLowerCase())) return {};
  // a number as JSON or JavaScript writes it (`-1.2e-7` from a JSON list's number) needs no more
  if (PLAIN.test(text)) return degrees(text, Number(text), axis);
  const { letter, rest } = hemisphere(text);
  const signMatch = /^([-+−])\s*(.*)$/.exec(rest);
  const body = signMatch ? signMatch[2] : rest;
  const parts = body.replace(MARKS, ' ').trim().split(/\s+/);
  if (body.trim() === '' || !parts.every((p) => NUMBER.test(p)) || parts.length > 3) return unreadable(text, axis);
  let sign: 1 | -1 = signMatch && signMatch[1] !== '+' ? -1 : 1;
  if (letter !== undefined) {
    const side = HEMISPHERES[axis][letter];
    if (side === undefined) return unreadable(text, axis, `${letter} is not a hemisphere of a ${axis}`);
    if (signMatch) return unreadable(text, axis, 'a sign and a hemisphere both');
    sign = side;
  }
  // minutes and seconds have two digits: `166 021` is a number with its thousands set apart (a UTM
  // easting as a spreadsheet groups it), not 166°21', a place on Earth and a wrong one
  if (parts.slice(1).some((p) => /^\d{3}/.test(p)))
    return unreadable(
      text,
      axis,
      'a number with its thousands set apart, as projected metres are written, not degrees',
    );
  // only the last part may have a fraction: `1.5 30` says two different things
  if (parts.slice(0, -1).some((p) => /[.,]/.test(p))) return unreadable(text, axis);
  const [whole, minutes = 0, seconds = 0] = parts.map(decimal);
  if (minutes >= 60 || seconds >= 60) return unreadable(text, axis, 'minutes and seconds run to 59');
  return degrees(text, sign * (whole + minutes / 60 + seconds / 3600), axis);
}
