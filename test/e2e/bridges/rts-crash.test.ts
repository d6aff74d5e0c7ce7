/**
 * The RTS → mSupply bridge survives what a scheduled job meets (issue 15 "Must show"): the process
 * running it is SIGKILLed mid-run, while Open mSupply holds the answer to a line it has already
 * written, and the next run on the same store finishes the job; two instances sharing PostgreSQL
 * run it at the same time. Each way, ten requisitions give exactly ten response requisitions with
 * their twenty lines, each written once and each in its facility's own supplying store (two
 * stores); ten consignments; twenty RTS counts; and the two inbound shipments of the facility that
 * is itself an Open mSupply store confirmed as received, once.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import type { MsupplySandbox } from '../../../sandbox/msupply/index.js';
import { RTS_REQUISITIONS_CURSOR } from '../../../src/bridges/rts-to-msupply.js';
import { openStore } from '../../../src/store/index.js';
import { killHard, until } from '../../support/net.js';
import { engineCases } from '../../support/outbox-engines.js';
import {
  HOSPITAL_STORE,
  SUPPLIER_OF,
  completeConsignment,
  hospitalInbounds,
  consignments,
  rtsEvents,
  rtsStock,
  drain,
  instanceOn,
  raiseRequisitions,
  responses,
  shipAll,
  startRtsSandboxes,
  type Requisition,
  type RtsSandboxes,
} from './rts-rig.js';

const pgCase = engineCases().find((e) => e.name === 'postgres')!;
const writes = (ms: MsupplySandbox, mutation: string) => ms.state.applied.filter((a) => a.mutation === mutation).length;

/** Exactly one response requisition per requisition, with its lines once, each written once. */
function exactlyOnce(t: Test, ms: MsupplySandbox, raised: Requisition[]) {
  const made = responses(ms);
  t.equal(made.length, raised.length, `exactly ${raised.length} response requisitions`);
  t.same(made.map((r) => r.theirReference).sort(), raised.map((r) => r.event).sort(), 'one per DHIS2 event');
  t.ok(
    made.every((r) => r.lines.length === 2 && r.lines.every((l) => l.requestedQuantity > 0)),
    'each with its two lines, quantities set',
  );
  t.same(
    made.filter((r) => r.storeId !== SUPPLIER_OF[ms.state.names.get(r.otherPartyId)!.code]).map((r) => r.id),
    [],
    "each in its facility's own supplying store",
  );
  t.equal(new Set(made.map((r) => r.storeId)).size, 2, 'two supplying stores');
  t.equal(writes(ms, 'insertResponseRequisition'), raised.length, 'each inserted once');
  t.equal(writes(ms, 'insertResponseRequisitionLine'), raised.length * 2, 'each line inserted once');
}

/** One consignment per shipment, at its facility, two events each: none missing, no twin. */
function consignedOnce(t: Test, sb: RtsSandboxes, shipments: string[]) {
  const made = consignments(sb.dhis2);
  t.same([...made.keys()].sort(), [...shipments].sort(), `exactly ${shipments.length} consignments, one per shipment`);
  t.equal(
    [...made.values()].reduce((n, c) => n + c.events, 0),
    shipments.length * 2,
    'two events each, no twin',
  );
}

/** Every consignment completed at its facility, as received; then the RTS stock is what arrived, counted once. */
async function completeAll(sb: RtsSandboxes, shipments: string[]) {
  for (const id of shipments) await completeConsignment(sb.dhis2, id);
}

function writtenBackOnce(t: Test, sb: RtsSandboxes, raised: Requisition[], countsBefore: number) {
  const lines = raised.flatMap((r) =>
    Object.entries(r.lines).map(([code, units]) => ({ facility: r.facility, code, units })),
  );
  t.equal(
    rtsEvents(sb.dhis2).length - countsBefore,
    lines.length,
    `exactly ${lines.length} RTS counts, one per item received`,
  );
  // two requisitions per facility may name the same item: the stock is the sum of both receipts
  const expected = new Map<string, number>();
  for (const l of lines)
    expected.set(`${l.facility}|${l.code}`, (expected.get(`${l.facility}|${l.code}`) ?? 0) + l.units);
  const wrong = [...expected].filter(
    ([k, units]) => rtsStock(sb.dhis2, ...(k.split('|') as [string, string])) !== units,
  );
  t.same(wrong, [], 'the RTS stock of each item is what arrived');
  inboundsReceivedOnce(t, sb);
}

/** The hospital store's two inbound shipments received with what was shipped, its stock taken in once. */
function inboundsReceivedOnce(t: Test, sb: RtsSandboxes) {
  const inbounds = hospitalInbounds(sb.ms);
  t.equal(inbounds.length, 2, 'two inbound shipments at the hospital store');
  t.ok(
    inbounds.every((i) => i.status === 'RECEIVED' || i.status === 'VERIFIED'),
    'both received in Open mSupply',
  );
  t.ok(
    inbounds.every((i) => i.lines.every((l) => l.numberOfPacks === l.shippedNumberOfPacks)),
    'with the packs that arrived',
  );
  const stock = [...sb.ms.state.stockLines.values()].filter((s) => s.storeId === HOSPITAL_STORE);
  t.equal(stock.length, inbounds.flatMap((i) => i.lines).length, 'each line taken into stock once');
}

function runChild(sb: RtsSandboxes, databaseUrl: string) {
  return spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'rts-run-child.ts')], {
    env: { ...process.env, RTS_SETTINGS: JSON.stringify(sb.settings), RTS_DATABASE_URL: databaseUrl },
    stdio: 'ignore',
  });
}

t.test('SIGKILLed mid-run, with an answer lost in mSupply: the next run finishes, ten of ten', async (t) => {
  const sb = await startRtsSandboxes();
  const dir = mkdtempSync(path.join(tmpdir(), 'rts-crash-'));
  const databaseUrl = `sqlite:${path.join(dir, 'mediator.db')}`;
  const raised = await raiseRequisitions(sb.dhis2, 10);
  // the 13th line (the 7th requisition's first) is written, and its answer never comes
  sb.ms.faults.add({ operation: 'insertResponseRequisitionLine', action: { type: 'delay', ms: 0 }, times: 12 });
  sb.ms.faults.add({ operation: 'insertResponseRequisitionLine', action: { type: 'afterApply', answer: 'hang' } });
  let child = runChild(sb, databaseUrl);
  t.teardown(async () => {
    await killHard(child);
    await sb.close();
    rmSync(dir, { recursive: true, force: true });
  });
  await until('the 13th line written', async () => writes(sb.ms, 'insertResponseRequisitionLine') === 13 || undefined);
  await killHard(child);
  sb.ms.faults.clear();
  t.equal(responses(sb.ms).length, 7, 'seven requisitions begun when the process died');
  t.equal(responses(sb.ms).filter((r) => r.lines.length === 2).length, 6, 'six of them whole');

  const store = await openStore({ databaseUrl });
  const a = instanceOn(store, sb.settings);
  t.teardown(async () => {
    await a.close();
    await store.close();
  });
  t.equal(
    await store.getCursor(RTS_REQUISITIONS_CURSOR),
    undefined,
    'the killed run stored no mark: its page was not done',
  );
  const rerun = await a.job.run();
  t.match(rerun, { counts: { read: 10, created: 3, already: 7 } }, 'three new writes; seven keys known');
  await drain(a.outbox, store);
  exactlyOnce(t, sb.ms, raised);
  const counts = await store.countJobsByStatus();
  t.equal(counts.done, 10, 'ten outbox jobs, all done');

  const after = await a.job.run();
  await drain(a.outbox, store);
  t.match(after, { counts: { created: 0, already: 10 } }, 'a further run writes nothing');
  exactlyOnce(t, sb.ms, raised);

  // shipped; the next run is killed while DHIS2 holds the answer to the fifth consignment it stored
  const shipments = shipAll(sb.ms);
  sb.dhis2.faults.add({ method: 'POST', path: '/api/tracker', action: { type: 'delay', ms: 0 }, times: 4 });
  sb.dhis2.faults.add({
    method: 'POST',
    path: '/api/tracker',
    action: { type: 'afterApply', answer: { type: 'hang' } },
  });
  child = runChild(sb, databaseUrl);
  await until('the fifth consignment stored', async () => consignments(sb.dhis2).size === 5 || undefined);
  await killHard(child);
  sb.dhis2.faults.clear();
  const resumed = await a.job.run();
  t.match(resumed, { counts: { 'consignments.shipped': 10, 'consignments.consigned': 5, 'consignments.already': 5 } });
  await drain(a.outbox, store);
  consignedOnce(t, sb, shipments);
  t.equal((await store.countJobsByStatus()).done, 20, 'twenty outbox jobs, all done');

  // received at the facilities; the next run is killed while DHIS2 holds the answer to the third write-back
  const countsBefore = rtsEvents(sb.dhis2).length;
  await completeAll(sb, shipments);
  sb.dhis2.faults.add({ method: 'POST', path: '/api/tracker', action: { type: 'delay', ms: 0 }, times: 2 });
  sb.dhis2.faults.add({
    method: 'POST',
    path: '/api/tracker',
    action: { type: 'afterApply', answer: { type: 'hang' } },
  });
  child = runChild(sb, databaseUrl);
  await until('the third write-back stored', async () => rtsEvents(sb.dhis2).length - countsBefore === 6 || undefined);
  await killHard(child);
  sb.dhis2.faults.clear();
  const written = await a.job.run();
  t.match(written, { counts: { 'receipts.received': 10, 'receipts.written': 7, 'receipts.already': 3 } });
  const inbound = (written as { counts: Record<string, number> }).counts;
  t.equal(
    inbound['inbounds.confirmed'] + inbound['inbounds.queued'] + inbound['inbounds.already'],
    2,
    'two inbound confirmations between the killed run and this one',
  );
  await drain(a.outbox, store);
  writtenBackOnce(t, sb, raised, countsBefore);
  t.equal((await store.countJobsByStatus()).done, 32, 'thirty-two outbox jobs (two inbound confirmations), all done');
});

t.test('two instances on PostgreSQL run the bridge at the same time: ten of ten', { skip: pgCase.skip }, async (t) => {
  const sb = await startRtsSandboxes();
  const db = await pgCase.freshDatabase();
  const storeA = await openStore({ databaseUrl: db.databaseUrl });
  const storeB = await openStore({ databaseUrl: db.databaseUrl });
  const a = instanceOn(storeA, sb.settings, 'A');
  const b = instanceOn(storeB, sb.settings, 'B');
  t.teardown(async () => {
    await a.close();
    await b.close();
    await storeA.close();
    await storeB.close();
    await db.drop();
    await sb.close();
  });
  const raised = await raiseRequisitions(sb.dhis2, 10);
  // slow enough that the two runs overlap write by write (no advisory lock here: the job is called directly)
  sb.ms.faults.add({ operation: 'insertResponseRequisition', action: { type: 'delay', ms: 30 } });
  const [ra, rb] = await Promise.all([a.job.run(), b.job.run()]);
  await Promise.all([drain(a.outbox, storeA), drain(b.outbox, storeB)]);
  const total = (k: string) =>
    ((ra as { counts: Record<string, number> }).counts[k] ?? 0) +
    ((rb as { counts: Record<string, number> }).counts[k] ?? 0);
  t.equal(total('read'), 20, 'both read all ten');
  t.equal(total('created') + total('queued'), 10, 'ten writes between them');
  t.equal(total('already'), 10, 'the other ten found their key taken');
  exactlyOnce(t, sb.ms, raised);
  t.equal((await storeA.countJobsByStatus()).done, 10, 'ten jobs in the shared outbox, done');

  // shipped: both instances consign at the same time
  const shipments = shipAll(sb.ms);
  sb.dhis2.faults.add({ method: 'POST', path: '/api/tracker', action: { type: 'delay', ms: 30 } });
  await Promise.all([a.job.run(), b.job.run()]);
  await Promise.all([drain(a.outbox, storeA), drain(b.outbox, storeB)]);
  consignedOnce(t, sb, shipments);
  t.equal((await storeB.countJobsByStatus()).done, 20, 'twenty jobs in the shared outbox, done');

  // received: both instances write the stock back at the same time
  const countsBefore = rtsEvents(sb.dhis2).length;
  await completeAll(sb, shipments);
  await Promise.all([a.job.run(), b.job.run()]);
  await Promise.all([drain(a.outbox, storeA), drain(b.outbox, storeB)]);
  writtenBackOnce(t, sb, raised, countsBefore);
  t.equal((await storeA.countJobsByStatus()).done, 32, 'thirty-two jobs in the shared outbox, done');
});
