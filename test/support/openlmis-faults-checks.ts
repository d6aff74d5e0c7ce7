/**
 * The invariants of the OpenLMIS fault-and-crash test, read from the sandbox's own state and the
 * outbox: every accepted write applied exactly once, none lost, none duplicated, no clerk draft
 * touched, no orphan requisition, every refused write absent. Each returns the violations it
 * found, one readable line each (an empty list is the pass).
 */
import type { OpenLmisSandbox } from '../../sandbox/openlmis/index.js';
import type { OutboxJob } from '../../src/store/types.js';
import { idempotencyUuid } from '../../src/systems/openlmis/requisition/requisition-initiate.js';
import type { Answer } from './openlmis-faults-client.js';
import { requestedOf, type ClerkDraft } from './openlmis-faults-setup.js';
import { gtinOf } from './openlmis-e2e.js';
import type { Write } from './openlmis-faults-workload.js';

type Store = OpenLmisSandbox['state']['store'];
type Requisition = ReturnType<OpenLmisSandbox['state']['requisitionsByStatus']>[number];

export interface Run {
  writes: Write[];
  answers: Map<Write, Answer>;
  /** outbox jobs by business key (order number, report or delivery identifier) */
  jobs: Map<string, OutboxJob[]>;
  store: Store;
  /** requisitions that existed before the run (the depot's shipped ones) */
  before: Set<string>;
  clerkDrafts: ClerkDraft[];
  clerkUserId: string;
  orderableCode: (id: string) => string;
}

/** The business key an outbox job was stored under, read from its payload. */
export function businessKeyOf(job: OutboxJob): string | undefined {
  const p = job.payload as any;
  return p?.orderNumber?.value ?? p?.identifier?.value ?? undefined;
}

const orderNumberOf = (r: Requisition): string | undefined => (r.extraData as any)?.fhirOrderNumber?.value;
const fmt = (o: unknown) => JSON.stringify(o);

function answerOf(run: Run, w: Write): string {
  const a = run.answers.get(w);
  if (!a) return 'never sent';
  return `answer ${a.status ?? 'none'}${a.entries ? ` [${a.entries.join(',')}]` : ''} ${a.outcome}${a.diagnostics ? ` (${a.diagnostics.slice(0, 200)})` : ''}`;
}

function jobStatuses(run: Run, key: string): string[] {
  return (run.jobs.get(key) ?? []).map((j) => j.status);
}

/**
 * The client gave up on it (time budget) before the mediator ever took it: no 2xx/202 seen and
 * no job stored. Not a broken promise, counted apart (see unfinishedWrites).
 */
function neverTaken(run: Run, w: Write, keys: string[]): boolean {
  const a = run.answers.get(w);
  return (!a || a.outcome === 'open') && !a?.queued202 && keys.every((k) => !run.jobs.has(k));
}

export function unfinishedWrites(run: Run): string[] {
  return run.writes
    .filter((w) => run.answers.get(w)?.outcome !== 'done' && run.answers.get(w)?.outcome !== 'refused')
    .map((w) => `${w.key}: ${answerOf(run, w)}`);
}

/** A write the mediator took on: a done job (the client may have given up before hearing). */
function accepted(run: Run, key: string): boolean {
  return jobStatuses(run, key).includes('done');
}

export function orderViolations(run: Run): string[] {
  const out: string[] = [];
  const byNumber = new Map<string, Requisition[]>();
  for (const r of run.store.requisitions.values()) {
    const n = orderNumberOf(r);
    if (n) byNumber.set(n, [...(byNumber.get(n) ?? []), r]);
  }
  for (const w of run.writes.filter((x) => x.kind === 'order')) {
    for (const o of w.orders!) {
      const carrying = byNumber.get(o.number) ?? [];
      const jobs = jobStatuses(run, o.number);
      if (!w.valid) {
        if (carrying.length)
          out.push(
            `refused order ${o.number} (${w.why}) reached OpenLMIS: ${carrying.map((r) => `${r.id} ${r.status} ${fmt(requestedOf(r))}`).join('; ')}; ${answerOf(run, w)}, jobs ${fmt(jobs)}`,
          );
        if (jobs.includes('done')) out.push(`refused order ${o.number} (${w.why}) has a done job; ${answerOf(run, w)}`);
        continue;
      }
      const answer = run.answers.get(w);
      if (carrying.length === 0 && neverTaken(run, w, [o.number])) continue;
      if (
        o.mayConflict &&
        carrying.length === 0 &&
        !jobs.includes('done') &&
        (answer?.outcome === 'refused' || jobs.includes('rejected'))
      )
        continue;
      if (!accepted(run, o.number)) {
        out.push(
          `valid order ${o.number} not applied: jobs ${fmt(jobs)}, ${answerOf(run, w)}, requisitions carrying it: ${carrying.length}`,
        );
        continue;
      }
      if (carrying.length === 0) {
        out.push(`LOST: order ${o.number} is done in the outbox but no requisition carries it; ${answerOf(run, w)}`);
        continue;
      }
      if (carrying.length > 1)
        out.push(
          `DUPLICATED: order ${o.number} carried by ${carrying.length} requisitions: ${carrying.map((r) => `${r.id} ${r.status}`).join(', ')}`,
        );
      const r = carrying[0];
      const want = Object.fromEntries(o.lines.map((l) => [l.productCode, l.qty]));
      const got = Object.fromEntries(Object.entries(requestedOf(r)).map(([id, q]) => [run.orderableCode(id), q]));
      if (fmt(Object.entries(got).sort()) !== fmt(Object.entries(want).sort()))
        out.push(`WRONG LINES: order ${o.number} requisition ${r.id} holds ${fmt(got)}, ordered ${fmt(want)}`);
      if (
        r.facilityId !== o.facilityId ||
        r.emergency !== o.emergency ||
        run.store.program(r.programId)?.code !== o.program
      ) {
        out.push(
          `WRONG REQUISITION: order ${o.number} (${o.facilityCode} ${o.program} emergency=${o.emergency}) is on requisition ${r.id} (facility ${r.facilityId}, emergency=${r.emergency})`,
        );
      }
      const submits = r.statusChanges.filter((c) => c.status === 'SUBMITTED').length;
      if (submits !== 1 || !['SUBMITTED', 'AUTHORIZED'].includes(r.status))
        out.push(
          `NOT SUBMITTED ONCE: order ${o.number} requisition ${r.id} is ${r.status}, submitted ${submits} times`,
        );
      if (run.clerkDrafts.some((d) => d.id === r.id))
        out.push(`CLERK DRAFT TAKEN: order ${o.number} was put on the clerk's draft ${r.id}`);
    }
  }
  return out;
}

/** Regular orders refused as conflicting (allowed, see OrderSpec.mayConflict), with the reason. */
export function regularRefusals(run: Run): { number: string; facility: string; why: string }[] {
  return run.writes
    .filter((w) => w.kind === 'order' && w.valid && w.orders![0].mayConflict && !accepted(run, w.key))
    .map((w) => ({
      number: w.key,
      facility: `${w.orders![0].facilityCode} ${w.orders![0].program}`,
      why: `${run.answers.get(w)?.status} ${run.answers.get(w)?.diagnostics ?? ''}`,
    }));
}

/**
 * Each facility/program our regular orders go to gets at least one of them, unless a clerk's regular
 * draft holds its period. Only orders the mediator took count: when the client's time ran out first
 * (a liveness failure, reported by its own check), an order never sent cannot be starved.
 */
export function regularStarvation(run: Run): string[] {
  const combos = new Map<string, Write[]>();
  const regular = run.writes.filter((x) => x.kind === 'order' && x.valid && x.orders![0].mayConflict);
  for (const w of regular.filter((x) => !neverTaken(run, x, [x.key]))) {
    const k = `${w.orders![0].facilityCode} ${w.orders![0].program}`;
    combos.set(k, [...(combos.get(k) ?? []), w]);
  }
  const blocked = new Set(run.clerkDrafts.filter((d) => !d.emergency).map((d) => `${d.facilityCode} ${d.program}`));
  return [...combos]
    .filter(([k, ws]) => !blocked.has(k) && !ws.some((w) => accepted(run, w.key)))
    .map(([k, ws]) => `no regular order of ${k} applied (${ws.length} sent)`);
}

/**
 * Which write initiated a requisition: the Idempotency-Key OpenLMIS stored for it is the
 * connector's key for one job (its id, or the derived retry key), so the orphan names its order.
 */
function creatorOf(run: Run, requisitionId: string): string {
  const keys = [...run.store.idempotencyKeys].filter(([, id]) => id === requisitionId).map(([k]) => k);
  if (!keys.length) return 'initiated without an Idempotency-Key';
  for (const js of run.jobs.values()) {
    for (const j of js) {
      const first = idempotencyUuid(j.id);
      const which = keys.includes(first)
        ? 'its initiate'
        : keys.includes(idempotencyUuid(`${first}:again`))
          ? 'its second initiate'
          : undefined;
      if (!which) continue;
      const ended = (j.result?.ids as any)?.requisition as string | undefined;
      const endedBy = ended && ended !== requisitionId ? `, which ${keyKind(run, ended, first)}` : '';
      return `made by ${which} for ${businessKeyOf(j)} (job ${j.status}, ${j.attempts} attempts, ended on requisition ${ended ?? 'none'}${endedBy})`;
    }
  }
  return `Idempotency-Key ${keys.join(', ')} of no job`;
}

/** How requisition `id` was made, relative to a job's first Idempotency-Key. */
function keyKind(run: Run, id: string, first: string): string {
  const keys = [...run.store.idempotencyKeys].filter(([, v]) => v === id).map(([k]) => k);
  if (keys.includes(first)) return 'its first key made';
  if (keys.includes(idempotencyUuid(`${first}:again`))) return 'its second (derived) key made';
  if (!keys.length) return 'was made without a key';
  const owners = [...run.jobs.values()]
    .flat()
    .filter(
      (j) => keys.includes(idempotencyUuid(j.id)) || keys.includes(idempotencyUuid(`${idempotencyUuid(j.id)}:again`)),
    );
  return `the initiate of ${owners.map((j) => `${businessKeyOf(j)} (job ${j.status}, ended on ${(j.result?.ids as any)?.requisition ?? 'none'})`).join(', ') || `no job (key ${keys.join(', ')})`} made`;
}

export function orphanViolations(run: Run): string[] {
  const validNumbers = new Set(
    run.writes.filter((w) => w.kind === 'order' && w.valid).flatMap((w) => w.orders!.map((o) => o.number)),
  );
  const clerk = new Set(run.clerkDrafts.map((d) => d.id));
  const out: string[] = [];
  for (const r of run.store.requisitions.values()) {
    if (run.before.has(r.id) || clerk.has(r.id)) continue;
    const author = r.statusChanges[0]?.authorId;
    if (author === run.clerkUserId) {
      out.push(`clerk requisition ${r.id} the clerk never knew of (${r.status})`);
      continue;
    }
    const n = orderNumberOf(r);
    const facility = run.store.facility(r.facilityId)?.code;
    const by = run.store.user(author ?? '')?.username ?? author;
    if (!n)
      out.push(
        `ORPHAN: requisition ${r.id} (${facility} ${run.store.program(r.programId)?.code} emergency=${r.emergency}, by ${by}, ${r.createdDate}) ${r.status} without an order number, lines ${fmt(requestedOf(r))}; ${creatorOf(run, r.id)}`,
      );
    else if (!validNumbers.has(n) || !accepted(run, n))
      out.push(`ORPHAN: requisition ${r.id} ${r.status} carries ${n}, not an accepted order`);
  }
  return out;
}

export function clerkViolations(run: Run): string[] {
  const out: string[] = [];
  for (const d of run.clerkDrafts) {
    const r = run.store.requisitions.get(d.id);
    if (!r) {
      out.push(`clerk draft ${d.id} (${d.facilityCode}) is gone`);
      continue;
    }
    const touched: string[] = [];
    if (r.status !== 'INITIATED') touched.push(`status ${r.status}`);
    if (r.statusChanges.length !== 1) touched.push(`status changes ${r.statusChanges.map((c) => c.status).join('>')}`);
    if (orderNumberOf(r)) touched.push(`carries order ${orderNumberOf(r)}`);
    if (fmt(Object.entries(requestedOf(r)).sort()) !== fmt(Object.entries(d.requested).sort()))
      touched.push(`lines ${fmt(requestedOf(r))} instead of ${fmt(d.requested)}`);
    if (touched.length)
      out.push(
        `CLERK DRAFT TOUCHED: ${d.id} (${d.facilityCode} ${d.program} ${d.emergency ? 'emergency' : 'regular'}): ${touched.join(', ')}`,
      );
  }
  return out;
}

export function stockViolations(run: Run): string[] {
  const out: string[] = [];
  const byDocument = new Map<string, number>();
  for (const e of run.store.stockEvents.values())
    if (e.documentNumber) byDocument.set(e.documentNumber, (byDocument.get(e.documentNumber) ?? 0) + 1);
  const keys = new Set<string>();
  for (const w of run.writes.filter((x) => x.kind === 'stock')) {
    keys.add(w.key);
    const n = byDocument.get(w.key) ?? 0;
    if (!w.valid) {
      if (n) out.push(`refused stock report ${w.key} (${w.why}) reached OpenLMIS ${n} time(s); ${answerOf(run, w)}`);
      continue;
    }
    if (n === 0 && neverTaken(run, w, [w.key])) continue;
    if (!accepted(run, w.key))
      out.push(
        `valid stock report ${w.key} not applied: jobs ${fmt(jobStatuses(run, w.key))}, ${answerOf(run, w)}, events ${n}`,
      );
    else if (n !== 1) out.push(`${n === 0 ? 'LOST' : 'DUPLICATED'}: stock report ${w.key} is ${n} stock events`);
  }
  for (const [doc, n] of byDocument) {
    if (!keys.has(doc) && !doc.startsWith('OPEN') && ![...run.store.orders.values()].some((o) => o.orderCode === doc))
      out.push(`stock event ${doc} (${n}) from no write of the run`);
  }
  return out;
}

export function deliveryViolations(run: Run): string[] {
  const out: string[] = [];
  for (const w of run.writes.filter((x) => x.kind === 'delivery')) {
    const d = w.delivery!;
    const pod = run.store.pods.get(d.podId);
    if (!pod) {
      out.push(`delivery ${d.deliveryId}: POD ${d.podId} is gone`);
      continue;
    }
    const order = [...run.store.orders.values()].find((o) => o.id === run.store.shipments.get(pod.shipmentId)?.orderId);
    const receipts = [...run.store.stockEvents.values()].filter((e) => e.documentNumber === order?.orderCode).length;
    if (!w.valid) {
      if (pod.status !== 'INITIATED' || receipts)
        out.push(
          `refused delivery ${d.deliveryId} (${w.why}) changed OpenLMIS: POD ${pod.status}, ${receipts} receipts; ${answerOf(run, w)}`,
        );
      continue;
    }
    if (pod.status !== 'CONFIRMED' && neverTaken(run, w, [w.key])) continue;
    if (pod.status !== 'CONFIRMED') {
      out.push(`valid delivery ${d.deliveryId} (POD ${d.podId}) not confirmed: POD ${pod.status}, ${answerOf(run, w)}`);
      continue;
    }
    const got = Object.fromEntries(
      pod.lineItems.map((l) => [gtinOf(run.orderableCode(l.orderableId)), [l.quantityAccepted, l.quantityRejected]]),
    );
    if (fmt(Object.entries(got).sort()) !== fmt(Object.entries(d.expected).sort()))
      out.push(`WRONG DELIVERY: POD ${d.podId} holds ${fmt(got)}, confirmed ${fmt(d.expected)}`);
    if (receipts !== 1)
      out.push(`delivery ${d.deliveryId}: ${receipts} receipt stock events for order ${order?.orderCode}`);
  }
  return out;
}

/** Everything the outbox still holds undelivered after the drain. */
export function outboxViolations(jobs: OutboxJob[]): string[] {
  return jobs
    .filter((j) => !['done', 'rejected'].includes(j.status))
    .map(
      (j) =>
        `job ${j.id} (${j.flow} ${businessKeyOf(j)}) still ${j.status} after ${j.attempts} attempts: ${j.lastError ?? ''}`,
    );
}
