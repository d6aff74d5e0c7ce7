import t from 'tap';
import { inRanges, narrowest } from '../../../src/domain/instant-range.js';
import { parseDate } from '../../../src/fhir/search-params.js';

const ranges = (...raw: string[]) => raw.map((r) => parseDate('date', r));

t.test('a FHIR date becomes the instant range its precision stands for', async (t) => {
  t.same(parseDate('date', '2024'), { from: '2024-01-01T00:00:00.000Z', to: '2024-12-31T23:59:59.999Z' });
  t.same(parseDate('date', 'eq2024-02'), { from: '2024-02-01T00:00:00.000Z', to: '2024-02-29T23:59:59.999Z' });
  t.same(parseDate('date', 'ge2024-03-05'), { from: '2024-03-05T00:00:00.000Z' });
  t.same(parseDate('date', 'gt2024-03-05'), { from: '2024-03-06T00:00:00.000Z' });
  t.same(parseDate('date', 'lt2024-03-05'), { to: '2024-03-04T23:59:59.999Z' });
  t.same(parseDate('date', 'le2024-03-05T10:00+02:00'), { to: '2024-03-05T08:00:59.999Z' });
  t.same(parseDate('date', 'sa2024-03-05T10:00:07Z'), { from: '2024-03-05T10:00:08.000Z' });
  t.same(parseDate('date', 'ne2024-03-05T10:00:07.250Z'), {
    from: '2024-03-05T10:00:07.250Z',
    to: '2024-03-05T10:00:07.250Z',
    exclude: true,
  });
  t.throws(() => parseDate('date', 'gt2024-02-30'), /not a FHIR date/);
});

t.test('ap widens by a tenth of the distance from now, at least a day', async (t) => {
  const near = parseDate('date', `ap${new Date().toISOString().slice(0, 10)}`);
  t.equal(Date.parse(near.to!) - Date.parse(near.from!), 3 * 86_400_000 - 1);
  const far = parseDate('date', 'ap2000-01-01');
  t.ok(
    Date.parse('2000-01-01') - Date.parse(far.from!) > 365 * 86_400_000,
    'decades away: more than a year either side',
  );
});

t.test('instants are tested against every range, exclusions included', async (t) => {
  const march = ranges('ge2024-03', 'lt2024-04', 'ne2024-03-15');
  t.ok(inRanges('2024-03-01T00:00:00Z', march));
  t.ok(inRanges('2024-03-31T23:59:59.999Z', march));
  t.notOk(inRanges('2024-04-01T00:00:00Z', march));
  t.notOk(inRanges('2024-03-15T12:00:00+01:00', march), 'inside the excluded day');
  t.ok(inRanges('2024-03-15T00:30:00+01:00', march), 'still the 14th in UTC');
  t.notOk(inRanges(undefined, march), 'no date cannot satisfy a date filter');
  t.ok(inRanges(undefined, []), 'no filter matches anything');
});

t.test('narrowest gives the single span a connector can push down', async (t) => {
  t.same(narrowest(ranges('ge2024-03', 'le2024-06', 'gt2024-02-10', 'ne2024-04')), {
    from: '2024-03-01T00:00:00.000Z',
    to: '2024-06-30T23:59:59.999Z',
  });
  t.same(narrowest(ranges('ne2024')), { from: undefined, to: undefined });
});
