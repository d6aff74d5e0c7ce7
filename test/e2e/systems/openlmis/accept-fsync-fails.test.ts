// An order whose accept fsync fails while its delivery already reads (issue 18's overlap,
// accept-on-disk.ts): the attempt's store reads meet the raw EIO too. It must read as the
// database's failure (answered 503, retried by the worker, applied once), not as a bug of ours
// (500, dead-lettered for an operator).
import t from 'tap';
import { holdFsyncs } from '../../../support/held-fsyncs.js';
import {
  lmisCallsSince,
  startRig,
  threeProductOrder,
  writesSince,
  why,
  type Rig,
} from '../../../support/openlmis-e2e.js';

const submittedFor = (rig: Rig, n: string) =>
  rig.lmis.sb.state
    .submittedRequisitions()
    .filter((r: { extraData?: { fhirOrderNumber?: { value?: unknown } } }) => r.extraData?.fhirOrderNumber?.value === n)
    .length;

async function until(what: string, done: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

t.test('an accept whose fsync fails after its reads: 503, nothing written, retried and applied once', async (t) => {
  const rig = await startRig({ LOG_LEVEL: 'warn' });
  t.teardown(() => rig.close());
  const warm = await rig.fhir('POST', '/fhir', threeProductOrder(rig, 'EIO-0', 'LK-HP-401'));
  t.equal(warm.body.entry?.[0]?.response?.status, '201 Created', why(warm));
  const from = rig.lmis.sb.state.requestCount();
  const fsyncs = holdFsyncs(t);
  const answer = rig.fhir('POST', '/fhir', threeProductOrder(rig, 'EIO-1', 'LK-HP-402'));
  await until(
    'the requisition search',
    () => lmisCallsSince(rig, from).includes('GET /api/requisitions/search'),
    60_000,
  );
  t.same(writesSince(rig, from), [], 'nothing written before the sync');
  fsyncs.fail(Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO', errno: -5, syscall: 'fsync' }));
  const res = await answer;
  t.equal(res.status, 503, `the database's failure, to retry: ${why(res)}`);
  await until('the worker to deliver the order', () => submittedFor(rig, 'EIO-1') === 1, 180_000);
  const again = await rig.fhir('POST', '/fhir', threeProductOrder(rig, 'EIO-1', 'LK-HP-402'));
  t.ok(again.status < 300, `the client's resend is that write: ${why(again)}`);
  t.equal(submittedFor(rig, 'EIO-1'), 1, 'one requisition for the order');
  t.equal(lmisCallsSince(rig, from).filter((c) => c === 'POST /api/requisitions/initiate').length, 1, 'initiated once');
});
