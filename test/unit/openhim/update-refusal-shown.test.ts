/**
 * A write OpenHIM gave up on after it was recorded is delivered, while OpenHIM shows its
 * transaction failed, and the update that would say so is refused (transaction-ownership.ts: no
 * envelope of ours on core's record, and a forged id must never be updated). The console says it
 * where the operator looks: the job's page shows its update refused and why, and the outbox line
 * no longer says every refused transaction stays Processing (this one is Failed in OpenHIM).
 */
import t from 'tap';
import { jobBody, outboxBody, type OutboxData } from '../../../src/admin/ui/outbox-page.js';
import { ownershipOf } from '../../../src/openhim/transaction-ownership.js';
import { showOutboxJob } from '../../../src/outbox/operator.js';
import { newJob } from '../../support/new-job.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';

const URN = 'urn:mediator:test';
const TX = '5f0c6a1e2b3c4d5e6f708192';

t.test("a refused update of a transaction OpenHIM gave up on: on the job's page, with why", async (t) => {
  const { store } = await freshStore(engineCases()[0], t);
  const now = Date.now();
  await store.recordWrites(
    [
      newJob('LATE', {
        status: 'in-flight',
        attempts: 1,
        leaseOwner: 'A',
        leaseUntil: now + 60_000,
        transactionId: TX,
      }),
    ],
    [],
  );
  await store.finishJob(
    'LATE',
    'A',
    { status: 'done', result: { system: 'openlmis', ids: { requisition: 'r' } }, transactionUpdateDue: now },
    now,
  );
  // as core keeps a transaction whose route call it timed out (router.js handleServerError)
  const refusal = ownershipOf(
    {
      response: { status: 500 },
      error: { message: 'Request took longer than 30000ms' },
      orchestrations: [{ name: 'mediator', error: { message: 'Request took longer than 30000ms' } }],
    },
    TX,
    URN,
  );
  if (refusal.kind !== 'refused') throw new Error('expected a refusal');
  await store.settleTransactionUpdate('LATE', { state: 'refused', error: refusal.reason });

  const detail = await showOutboxJob(store, 'LATE');
  const page = String(jobBody(detail!, now));
  t.match(page, /data-testid="job-status">done</, 'the write is delivered');
  t.match(page, /data-testid="openhim-update">OpenHIM transaction update: <strong[^>]*>refused<\/strong>/);
  t.match(page, new RegExp(`OpenHIM gave up on transaction ${TX} before ${URN} answered it`), 'and why');

  const data: OutboxData = {
    counts: {},
    bySystem: new Map(),
    openhimUpdates: { owed: 0, refused: 1, abandoned: 0, oldestOwedEndedAt: null },
    dead: [],
    listed: [],
    page: { offset: 0, size: 100, more: false },
    filters: {},
    now,
  };
  const line = String(outboxBody(data));
  t.notMatch(line, /those transactions stay Processing/, 'not said to be Processing: core failed it');
  t.match(
    line,
    /where it gave up first, Failed: each job&#39;s page says why|where it gave up first, Failed: each job's page says why/,
  );
});
