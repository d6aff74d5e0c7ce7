/**
 * Issue 9 items 2 and 4 through the real connector and the OpenLMIS sandbox: a retried order
 * adopts only a requisition proven ours (never a clerk's draft, never another order's), concurrent
 * orders for one facility/program/period each end in their own requisition with their own lines,
 * and a permanent failure after the initiate leaves no requisition behind.
 */
import t, { type Test } from 'tap';
import { isTransient, type Order } from '../../../../src/domain/index.js';
import type { OpenLmisDeps } from '../../../../src/systems/openlmis/types.js';
import { createLmisClient } from '../../../../src/systems/openlmis/client.js';
import { createOrderCapability } from '../../../../src/systems/openlmis/requisition/orders.js';
import {
  memoryLedger,
  storeLedger,
  type WriteLedger,
} from '../../../../src/systems/openlmis/requisition/write-ledger.js';
import type { Store } from '../../../../src/store/types.js';
import { openStore } from '../../../../src/store/index.js';
import { failure } from './client-harness.js';
import { MemoryJournal, line, order, startFlowHarness, type FlowHarness } from './orders-harness.js';
import { engineCases, freshStore } from '../../../support/outbox-engines.js';

/** Somebody working in OpenLMIS directly: their own login, their own drafts. */
async function clerkDraft(
  h: FlowHarness,
  username: string,
  facilityCode: string,
  programCode: string,
  emergency: boolean,
) {
  const clerk = createLmisClient(() => ({ ...h.settings, username, password: 'password' }), { retryDelayMs: 5 });
  try {
    const facilityId = h.seed.facilities[facilityCode];
    const programId = h.seed.programs[programCode];
    const periods = await clerk.call<{ id: string }[]>({
      method: 'GET',
      path: '/api/requisitions/periodsForInitiate',
      query: { programId, facilityId, emergency },
    });
    const r = await clerk.call<{ id: string }>({
      method: 'POST',
      path: '/api/requisitions/initiate',
      query: { program: programId, facility: facilityId, suggestedPeriod: periods[0].id, emergency },
      retry: false,
    });
    return structuredClone(h.sb.state.store.requisitions.get(r.id)!);
  } finally {
    await clerk.close();
  }
}

/** A draft exactly as the clerk left it (status, lines, extraData, modification date). */
function untouched(
  t: Test,
  h: FlowHarness,
  before: ReturnType<FlowHarness['sb']['state']['store']['requisitions']['get']>,
  what: string,
) {
  const now = h.sb.state.store.requisitions.get(before!.id);
  t.ok(now, `${what} still exists`);
  t.same(now, before, `${what} is untouched`);
}

/** Like the outbox: the same write (same journal) again after each transient failure. */
async function deliver(
  submit: (o: Order, j: MemoryJournal) => Promise<{ ids: Record<string, string> }>,
  o: Order,
  journal = new MemoryJournal(),
  max = 30,
) {
  for (let attempt = 1; ; attempt++) {
    try {
      return { result: await submit(o, journal), attempts: attempt };
    } catch (err) {
      if (!isTransient(err) && (err as Error).message !== 'crash') throw err;
      if (attempt >= max) throw err;
    }
  }
}

function requestedByCode(h: FlowHarness, id: string): Record<string, number> {
  const r = h.sb.state.store.requisitions.get(id)!;
  const out: Record<string, number> = {};
  for (const l of r.lineItems)
    if (l.requestedQuantity !== null && !l.skipped)
      out[h.sb.state.store.orderable(l.orderableId)!.productCode] = l.requestedQuantity;
  return out;
}

const fpOrder = (h: FlowHarness, priority: 'routine' | 'urgent', units = 120) =>
  order(h, 'LK-HC-101', [line(h, 'FP-CNDM', units)], { program: 'FP01', priority });

t.test("a clerk's emergency draft is never taken when our initiate fails transiently, first or retried", async (t) => {
  for (const fault of ['503 before applying', 'applied, answer lost'] as const) {
    await t.test(fault, async (t) => {
      const h = await startFlowHarness();
      t.teardown(h.close);
      const clerks = await clerkDraft(h, 'hcclerk', 'LK-HC-101', 'FP01', true);
      const action =
        fault === '503 before applying'
          ? { type: 'status' as const, status: 503 }
          : { type: 'afterApply' as const, answer: { type: 'reset' as const } };
      h.sb.faults.add({ method: 'POST', path: '/api/requisitions/initiate', times: 2, action });
      const o = fpOrder(h, 'urgent');
      const { result, attempts } = await deliver((x, j) => h.orders.submit(x, j), o);
      t.ok(attempts >= 1);
      t.not(result.ids.requisition, clerks.id, 'our order went into a requisition of its own');
      untouched(t, h, clerks, "the clerk's emergency draft");
      const ours = h.sb.state.store.requisitions.get(result.ids.requisition)!;
      t.equal(ours.status, 'SUBMITTED');
      t.same(requestedByCode(h, ours.id), { 'FP-CNDM': 120 });
      const emergencies = [...h.sb.state.store.requisitions.values()].filter((r) => r.emergency);
      t.same(
        emergencies.map((r) => r.status).sort(),
        ['INITIATED', 'SUBMITTED'],
        "no orphan: only the clerk's draft and ours",
      );
    });
  }
});

t.test("a clerk's regular draft is never filled with our order: 409, nothing posted", async (t) => {
  const h = await startFlowHarness();
  t.teardown(h.close);
  const clerks = await clerkDraft(h, 'hcclerk', 'LK-HC-101', 'FP01', false);
  h.sb.faults.add({
    method: 'POST',
    path: '/api/requisitions/initiate',
    times: 1,
    action: { type: 'status', status: 503 },
  });
  const before = h.calls.length;
  const err = await failure(deliver((x, j) => h.orders.submit(x, j), fpOrder(h, 'routine')));
  t.equal(err.status, 409, err.message);
  t.match(err.message, /started in OpenLMIS by another user/);
  t.notOk(
    h.calls.slice(before).some((c) => c.method === 'PUT' || c.path.endsWith('/submit')),
    'no PUT, no submit',
  );
  untouched(t, h, clerks, "the clerk's regular draft");
  t.equal(h.sb.state.store.requisitions.size, 1, 'no requisition of ours either');
});

t.test('a draft of ours made for another order is not adopted by a retried order', async (t) => {
  const h = await startFlowHarness();
  t.teardown(h.close);
  // order A: initiate applied, then the process "crashed" before the journal heard of it
  const a = fpOrder(h, 'urgent', 144);
  const journalA = new MemoryJournal();
  h.crashAfter('POST', /\/initiate$/);
  await failure(h.orders.submit(a, journalA));
  const orphan = [...h.sb.state.store.requisitions.values()][0];
  t.equal(orphan.status, 'INITIATED');
  // order B fails transiently on its first initiate, then retries while A's draft is still unmarked
  const b = fpOrder(h, 'urgent', 288);
  h.sb.faults.add({
    method: 'POST',
    path: '/api/requisitions/initiate',
    times: 1,
    action: { type: 'status', status: 503 },
  });
  const { result: rb } = await deliver((x, j) => h.orders.submit(x, j), b);
  t.not(rb.ids.requisition, orphan.id, "B did not take A's draft");
  t.same(requestedByCode(h, rb.ids.requisition), { 'FP-CNDM': 288 });
  // A resumes and adopts its own draft
  const { result: ra } = await deliver((x, j) => h.orders.submit(x, j), a, journalA);
  t.equal(ra.ids.requisition, orphan.id, 'A resumed into the draft it made');
  t.same(requestedByCode(h, ra.ids.requisition), { 'FP-CNDM': 144 });
  t.same(
    [...h.sb.state.store.requisitions.values()].map((r) => r.status),
    ['SUBMITTED', 'SUBMITTED'],
    'no orphan left',
  );
});

/** Two connector "instances" over one sandbox, each with its own ledger view of one shared store. */
function instances(h: FlowHarness, ledgers: WriteLedger[]) {
  return ledgers.map((ledger) => createOrderCapability({ ...h.deps, ledger } satisfies OpenLmisDeps));
}

async function ledgersFor(engine: ReturnType<typeof engineCases>[number] | 'memory', t: Test): Promise<WriteLedger[]> {
  if (engine === 'memory') {
    const one = memoryLedger();
    return [one, one];
  }
  const { store: a, databaseUrl } = await freshStore(engine, t);
  const b: Store = await openStore({ databaseUrl });
  t.teardown(() => b.close());
  return [storeLedger(a), storeLedger(b)];
}

for (const engine of ['memory' as const, ...engineCases()]) {
  const name = engine === 'memory' ? 'one process' : `two instances on ${engine.name}`;
  t.test(
    `concurrent emergency orders for one facility/program/period, lost answers, crashes and a clerk at work (${name})`,
    { skip: engine === 'memory' ? undefined : engine.skip },
    async (t) => {
      const h = await startFlowHarness();
      t.teardown(h.close);
      const [one, two] = instances(h, await ledgersFor(engine, t));
      // half the initiates are applied but their answer is lost; some fills and submits fail before applying
      h.sb.faults.add({
        method: 'POST',
        path: '/api/requisitions/initiate',
        probability: 0.5,
        action: { type: 'afterApply', answer: { type: 'reset' } },
      });
      h.sb.faults.add({
        method: 'PUT',
        path: '/api/requisitions/*',
        probability: 0.25,
        action: { type: 'status', status: 503 },
      });
      h.sb.faults.add({
        method: 'POST',
        path: '/api/requisitions/*/submit',
        probability: 0.25,
        action: { type: 'afterApply', answer: { type: 'status', status: 502 } },
      });
      // and three processes die right after OpenLMIS applied their initiate (the journal never hears of it)
      for (let i = 0; i < 3; i++) h.crashAfter('POST', /\/initiate$/);
      const N = 10;
      const orders = Array.from({ length: N }, (_, i) => fpOrder(h, 'urgent', 12 * (i + 1)));
      // the clerk works at the same time (their lost answers are their problem: they try again)
      const clerking = Promise.all(
        [0, 1].map(async () => {
          for (;;)
            if (
              await clerkDraft(h, 'hcclerk', 'LK-HC-101', 'FP01', true).then(
                () => true,
                () => false,
              )
            )
              return;
        }),
      );
      const done = await Promise.all(orders.map((o, i) => deliver((x, j) => (i % 2 ? one : two).submit(x, j), o)));
      await clerking;
      const clerk = h.seed.users.hcclerk.id;
      const clerks = [...h.sb.state.store.requisitions.values()].filter((r) => r.statusChanges[0]?.authorId === clerk);
      t.ok(clerks.length >= 2, `the clerk made ${clerks.length} drafts`);
      const ids = done.map((d) => d.result.ids.requisition);
      t.equal(new Set(ids).size, N, 'every order has its own requisition');
      done.forEach((d, i) => {
        const r = h.sb.state.store.requisitions.get(d.result.ids.requisition)!;
        t.equal(r.status, 'SUBMITTED', `order ${i} submitted`);
        t.same(requestedByCode(h, r.id), { 'FP-CNDM': 12 * (i + 1) }, `order ${i} holds its own line`);
        t.same(
          (r.extraData as any).fhirOrderNumber,
          { system: orders[i].orderNumber.system, value: orders[i].orderNumber.value },
          `order ${i} carries its number`,
        );
      });
      for (const c of clerks)
        t.same(h.sb.state.store.requisitions.get(c.id)?.extraData, {}, "a clerk's draft carries no order");
      for (const c of clerks)
        t.equal(
          h.sb.state.store.requisitions.get(c.id)?.status,
          'INITIATED',
          "a clerk's draft is still the clerk's draft",
        );
      const left = [...h.sb.state.store.requisitions.values()]
        .filter((r) => r.status === 'INITIATED')
        .map((r) => r.id)
        .sort();
      t.same(left, clerks.map((c) => c.id).sort(), "no orphan INITIATED requisition: only the clerk's drafts");
      t.equal(h.sb.state.store.requisitions.size, N + clerks.length);
      t.comment(
        `${N} orders, ${done.reduce((n, d) => n + d.attempts, 0)} attempts, ${h.sb.faults.list().reduce((n, f) => n + f.hits, 0)} faults fired`,
      );
    },
  );
}

t.test('a permanent failure after the initiate leaves no requisition', async (t) => {
  await t.test('fill PUT answered 413', async (t) => {
    const h = await startFlowHarness();
    t.teardown(h.close);
    h.sb.faults.add({
      method: 'PUT',
      path: '/api/requisitions/*',
      times: 1,
      action: { type: 'status', status: 413, body: '<html>413 Request Entity Too Large</html>' },
    });
    const err = await failure(deliver((x, j) => h.orders.submit(x, j), fpOrder(h, 'urgent')));
    t.equal(err.status, 422, 'a permanent refusal, not a transient 502');
    t.match(err.message, /413.*deleted again: nothing of this order is left in OpenLMIS/);
    t.equal(h.sb.state.store.requisitions.size, 0, 'the initiated requisition was deleted');
    t.ok(
      h.calls.some((c) => c.method === 'DELETE'),
      'by DELETE /api/requisitions/{id}',
    );
  });
  await t.test(
    'submit refused, and a crash right after the undo: the resumed write does not redo anything',
    async (t) => {
      const h = await startFlowHarness();
      t.teardown(h.close);
      h.sb.faults.add({
        method: 'POST',
        path: '/api/requisitions/*/submit',
        times: 1,
        action: {
          type: 'status',
          status: 400,
          body: { messageKey: 'requisition.error.validation', message: 'refused' },
        },
      });
      const journal = new MemoryJournal();
      const o = fpOrder(h, 'urgent');
      h.crashAfter('DELETE', /\/api\/requisitions\//);
      t.match((await failure(h.orders.submit(o, journal))).message, 'crash');
      t.equal(h.sb.state.store.requisitions.size, 0, 'the delete was applied');
      t.ok(
        journal.steps.has('submit') && !journal.steps.has('undo-initiate'),
        'the refusal was journaled, the undo not yet',
      );
      const calls = h.calls.length;
      const err = await failure(h.orders.submit(o, journal));
      t.equal(err.status, 422);
      t.match(err.message, /refused.*deleted again/);
      t.notOk(
        h.calls.slice(calls).some((c) => c.method === 'POST' || c.method === 'PUT'),
        'resumed into the undo: no initiate, fill or submit again',
      );
      t.equal(h.sb.state.store.requisitions.size, 0);
    },
  );
});

t.test('a requisition-less order whose send is refused leaves no draft order', async (t) => {
  const h = await startFlowHarness();
  t.teardown(h.close);
  h.sb.faults.add({
    method: 'PUT',
    path: '/api/orders/*/requisitionLess/send',
    times: 1,
    action: { type: 'status', status: 400, body: { messageKey: 'fulfillment.error.order.send', message: 'refused' } },
  });
  const o = order(h, 'LK-WH-302', [line(h, 'EM-ORS', 6, 'pack')], {
    supplier: { identifier: h.facility('LK-WH-301').identifier },
  });
  const err = await failure(h.orders.submit(o, new MemoryJournal()));
  t.equal(err.status, 422);
  t.match(err.message, /refused.*requisition-less order .* created for it was deleted again/);
  t.equal(h.sb.state.store.orders.size, 0, 'the CREATING draft was deleted (DELETE /api/orders)');
});

t.test('an order number OpenLMIS cannot keep is refused before any call', async (t) => {
  const h = await startFlowHarness();
  t.teardown(h.close);
  const o = fpOrder(h, 'urgent');
  o.orderNumber = { ...o.orderNumber, value: 'X'.repeat(2 * 1024 * 1024) };
  const before = h.calls.length;
  const err = await failure(h.orders.submit(o, new MemoryJournal()));
  t.equal(err.status, 422);
  t.same(err.issues[0].expression, ['Order.orderNumber']);
  t.match(err.issues[0].diagnostics, /2097152 characters long; OpenLMIS keeps at most 255/);
  t.equal(h.calls.length, before, 'no call to OpenLMIS');
  t.equal(h.sb.state.store.requisitions.size, 0);
});
