/**
 * Bundle entry maps under one OpenHIM transaction id, one per request (store v48): a batch still
 * being answered is judged on its own map, whatever another request under the id recorded.
 */
import t from 'tap';
import { mapsByRequest } from '../../../src/openhim/entry-maps.js';
import { stillAnswering } from '../../../src/openhim/transaction-update-sweep.js';
import type { OutboxJob, TransactionEntry } from '../../../src/store/types.js';
import { newJob } from '../../support/new-job.js';

const NOW = 1_700_000_000_000;
const entry = (n: number, count: number, requestKey?: string): TransactionEntry => ({
  entry: n,
  count,
  answer: { status: '200 OK' },
  ...(requestKey ? { requestKey } : {}),
});
const jobs: OutboxJob[] = [{ ...newJob('j1', { transactionId: 'tx', createdAt: NOW }), updatedAt: NOW }];

t.test('the maps of each request, those of before v48 as one', async (t) => {
  const maps = mapsByRequest([entry(0, 2), entry(0, 3, 'a'), entry(1, 2), entry(1, 3, 'a')]);
  t.same(maps, [
    [entry(0, 2), entry(1, 2)],
    [entry(0, 3, 'a'), entry(1, 3, 'a')],
  ]);
  t.same(mapsByRequest([]), []);
});

t.test("a batch's map still short of its entries is still being answered, beside another's whole map", async (t) => {
  const forged = [0, 1, 2].map((n) => entry(n, 3, 'forged'));
  const routed = [0, 1].map((n) => entry(n, 4, 'routed'));
  t.ok(stillAnswering([...forged, ...routed], jobs, NOW + 1), 'the routed batch has 2 of its 4 entries');
  t.notOk(stillAnswering(forged, jobs, NOW + 1), 'a whole map alone: answered');
  t.notOk(stillAnswering([], jobs, NOW + 1), 'no map: nothing to wait for');
});
