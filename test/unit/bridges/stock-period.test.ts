import t from 'tap';
import {
  bridgePeriod,
  checkEnded,
  checkPeriodType,
  previousPeriod,
  recentPeriods,
} from '../../../src/bridges/stock-period.js';

t.test('a month as typed, or a DHIS2 period id, with its days', async (t) => {
  t.match(bridgePeriod('2026-11'), { id: '202611', type: 'Monthly', days: { from: '2026-11-01', to: '2026-11-30' } });
  t.match(bridgePeriod('2024-02'), { days: { to: '2024-02-29' } }, 'a leap February');
  t.match(bridgePeriod('2026Q4'), { type: 'Quarterly', days: { from: '2026-10-01', to: '2026-12-31' } });
  t.match(bridgePeriod('2027W3'), { type: 'Weekly', days: { from: '2027-01-18', to: '2027-01-24' } });
  t.match(bridgePeriod('2027W03'), { id: '2027W3' }, "a week with a leading zero is DHIS2's id");
  t.match(
    bridgePeriod('2026W53'),
    { days: { from: '2026-12-28', to: '2027-01-03' } },
    'a 53rd week where there is one',
  );
  t.match(bridgePeriod('20261105'), { type: 'Daily', days: { from: '2026-11-05', to: '2026-11-05' } });
  t.match(bridgePeriod('2026'), { type: 'Yearly', days: { from: '2026-01-01', to: '2026-12-31' } });
  // ids of the right shape naming no such period: a 13th month, a week 2025 has not (it has 52),
  // a week 0, a 30 February; made into dates they would fall in another period
  for (const bad of ['2026-13', '2026/11', 'November', '2026S1', '202613', '202600', '2025W53', '2026W0', '20260230']) {
    const refused = (() => {
      try {
        bridgePeriod(bad, '--period');
      } catch (err) {
        return err;
      }
    })();
    t.match(refused, { status: 422, issues: [{ expression: ['--period'] }] }, bad);
  }
});

t.test('the last complete period of the data set’s type', async (t) => {
  const now = new Date('2026-12-02T03:00:00Z');
  t.equal(previousPeriod('Monthly', now).id, '202611');
  t.equal(previousPeriod('Monthly', new Date('2027-01-01T00:00:00Z')).id, '202612', 'across a year');
  t.equal(previousPeriod('Weekly', now).id, '2026W48', 'the week before the one of 2 December (W49)');
  t.equal(previousPeriod('Quarterly', now).id, '2026Q3');
  t.equal(previousPeriod('Daily', now).id, '20261201');
  t.equal(previousPeriod('Yearly', now).id, '2025');
  t.throws(() => previousPeriod('SixMonthly', now), { message: /SixMonthly is not one the stock bridge sends/ });
  t.same(
    recentPeriods('Monthly', now, 3).map((p) => p.id),
    ['202609', '202610', '202611'],
    'the scheduled run looks back: oldest first',
  );
  t.same(
    recentPeriods('Weekly', new Date('2027-01-06T00:00:00Z'), 2).map((p) => p.id),
    ['2026W52', '2026W53'],
    'across a year of 53 ISO weeks',
  );
});

t.test('a period of another type than the data set’s is refused, naming both', async (t) => {
  t.throws(() => checkPeriodType(bridgePeriod('2026-11'), 'Weekly', 'DHIS2 data set W'), {
    status: 422,
    message: 'DHIS2 data set W takes Weekly periods; 202611 is Monthly',
  });
  t.doesNotThrow(() => checkPeriodType(bridgePeriod('2026W45'), 'Weekly'));
});

t.test('a period asked for by hand must be over by its last day', async (t) => {
  const now = new Date('2026-12-06T10:00:00Z');
  t.doesNotThrow(() => checkEnded(bridgePeriod('2026-11'), now), 'last month');
  t.doesNotThrow(() => checkEnded(bridgePeriod('2026W48'), now), 'a week over (23-29 November)');
  t.throws(() => checkEnded(bridgePeriod('2026-12'), now, '--period'), {
    message:
      '202612 has not ended (its last day is 2026-12-31): its stock indicators are known once it is over; the last complete monthly period is 202611',
  });
  t.throws(() => checkEnded(bridgePeriod('2026Q4'), now), /2026Q4 has not ended .* quarterly period is 2026Q3$/);
  t.throws(() => checkEnded(bridgePeriod('2099'), now), /2099 has not ended/);
  t.doesNotThrow(() => checkEnded(bridgePeriod('2026-11'), new Date('2026-12-01T00:00:00Z')), 'over at midnight');
});
