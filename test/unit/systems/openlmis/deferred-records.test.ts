/**
 * Issue 18: the initiate's journal record (and the note resolving it) and the fill's record wait
 * for the submit's answer, to join the commit that ends the outbox job. So a crash can come after
 * OpenLMIS applied the fill, or the submit, with those records never written. These tests lose
 * exactly those records (a journal that drops them, as a crash before their commit would) and
 * check that the resumed write ends with one requisition, submitted once, without a second
 * initiate, fill or submit.
 */
import t from 'tap';
import type { StepJournal } from '../../../../src/routing/ports.js';
import { failure } from './client-harness.js';
import { MemoryJournal, fiveLineOrder, requisitions, startFlowHarness, type FlowHarness } from './orders-harness.js';

/** A journal whose records of `lost` steps never reach the disk: the crash came before their commit. */
class LosingJournal implements StepJournal {
  constructor(
    readonly inner: MemoryJournal,
    private readonly lost: Set<string>,
  ) {}
  get idempotencyKey() {
    return this.inner.idempotencyKey;
  }
  async run<T>(step: string, action: () => Promise<T>): Promise<T> {
    if (!this.lost.has(step)) return this.inner.run(step, action);
    return action();
  }
}

const submitted = (h: FlowHarness) => requisitions(h).filter((r) => r.status === 'SUBMITTED');
const callsTo = (h: FlowHarness, from: number, method: string, path: RegExp) =>
  h.calls.slice(from).filter((c) => c.method === method && path.test(c.path)).length;

t.test('a crash after the fill, before the initiate was recorded, resumes to one requisition', async (t) => {
  const h = await startFlowHarness();
  t.teardown(h.close);
  const o = fiveLineOrder(h);
  const disk = new MemoryJournal();
  h.crashAfter('PUT', /^\/api\/requisitions\/[^/]+$/);
  t.match((await failure(h.orders.submit(o, new LosingJournal(disk, new Set(['initiate', 'fill']))))).message, 'crash');
  t.same([...disk.steps.keys()], ['find-period'], 'only the period reached the disk');
  t.equal(requisitions(h).length, 1, 'OpenLMIS has the filled draft');

  const from = h.calls.length;
  const result = await h.orders.submit(o, disk);
  t.equal(callsTo(h, from, 'POST', /\/initiate$/), 0, 'no second initiate: the search finds it by our order number');
  t.equal(callsTo(h, from, 'PUT', /^\/api\/requisitions\/[^/]+$/), 0, 'no second fill: it already holds the order');
  t.equal(requisitions(h).length, 1, 'still one requisition');
  t.equal(submitted(h).length, 1, 'submitted once');
  t.equal(submitted(h)[0].id, result.ids.requisition, 'the one the write answers');
});

t.test('a crash after the submit, before the fill was recorded, resumes without writing again', async (t) => {
  const h = await startFlowHarness();
  t.teardown(h.close);
  const o = fiveLineOrder(h);
  const disk = new MemoryJournal();
  h.crashAfter('POST', /\/submit$/);
  t.match((await failure(h.orders.submit(o, new LosingJournal(disk, new Set(['fill', 'submit']))))).message, 'crash');
  t.same([...disk.steps.keys()], ['find-period', 'initiate'], 'the fill and submit records were lost');
  t.equal(submitted(h).length, 1, 'OpenLMIS submitted it');

  const from = h.calls.length;
  const result = await h.orders.submit(o, disk);
  t.equal(callsTo(h, from, 'PUT', /^\/api\/requisitions\/[^/]+$/), 0, 'no second fill');
  t.equal(callsTo(h, from, 'POST', /\/submit$/), 0, 'no second submit');
  t.equal(requisitions(h).length, 1, 'still one requisition');
  t.equal(result.ids.requisition, submitted(h)[0].id, 'the submitted one is the answer');
});

t.test(
  'a crash after the submit, before the initiate, fill and submit were recorded, writes nothing again',
  async (t) => {
    // the initiate's record and resolving note now join the order's last commit (with the job's end)
    const h = await startFlowHarness();
    t.teardown(h.close);
    const o = fiveLineOrder(h);
    const disk = new MemoryJournal();
    h.crashAfter('POST', /\/submit$/);
    const lost = new LosingJournal(disk, new Set(['initiate', 'fill', 'submit']));
    t.match((await failure(h.orders.submit(o, lost))).message, 'crash');
    t.same([...disk.steps.keys()], ['find-period'], 'only the period reached the disk');
    t.equal(submitted(h).length, 1, 'OpenLMIS submitted it');

    const from = h.calls.length;
    const result = await h.orders.submit(o, disk);
    t.equal(callsTo(h, from, 'POST', /\/initiate$/), 0, 'no second initiate: the search finds it by our order number');
    t.equal(callsTo(h, from, 'PUT', /^\/api\/requisitions\/[^/]+$/), 0, 'no second fill');
    t.equal(callsTo(h, from, 'POST', /\/submit$/), 0, 'no second submit');
    t.equal(requisitions(h).length, 1, 'still one requisition');
    t.equal(result.ids.requisition, submitted(h)[0].id, 'the submitted one is the answer');
  },
);

t.test('on success every step of the order is recorded', async (t) => {
  const h = await startFlowHarness();
  t.teardown(h.close);
  const journal = new MemoryJournal();
  await h.orders.submit(fiveLineOrder(h), journal);
  // the deferred records are asked for in the submit's turn: give the journal that turn
  await new Promise((r) => setImmediate(r));
  t.same([...journal.steps.keys()].sort(), ['fill', 'find-period', 'initiate', 'submit']);
});
