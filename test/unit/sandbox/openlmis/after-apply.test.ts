/**
 * The `afterApply` fault: the write lands in the sandbox, and only its answer is lost
 * (another status, a dropped connection, or no answer at all). A failing write is left alone.
 */
import t from 'tap';
import { initiateEmergency, startHarness } from './helpers.js';

t.test('afterApply: the requisition is initiated although the answer is lost', async (t) => {
  const h = await startHarness();
  t.teardown(() => h.sb.close());
  const token = await h.login();
  const count = () => h.sb.state.requisitionsByStatus().length;

  h.sb.faults.add({
    method: 'POST',
    path: '/api/requisitions/initiate',
    action: { type: 'afterApply', answer: { type: 'status', status: 503 } },
    times: 1,
  });
  const replaced = await initiateEmergency(h, token, 'LK-HC-101', 'EM01');
  t.equal(replaced.status, 503, 'the client sees a 503');
  t.equal(replaced.body.status, 503, 'in a Spring error body');
  t.equal(count(), 1, 'but the requisition exists');

  h.sb.faults.add({
    method: 'POST',
    path: '/api/requisitions/initiate',
    action: { type: 'afterApply', answer: { type: 'reset' } },
    times: 1,
  });
  await t.rejects(initiateEmergency(h, token, 'LK-HC-101', 'EM01'), 'reset: no answer at all');
  t.equal(count(), 2, 'and the second requisition exists');

  h.sb.faults.add({
    method: 'POST',
    path: '/api/requisitions/initiate',
    action: { type: 'afterApply', answer: { type: 'hang' } },
    times: 1,
  });
  const periods = await h.call(
    'GET',
    `/api/requisitions/periodsForInitiate?programId=${h.seed.programs.EM01}&facilityId=${h.seed.facilities['LK-HC-101']}&emergency=true`,
    token,
  );
  const url = `${h.sb.url}/api/requisitions/initiate?program=${h.seed.programs.EM01}&facility=${h.seed.facilities['LK-HC-101']}&suggestedPeriod=${periods.body[0].id}&emergency=true`;
  await t.rejects(
    fetch(url, { method: 'POST', headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(300) }),
    'hang: the client times out',
  );
  t.equal(count(), 3, 'and the third requisition exists');

  t.same(
    h.sb.faults.list().map((r) => r.hits),
    [1, 1, 1],
    'each rule fired once',
  );
});

t.test('afterApply leaves a refused write as it is', async (t) => {
  const h = await startHarness();
  t.teardown(() => h.sb.close());
  const token = await h.login();
  h.sb.faults.add({
    method: 'POST',
    path: '/api/requisitions/initiate',
    action: { type: 'afterApply', answer: { type: 'status', status: 503 } },
  });
  const res = await h.call(
    'POST',
    `/api/requisitions/initiate?program=${h.seed.programs.EM01}&facility=${h.seed.facilities['LK-HC-101']}`,
    token,
  );
  t.equal(res.status, 400, 'the handler refused it (no emergency flag): the 400 comes through');
  t.equal(h.sb.state.requisitionsByStatus().length, 0);
});
