/**
 * DHIS2 refusing the read of one org unit (409: the API user may not read that org unit's data, a
 * sharing or hierarchy setting): that facility is reported refused with DHIS2's reason and every
 * other facility is still compared and sent. Before, the national run stopped at it on every run,
 * so the facilities after it in ledger order were never sent. An outage still stops the run.
 */
import t from 'tap';
import { runStockToDhis2 } from '../../../src/bridges/stock-to-dhis2.js';
import { bridgePeriod } from '../../../src/bridges/stock-period.js';
import { dhis2Value, startStockRig } from './stock-rig.js';

const JAN = bridgePeriod('2027-01');

t.test('one org unit DHIS2 will not let us read: refused and reported, the others sent', async (t) => {
  const rig = await startStockRig();
  t.teardown(rig.close);
  await rig.postEvent('LK-HC-101', 'EM01', [
    { product: 'EM-ORS', quantity: 150, date: '2027-01-22', reason: 'Consumed' },
  ]);
  rig.dhis2.faults.add({
    method: 'GET',
    path: '/api/dataValueSets',
    times: 1,
    action: {
      type: 'status',
      status: 409,
      body: {
        httpStatus: 'Conflict',
        httpStatusCode: 409,
        status: 'ERROR',
        message: 'User is not allowed to read data for org unit',
      },
    },
  });
  const run = await runStockToDhis2(rig.deps, { period: JAN, concurrency: 1 });
  t.equal(run.counts.rejected, 1, `one org unit refused (${JSON.stringify(run.counts)})`);
  t.equal(run.counts.sent, 1, 'the other org unit is sent');
  const refused = run.outcomes.find((o) => o.status === 'rejected');
  t.match(refused?.error, /not allowed to read data/, "DHIS2's reason is reported");
  const sentTo = run.outcomes.find((o) => o.status === 'sent')?.orgUnit?.code;
  t.ok(sentTo, 'the sent org unit is named');
  t.ok(
    dhis2Value(rig.dhis2, sentTo!, sentTo === 'LK-HC-101' ? 'EM_ORS_CONS' : 'EM_AMX250_SOH', JAN.id),
    'and holds its values',
  );

  const again = await runStockToDhis2(rig.deps, { period: JAN, concurrency: 1 });
  t.equal(again.counts.sent, 1, 'the refused one is sent once DHIS2 lets it be read');
  t.equal(again.counts.unchanged, 1);
});

t.test('DHIS2 down while reading: the run still stops (every facility would fail alike)', async (t) => {
  const rig = await startStockRig();
  t.teardown(rig.close);
  rig.dhis2.faults.add({
    method: 'GET',
    path: '/api/dataValueSets',
    times: 20,
    action: { type: 'status', status: 503 },
  });
  await t.rejects(runStockToDhis2(rig.deps, { period: JAN, concurrency: 1 }), 'the run fails');
});
