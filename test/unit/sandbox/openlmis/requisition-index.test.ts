import t from 'tap';
import { initiate, startHarness } from './helpers.js';

/**
 * OpenLMIS answers an order's calls (periodsForInitiate, initiate, a search by facility, a
 * delete's "newer requisition" check) from indexed queries, so the sandbox finds a facility's
 * requisitions through its index and never walks every requisition it holds (issue 18: a
 * benchmark's later orders cost the simulated upstream what its first ones did). The answers are
 * the same as a scan's.
 */
t.test("a facility's requisitions are found through the index, with the answers a scan gives", async (t) => {
  const h = await startHarness();
  t.teardown(() => h.sb.close());
  const admin = await h.login();
  const store = h.sb.state.store;
  const facility = h.seed.facilities['LK-HC-102'];
  const program = h.seed.programs.FP01;

  // a requisition at another facility, which no answer below may show
  const other = await initiate(h, admin, 'LK-HC-101', 'FP01');
  t.equal(other.status, 201);

  // every walk over all requisitions is counted from here on
  let fullScans = 0;
  const values = store.requisitions.values.bind(store.requisitions);
  store.requisitions.values = () => {
    fullScans++;
    return values();
  };
  t.teardown(() => {
    store.requisitions.values = values;
  });

  const periodsPath = `/api/requisitions/periodsForInitiate?programId=${program}&facilityId=${facility}&emergency=false`;
  const before = await h.call('GET', periodsPath, admin);
  t.equal(before.status, 200);
  t.equal(before.body[0].requisitionId, null, 'no requisition of this facility yet');

  const first = await initiate(h, admin, 'LK-HC-102', 'FP01');
  t.equal(first.status, 201);
  const after = await h.call('GET', periodsPath, admin);
  t.equal(after.body[0].requisitionId, first.body.id, 'periodsForInitiate sees the new requisition');

  const again = await h.call(
    'POST',
    `/api/requisitions/initiate?program=${program}&facility=${facility}&suggestedPeriod=${first.body.processingPeriod.id}&emergency=false`,
    admin,
  );
  t.equal(again.status, 400, 'initiate finds the period taken');

  const search = await h.call('GET', `/api/requisitions/search?facility=${facility}&program=${program}`, admin);
  t.equal(search.status, 200);
  t.same(
    search.body.content.map((r: { id: string }) => r.id),
    [first.body.id],
    "a search by facility lists that facility's requisition and not the other one",
  );
  t.equal(fullScans, 0, 'no call above walked every requisition');

  const deleted = await h.call('DELETE', `/api/requisitions/${first.body.id}`, admin);
  t.equal(deleted.status, 204);
  t.equal(fullScans, 0, "the delete's newer-requisition check used the index too");
  const gone = await h.call('GET', `/api/requisitions/search?facility=${facility}&program=${program}`, admin);
  t.same(gone.body.content, [], 'a deleted requisition leaves the index');
  const reopened = await h.call('GET', periodsPath, admin);
  t.equal(reopened.body[0].requisitionId, null, 'and its period is offered again');

  const all = await h.call('GET', `/api/requisitions/search?program=${program}`, admin);
  t.same(
    all.body.content.map((r: { id: string }) => r.id),
    [other.body.id],
    'a search without a facility still walks them all',
  );
  t.equal(fullScans, 1);
});
