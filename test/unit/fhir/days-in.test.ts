import t from 'tap';
import { daysIn, isCalendarDate } from '../../../src/fhir/validation/dates.js';

t.test('days in a month: what Date.UTC gives, for every month of years 0000-9999', async (t) => {
  let differing = 0;
  for (let year = 0; year <= 9999; year++) {
    for (let month = 1; month <= 12; month++) {
      if (daysIn(year, month) !== new Date(Date.UTC(year, month, 0)).getUTCDate()) differing++;
    }
  }
  t.equal(differing, 0, '120,000 months, none differs');
  t.equal(daysIn(2024, 2), 29, 'a leap year');
  t.equal(daysIn(1900, 2), 28, 'a century that is not a leap year');
  t.equal(daysIn(2000, 2), 29, 'one that is');
});

t.test('real calendar dates are told from impossible ones', async (t) => {
  t.ok(isCalendarDate('2024-02-29'));
  t.notOk(isCalendarDate('2023-02-29'));
  t.notOk(isCalendarDate('2026-04-31T10:00:00Z'));
  t.ok(isCalendarDate('2026-12-31T23:59:59.999+03:00'));
});
