/**
 * Issue 18: an OpenLMIS order's accept settles at its COMMIT, so the order's first read (the
 * requisition search under the initiate lock) goes out while the fsync that makes the accept
 * durable runs, instead of after it: one serial wait for the disk fewer per order. Through the
 * real mediator, connector and OpenLMIS sandbox on SQLite, with every fsync held: OpenLMIS is
 * read, but nothing is written to it and the client has no answer until the accept is on disk.
 * (PostgreSQL commits to disk before the accept settles: nothing to overlap there.)
 */
import t from 'tap';
import { holdFsyncs } from '../../../support/held-fsyncs.js';
import { lmisCallsSince, startRig, threeProductOrder, writesSince, why } from '../../../support/openlmis-e2e.js';

t.test("an order reads OpenLMIS during its accept's fsync, and writes nothing before it", async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  // logins and reference data first, so the held order makes only its own calls
  const warm = await rig.fhir('POST', '/fhir', threeProductOrder(rig, 'OVERLAP-0', 'LK-HP-401'));
  t.equal(warm.body.entry?.[0]?.response?.status, '201 Created', why(warm));

  const from = rig.lmis.sb.state.requestCount();
  const fsyncs = holdFsyncs(t);
  let answered = false;
  const res = rig
    .fhir('POST', '/fhir', threeProductOrder(rig, 'OVERLAP-1', 'LK-HP-402'))
    .finally(() => (answered = true));
  const deadline = Date.now() + 30_000;
  while (!lmisCallsSince(rig, from).includes('GET /api/requisitions/search')) {
    if (Date.now() > deadline)
      throw new Error(`no search while the accept's fsync was held: ${lmisCallsSince(rig, from)}`);
    await new Promise((r) => setTimeout(r, 5));
  }
  t.ok(fsyncs.held() >= 1, "OpenLMIS was read while the accept's fsync was held");
  t.same(writesSince(rig, from), [], 'nothing written to OpenLMIS before the accept is on disk');
  t.notOk(answered, 'the client has no answer before the accept is on disk');
  const atRelease = rig.lmis.sb.state.requestCount();
  fsyncs.release();

  const done = await res;
  t.equal(done.body.entry?.[0]?.response?.status, '201 Created', why(done));
  t.same(writesSince(rig, from), writesSince(rig, atRelease), 'every write to OpenLMIS came after the release');
  t.same(
    lmisCallsSince(rig, from),
    [
      'GET /api/requisitions/periodsForInitiate',
      'GET /api/requisitions/search',
      'POST /api/requisitions/initiate',
      'PUT /api/requisitions/{id}',
      'POST /api/requisitions/{id}/submit',
    ],
    'the same five calls as an order whose accept waited for the disk',
  );
  const submitted = rig.lmis.sb.state
    .submittedRequisitions()
    .filter(
      (r: { extraData?: { fhirOrderNumber?: { value?: unknown } } }) =>
        r.extraData?.fhirOrderNumber?.value === 'OVERLAP-1',
    );
  t.equal(submitted.length, 1, 'one requisition submitted for the order');
});
