import t from 'tap';
import { httpDate } from '../../../src/fhir/http-date.js';

t.test('the same text as Date#toUTCString for instants over 1000-9999', async (t) => {
  let seed = 18;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const min = Date.UTC(1000, 0, 1);
  const max = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
  let differing = 0;
  for (let i = 0; i < 20_000; i++) {
    const iso = new Date(min + Math.floor(random() * (max - min))).toISOString();
    // with and without fraction, with a longer fraction (microseconds, as PostgreSQL writes)
    for (const instant of [iso, `${iso.slice(0, 19)}Z`, `${iso.slice(0, 23)}456Z`]) {
      if (httpDate(instant) !== new Date(instant).toUTCString()) differing++;
    }
  }
  t.equal(differing, 0, 'no instant differs');
  t.equal(httpDate('2026-01-01T00:00:00Z'), 'Thu, 01 Jan 2026 00:00:00 GMT');
  t.equal(httpDate('2024-02-29T23:59:59.999Z'), 'Thu, 29 Feb 2024 23:59:59 GMT', 'a leap day');
  t.equal(httpDate('2000-03-01T12:00:00.5Z'), 'Wed, 01 Mar 2000 12:00:00 GMT');
});

t.test('every other form goes through Date, as before', async (t) => {
  for (const instant of [
    '2026-01-01T02:00:00+02:00', // an offset
    '2026-01-01T00:00:00.000-05:30',
    '2026-01-01', // a date only
    '2023-02-29T00:00:00Z', // a day that does not exist
    '2026-13-01T00:00:00Z',
    '2026-01-01T24:00:00Z',
    '2026-01-01T00:00:60Z',
    '2026-01-01T00:00:00.Z',
    '2026-01-01t00:00:00z',
    '0999-12-31T00:00:00Z',
    '+012026-01-01T00:00:00Z',
    'not a date',
    '',
  ])
    t.equal(httpDate(instant), new Date(instant).toUTCString(), instant);
  t.equal(httpDate(undefined), new Date(undefined as unknown as string).toUTCString(), 'undefined: Invalid Date');
  t.equal(httpDate(1767225600000), 'Thu, 01 Jan 2026 00:00:00 GMT', 'a number: through Date');
});
