/**
 * Which writes an OpenHIM transaction's update is owed to: those its envelope named (the random
 * end of each job id, as core keeps it in the transaction's properties), whatever else was kept
 * under its id by a request OpenHIM did not route, before or after it.
 */
import t from 'tap';
import { routedWritesOf } from '../../../src/openhim/routed-writes.js';
import { writeTag, writeTagsOf } from '../../../src/openhim/transaction-id.js';
import type { OutboxJob, TransactionEntry } from '../../../src/store/types.js';
import { newJob } from '../../support/new-job.js';

const TX = '65f0c0ffee0000000000a001';

/** A settled job of TX (support/new-job.ts), owing the transaction's update unless `owed` is false. */
function job(id: string, owed = true, createdAt = 1): OutboxJob {
  const base = newJob(id, { transactionId: TX, createdAt });
  return {
    ...base,
    status: 'done',
    ...(owed ? { transactionUpdate: { state: 'owed' as const, attempts: 0 } } : {}),
    updatedAt: createdAt,
  };
}

const ROUTED = job('0190c0de-0001-7000-8000-aaaaaaaaaaa1', true, 2);
const SIBLING = job('0190c0de-0001-7001-8000-aaaaaaaaaaa2', false, 2);
const FORGED = job('0190c0de-0000-7000-8000-fffffffffff1', true, 1); // kept before the routed request
const named = new Set(writeTagsOf([ROUTED.id, SIBLING.id]).split(' '));

t.test('a write tag is the 12 random hex digits that end a job id', async (t) => {
  t.equal(writeTag(ROUTED.id), 'aaaaaaaaaaa1');
  t.equal(writeTagsOf([ROUTED.id, ROUTED.id, SIBLING.id]), 'aaaaaaaaaaa1 aaaaaaaaaaa2', 'each once, in order');
});

t.test('the update is built from the named writes; another request’s, kept first, is left out', async (t) => {
  const routed = routedWritesOf(TX, [FORGED, ROUTED, SIBLING], [], named);
  t.same(routed, { kind: 'owed', jobs: [ROUTED, SIBLING], entries: [], foreign: [FORGED.id] });
});

t.test('only writes no envelope named owe it: refused, every one of them', async (t) => {
  const settledRouted = job(ROUTED.id, false, 2);
  t.match(routedWritesOf(TX, [settledRouted, FORGED], [], named), {
    kind: 'refused',
    reason: /request OpenHIM did not route/,
  });
});

t.test('Bundle entries another request recorded under the id after the routed one are left out', async (t) => {
  const entry = (n: number, count: number, jobId?: string): TransactionEntry => ({
    entry: n,
    count,
    ...(jobId ? { jobId } : {}),
    answer: { status: '202' },
  });
  const own = [entry(0, 2, ROUTED.id), entry(1, 2, SIBLING.id)];
  t.same(
    routedWritesOf(TX, [ROUTED, SIBLING], own, named),
    { kind: 'owed', jobs: [ROUTED, SIBLING], entries: own, foreign: [] },
    "the routed request's own map",
  );
  // the map keeps the first request's entry at each position: a later one adds only those past it
  t.same(
    routedWritesOf(TX, [ROUTED, SIBLING, FORGED], [...own, entry(2, 3, FORGED.id)], named),
    { kind: 'owed', jobs: [ROUTED, SIBLING], entries: own, foreign: [FORGED.id] },
    'a later Bundle of more entries: its entry past the routed count dropped, its debt refused',
  );
  t.same(
    routedWritesOf(TX, [ROUTED, SIBLING], [...own, entry(2, 3)], named),
    { kind: 'owed', jobs: [ROUTED, SIBLING], entries: own, foreign: [] },
    'a GET entry too',
  );
  // kept first, another request's entries took the routed ones' positions: whose is whose is unknown
  const first = [entry(0, 1, FORGED.id), entry(1, 2, SIBLING.id)];
  t.match(routedWritesOf(TX, [FORGED, ROUTED, SIBLING], first, named), {
    kind: 'refused',
    reason: /recorded Bundle entries/,
  });
  t.match(
    routedWritesOf(TX, [FORGED, ROUTED, SIBLING], [entry(0, 3, FORGED.id), entry(1, 3), entry(2, 3)], named),
    { kind: 'refused' },
    'a Bundle naming no routed write, kept first',
  );
  t.match(
    routedWritesOf(TX, [ROUTED, SIBLING], [entry(0, 2, ROUTED.id), entry(1, 3, SIBLING.id)], named),
    { kind: 'refused' },
    'routed writes named at two counts',
  );
});

t.test('a transaction marked before writes were named is owed the update of all of them', async (t) => {
  t.same(routedWritesOf(TX, [FORGED, ROUTED], [], undefined), {
    kind: 'owed',
    jobs: [FORGED, ROUTED],
    entries: [],
    foreign: [],
  });
});

t.test('with the requests kept (v47), only the routed request shapes the update', async (t) => {
  const entry = (n: number, count: number, jobId?: string): TransactionEntry => ({
    entry: n,
    count,
    ...(jobId ? { jobId } : {}),
    answer: { status: n === 0 ? '200' : '202' },
  });
  const FORGED_2 = job('0190c0de-0000-7001-8000-fffffffffff2', true, 1);
  const forgedMap = [entry(0, 3), entry(1, 3, FORGED.id), entry(2, 3, FORGED_2.id)];
  const forgedRequest = { transactionId: TX, jobIds: [FORGED.id, FORGED_2.id], entries: 3 };
  const contentType = 'application/fhir+json; fhirVersion=4.0; charset=utf-8';

  // a forged Bundle kept first holds the positions the routed Bundle's map would have had
  const bundleRequest = { transactionId: TX, jobIds: [ROUTED.id], entries: 2, contentType };
  const first = routedWritesOf(TX, [FORGED, FORGED_2, ROUTED], forgedMap, named, [forgedRequest, bundleRequest]);
  t.same(
    first,
    { kind: 'owed', jobs: [ROUTED], entries: [], foreign: [FORGED.id, FORGED_2.id], contentType, bundle: true },
    'a forged Bundle kept first: not refused, a Bundle of the routed writes alone',
  );

  // the routed request was one write: no Bundle map under the id is its
  const single = { transactionId: TX, jobIds: [ROUTED.id], contentType };
  t.same(
    routedWritesOf(TX, [FORGED, FORGED_2, ROUTED], forgedMap, named, [forgedRequest, single]),
    { kind: 'owed', jobs: [ROUTED], entries: [], foreign: [FORGED.id, FORGED_2.id], contentType },
    "a routed write alone: the forged Bundle's answers are not its update",
  );

  // the routed Bundle's own map, kept first, is still followed
  const own = [entry(0, 2), entry(1, 2, ROUTED.id), entry(2, 3, FORGED.id)];
  t.same(
    routedWritesOf(TX, [ROUTED, FORGED], own, named, [bundleRequest, forgedRequest]),
    { kind: 'owed', jobs: [ROUTED], entries: own.slice(0, 2), foreign: [FORGED.id], contentType },
    "the routed Bundle's own entries",
  );
});

t.test('a forged Bundle kept first sharing the routed single write’s job does not shape its update', async (t) => {
  // its entry carried the routed write's idempotency key: answered from the same job
  const OTHER = job('0190c0de-0000-7002-8000-fffffffffff3', true, 1);
  const forgedMap: TransactionEntry[] = [
    { entry: 0, count: 2, jobId: ROUTED.id, answer: { status: '202' } },
    { entry: 1, count: 2, jobId: OTHER.id, answer: { status: '202' } },
  ];
  const forgedRequest = {
    transactionId: TX,
    jobIds: [ROUTED.id, OTHER.id],
    entries: 2,
    contentType: 'application/fhir+json; fhirVersion=5.0',
  };
  const contentType = 'application/fhir+json; fhirVersion=4.0; charset=utf-8';
  const single = { transactionId: TX, jobIds: [ROUTED.id], contentType };
  const routedOnly = new Set([writeTag(ROUTED.id)]);
  t.same(
    routedWritesOf(TX, [ROUTED, OTHER], forgedMap, routedOnly, [forgedRequest, single]),
    { kind: 'owed', jobs: [ROUTED], entries: [], foreign: [OTHER.id], contentType },
    'the request naming exactly the routed writes: its write alone, in its Content-Type',
  );
});

t.test('a routed write not ended yet: waiting, whatever else has ended', async (t) => {
  const unfinished = { ...ROUTED, status: 'pending' as const, transactionUpdate: undefined };
  t.same(routedWritesOf(TX, [FORGED, unfinished, SIBLING], [], named), { kind: 'waiting' });
  t.same(routedWritesOf(TX, [FORGED, unfinished], [], undefined), { kind: 'waiting' }, 'nor when none is named');
});

t.test('a routed Bundle of one entry keeps no map: its update is its write’s answer, as before v47', async (t) => {
  const one = { transactionId: TX, jobIds: [ROUTED.id], entries: 1 };
  t.same(routedWritesOf(TX, [ROUTED], [], named, [one]), { kind: 'owed', jobs: [ROUTED], entries: [], foreign: [] });
});

t.test('each request keeps its own entry map (v48): a forged map of reads kept first lends none', async (t) => {
  const contentType = 'application/fhir+json; fhirVersion=4.0; charset=utf-8';
  const read = (n: number, requestKey: string): TransactionEntry => ({
    entry: n,
    count: 2,
    answer: { status: '200 OK' },
    requestKey,
  });
  // as many entries as the routed Bundle, every one a read: no job names it to any request
  const forgedMap = [read(0, 'forged'), read(1, 'forged')];
  const routedMap = [
    read(0, 'routed'),
    { entry: 1, count: 2, jobId: ROUTED.id, answer: { status: '201 Created' }, requestKey: 'routed' },
  ];
  const routed = { transactionId: TX, jobIds: [ROUTED.id], entries: 2, contentType, requestKey: 'routed' };
  t.same(
    routedWritesOf(TX, [ROUTED], [...forgedMap, ...routedMap], named, [routed]),
    { kind: 'owed', jobs: [ROUTED], entries: routedMap, foreign: [], contentType },
    "the routed request's own map, by its key",
  );
  t.same(
    routedWritesOf(TX, [ROUTED], [...forgedMap, ...routedMap], named),
    { kind: 'owed', jobs: [ROUTED], entries: routedMap, foreign: [] },
    'no request kept for it: the one map naming a routed write',
  );
  t.same(
    routedWritesOf(TX, [ROUTED], forgedMap, named, [routed]),
    { kind: 'owed', jobs: [ROUTED], entries: [], foreign: [], contentType, bundle: true },
    'its own map missing: a Bundle of its writes alone, not the forged answers',
  );
});

t.test('a transaction marked before writes were named, maps of several requests: its own alone', async (t) => {
  const at = (n: number, requestKey?: string): TransactionEntry => ({
    entry: n,
    count: 2,
    answer: { status: '200 OK' },
    ...(requestKey ? { requestKey } : {}),
  });
  const ofThen = [at(0), { ...at(1), jobId: ROUTED.id }]; // kept before v48: no key
  const later = [at(0, 'later'), at(1, 'later')];
  const owed = (entries: TransactionEntry[]) => ({ kind: 'owed', jobs: [ROUTED], entries, foreign: [] });
  t.same(routedWritesOf(TX, [ROUTED], [...ofThen, ...later], undefined), owed(ofThen), 'the map of then');
  t.same(routedWritesOf(TX, [ROUTED], later, undefined), owed(later), 'the only map, as before v48');
  t.same(
    routedWritesOf(TX, [ROUTED], [...later, at(0, 'other'), at(1, 'other')], undefined),
    owed([]),
    'maps of requests after the upgrade only: none, its writes alone',
  );
});

t.test("only the routed request's map is judged still being answered", async (t) => {
  const at = (n: number, count: number, requestKey: string, jobId?: string): TransactionEntry => ({
    entry: n,
    count,
    answer: { status: '200 OK' },
    requestKey,
    ...(jobId ? { jobId } : {}),
  });
  const routedMap = [at(0, 2, 'routed'), at(1, 2, 'routed', ROUTED.id)];
  const shortBatch = [at(0, 3, 'forged')];
  const routed = { transactionId: TX, jobIds: [ROUTED.id], entries: 2, requestKey: 'routed' };
  const short = (map: TransactionEntry[]) => map.length < map[0].count;
  t.match(
    routedWritesOf(TX, [ROUTED], [...shortBatch, ...routedMap], named, [routed], short),
    { kind: 'owed', entries: routedMap },
    "another request's batch still being answered holds nothing back",
  );
  t.same(
    routedWritesOf(TX, [ROUTED], routedMap.slice(1), named, [routed], short),
    { kind: 'waiting' },
    'its own, short: waiting',
  );
});
