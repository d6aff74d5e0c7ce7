/**
 * Coordinates as registers and GPS units write them. Before: `Number` read `1°14'04.2"S` or
 * `1.2345 S` as NaN and the record lost its position without a word (no distance evidence), and
 * a cell no reader can take (`36 49 E` in the latitude column) went the same way.
 */
import t, { type Test } from 'tap';
import { readCoordinate } from '../../../src/registry/coordinate.js';

const close = (t: Test, got: number | undefined, want: number, what: string) =>
  t.ok(got !== undefined && Math.abs(got - want) < 1e-9, `${what}: ${got} ≈ ${want}`);

t.test('decimal degrees, degrees-minutes and degrees-minutes-seconds with a hemisphere', async (t) => {
  const cases: [string, 'latitude' | 'longitude', number][] = [
    ['-1.2345', 'latitude', -1.2345],
    ['-1,2345', 'latitude', -1.2345],
    ['-1.2e-7', 'latitude', -1.2e-7],
    [`1°14'04.2"S`, 'latitude', -(1 + 14 / 60 + 4.2 / 3600)],
    [`1°14'04,2"S`, 'latitude', -(1 + 14 / 60 + 4.2 / 3600)],
    [`1°14.07' S`, 'latitude', -(1 + 14.07 / 60)],
    ['S 1 14 4.2', 'latitude', -(1 + 14 / 60 + 4.2 / 3600)],
    ['1.2345 S', 'latitude', -1.2345],
    ['0°30′N', 'latitude', 0.5],
    [`38°07'24.2"E`, 'longitude', 38 + 7 / 60 + 24.2 / 3600],
    [`13°14' W`, 'longitude', -(13 + 14 / 60)],
    [`13°14' O`, 'longitude', -(13 + 14 / 60)],
    ['−13.5', 'longitude', -13.5],
  ];
  for (const [cell, axis, want] of cases) close(t, readCoordinate(cell, axis).value, want, `${axis} ${cell}`);
});

t.test('a blank or a "none" marker is no position, not a problem', async (t) => {
  // #N/A: Excel's lookup that found nothing; nan/NaN: a Python script's missing number
  for (const cell of ['', '  ', 'N/A', 'n/a', '-', 'unknown', '#N/A', 'nan', 'NaN', undefined])
    t.same(readCoordinate(cell, 'latitude'), {}, JSON.stringify(cell));
});

t.test('a cell no reader can take is named with why and how to write it', async (t) => {
  const cases: [string, 'latitude' | 'longitude', RegExp][] = [
    ['36 49 E', 'latitude', /^"36 49 E" is not a latitude \(E is not a hemisphere of a latitude\): write it as /],
    ['1 14 S', 'longitude', /^"1 14 S" is not a longitude \(S is not a hemisphere of a longitude\)/],
    [`1°75'S`, 'latitude', /\(minutes and seconds run to 59\)/],
    [`-1°14'S`, 'latitude', /\(a sign and a hemisphere both\)/],
    ['1.5 30', 'latitude', /^"1.5 30" is not a latitude: write it as -1.2345 or 1°14'04"S$/],
    ['1.2.3', 'latitude', /^"1.2.3" is not a latitude/],
    ['Kitui', 'longitude', /^"Kitui" is not a longitude: write it as 36.8172 or 36°49'02"E$/],
  ];
  for (const [cell, axis, said] of cases) {
    const read = readCoordinate(cell, axis);
    t.equal(read.value, undefined, `${cell}: no value`);
    t.match(read.problem, said, `${cell}: says why`);
  }
});

t.test('a number with its thousands set apart by spaces is no degrees and minutes', async (t) => {
  // `166 021`, a UTM easting as a French or Kenyan spreadsheet groups it, was read as 166°21'
  // (a place on Earth, and a wrong one) and `1 000` as 1°00'; minutes and seconds have two digits
  const cases: [string, 'latitude' | 'longitude'][] = [
    ['166 021', 'longitude'],
    ['1 000', 'longitude'],
    ['9 856 321', 'latitude'],
    ['12 345,6', 'longitude'],
  ];
  for (const [cell, axis] of cases) {
    const read = readCoordinate(cell, axis);
    t.equal(read.value, undefined, `${cell}: no value`);
    t.match(read.problem, /thousands set apart/, `${cell}: says why`);
  }
  close(
    t,
    readCoordinate(`1 05 30`, 'latitude').value,
    1 + 5 / 60 + 30 / 3600,
    'two-digit minutes and seconds still read',
  );
});
