/**
 * Issue 18: an order through the mediator costs at most 5 OpenLMIS calls once reference data is
 * cached (it cost 10: a facility GET, the precheck's and the write's search and periods, and a
 * read-back). Counted by the sandbox itself (its request log), through the real mediator. The
 * savings must not cost exactly-once: a retried order still adopts only its own draft.
 */
import t from 'tap';
import { orderLine, startRig, transactionOf, why, type Rig } from '../../../support/openlmis-e2e.js';

const PRODUCTS = ['EM-AMX250', 'EM-ORS', 'EM-ZNC20'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The requests one action made, as "METHOD path" with ids replaced by {id}. */
async function callsOf(rig: Rig, action: () => Promise<unknown>): Promise<string[]> {
  const from = rig.lmis.sb.state.requestCount();
  await action();
  return rig.lmis.sb.state
    .requestLog(from)
    .map((r) => `${r.method} ${r.path.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, '{id}')}`);
}

function order(rig: Rig, number: string, facilityCode: string, priority = 'routine') {
  const facilityId = rig.lmis.seed.facilities[facilityCode];
  return transactionOf(
    PRODUCTS.map((productCode) =>
      orderLine({ order: number, facilityId, program: 'EM01', productCode, qty: 120, priority }),
    ),
  );
}

t.test('a new order costs five OpenLMIS calls, and answers what a read returns', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  // the first order also logs in and loads reference data (facilities, programs, orderables)
  const first = await rig.fhir('POST', '/fhir', order(rig, 'CALLS-0', 'LK-HP-401'));
  t.equal(first.body.entry?.[0]?.response?.status, '201 Created', why(first));

  for (const [i, facility] of ['LK-HP-402', 'LK-HP-403', 'LK-HP-404'].entries()) {
    let res: Awaited<ReturnType<Rig['fhir']>> | undefined;
    const calls = await callsOf(rig, async () => {
      res = await rig.fhir('POST', '/fhir', order(rig, `CALLS-${i + 1}`, facility));
    });
    t.equal(res!.body.entry?.[0]?.response?.status, '201 Created', why(res!));
    t.same(
      calls,
      [
        'GET /api/requisitions/periodsForInitiate',
        'GET /api/requisitions/search',
        'POST /api/requisitions/initiate',
        'PUT /api/requisitions/{id}',
        'POST /api/requisitions/{id}/submit',
      ],
      `order at ${facility}: periods, the search under the initiate lock, initiate, fill, submit`,
    );
    t.ok(calls.length <= 5, `order at ${facility}: ${calls.length} calls`);

    // the answer came from what the write saw; a read now asks OpenLMIS and must agree
    for (const entry of res!.body.entry) {
      const id = entry.resource?.id ?? entry.response.location.split('/')[1];
      const read = await rig.fhir('GET', `/fhir/SupplyRequest/${id}`);
      t.equal(read.status, 200, why(read));
      t.same(entry.resource, read.body, `line ${id}: the write's answer is what a read returns`);
      t.equal(entry.response.etag, read.headers.get('etag'), `line ${id}: same ETag`);
    }
  }
  const submitted = rig.lmis.sb.state
    .submittedRequisitions()
    .filter((r) => String((r.extraData as any)?.fhirOrderNumber?.value).startsWith('CALLS-'));
  t.equal(submitted.length, 4, 'four orders, four submitted requisitions');
});

t.test('the same order posted again costs no write and stays one requisition', async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const body = order(rig, 'AGAIN-1', 'LK-HP-405');
  const first = await rig.fhir('POST', '/fhir', body);
  t.equal(first.body.entry?.[0]?.response?.status, '201 Created', why(first));
  const calls = await callsOf(rig, async () => {
    const again = await rig.fhir('POST', '/fhir', body);
    t.equal(again.status, 200, why(again));
    t.match(again.body.entry?.[0]?.response?.status, /^200/, 'a duplicate: the first answer again');
  });
  t.same(
    calls.filter((c) => !c.startsWith('GET ')),
    [],
    'nothing written for the duplicate',
  );
  const numbered = rig.lmis.sb.state
    .requisitionsByStatus()
    .filter((r) => (r.extraData as any)?.fhirOrderNumber?.value === 'AGAIN-1');
  t.equal(numbered.length, 1, 'one requisition holds the order');
});

t.test('an initiate whose answer was lost is retried onto its own draft, never onto another order', async (t) => {
  const rig = await startRig({
    OUTBOX_DEADLINE_MS: '300',
    OUTBOX_SETTLE_MS: '500',
    OUTBOX_BACKOFF_BASE_MS: '50',
    OUTBOX_BACKOFF_CAP_MS: '200',
  });
  t.teardown(() => rig.close());
  const { lmis } = rig;
  const facilityId = lmis.seed.facilities['LK-HP-406'];
  // OpenLMIS creates X's draft but the answer never reaches the mediator
  lmis.sb.faults.add({
    method: 'POST',
    path: '/api/requisitions/initiate',
    action: { type: 'afterApply', answer: { type: 'reset' } },
    times: 1,
  });
  const x = await rig.fhir('POST', '/fhir', order(rig, 'LOST-X', 'LK-HP-406', 'urgent'));
  t.match(x.body.entry?.[0]?.response?.status, /^20[12]/, why(x));
  // another emergency order of the same facility and program, while X's draft is unmarked
  const y = await rig.fhir('POST', '/fhir', order(rig, 'LOST-Y', 'LK-HP-406', 'urgent'));
  t.match(y.body.entry?.[0]?.response?.status, /^20[12]/, why(y));

  const mine = () => lmis.sb.state.requisitionsByStatus().filter((r) => r.facilityId === facilityId && r.emergency);
  const holding = (n: string) => mine().filter((r) => (r.extraData as any)?.fhirOrderNumber?.value === n);
  const end = Date.now() + 30_000;
  while (
    Date.now() < end &&
    !(['LOST-X', 'LOST-Y'] as const).every((n) => holding(n).some((r) => r.status === 'SUBMITTED'))
  )
    await sleep(100);
  t.equal(holding('LOST-X').length, 1, 'X is on one requisition');
  t.equal(holding('LOST-Y').length, 1, 'Y is on one requisition');
  t.not(holding('LOST-X')[0]?.id, holding('LOST-Y')[0]?.id, 'X and Y are on different requisitions');
  t.same(
    holding('LOST-X').map((r) => r.status),
    ['SUBMITTED'],
    'X submitted once',
  );
  t.same(
    mine()
      .filter((r) => !(r.extraData as any)?.fhirOrderNumber)
      .map((r) => `${r.id} ${r.status}`),
    [],
    'no draft without an order number is left behind',
  );
});
