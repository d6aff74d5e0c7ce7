/**
 * What the PostgreSQL outage tests (pg-connections-cut.test.ts, pg-restart.test.ts) share: the
 * real mediator (startMediator, the OpenLMIS connector and sandbox) on a fresh PostgreSQL
 * database, concurrent clients sending emergency orders (many may go to one facility/program at
 * once), and the checks every outage must pass: each client got an answer it can act on, and each
 * acknowledged order is one requisition in OpenLMIS.
 */
import { execSync } from 'node:child_process';
import path from 'node:path';
import pg from 'pg';
import type { Test } from 'tap';
import { openStore, type Store } from '../../../src/store/index.js';
import { engineCases } from '../../support/outbox-engines.js';
import { orderLine, RIG_AUTH, startRig, transactionOf, type Rig } from '../../support/openlmis-e2e.js';

const postgres = engineCases().find((e) => e.name === 'postgres')!;

/** Why the PostgreSQL outage tests do not run here, if they do not. */
export const PG_SKIP = postgres.skip && 'skip: no TEST_DATABASE_URL (start one with scripts/pg-test-server.sh)';

/** The rig's delivery deadline (OUTBOX_DEADLINE_MS): an answer must come well within it plus a margin. */
export const DEADLINE_MS = 8_000;
/** How long a client waits for any answer: past this, the mediator hung. */
export const ANSWER_WITHIN_MS = DEADLINE_MS + 7_000;

/** Emergency orders: OpenLMIS takes any number per facility/program/period. */
const FACILITIES = ['LK-HC-101', 'LK-HC-102', 'LK-HC-103', 'LK-HC-104', 'LK-DH-201', 'LK-HP-417', 'LK-HP-418'];
const PRODUCTS = ['EM-AMX250', 'EM-PCM500', 'EM-ORS', 'EM-ZNC20'];

/**
 * A PostgreSQL server of this test's own (scripts/pg-test-server.sh, as CI starts the shared one):
 * stopping the shared server would fail every other PostgreSQL test running beside this one.
 */
export function ownPgServer(): { url: string; down: string; up: string; stop: string } {
  const script = path.resolve(import.meta.dirname, '../../../scripts/pg-test-server.sh');
  const out = execSync(script + ' start', {
    env: { ...process.env, PG_TEST_FAST: '1' },
    stdio: ['ignore', 'pipe', 'ignore'],
  }).toString();
  const vars = Object.fromEntries([...out.matchAll(/^export (\w+)='?(.*?)'?$/gm)].map((m) => [m[1], m[2]])) as Record<
    string,
    string
  >;
  return { url: vars.TEST_DATABASE_URL, down: vars.PG_TEST_DOWN, up: vars.PG_TEST_UP, stop: vars.PG_TEST_STOP };
}

export interface OutageRig {
  rig: Rig;
  store: Store;
  databaseUrl: string;
  /** a client connection to the mediator's database (not one of the mediator's) */
  admin: pg.Client;
}

/** A fresh database and a client connection to it (not one of the mediator's). */
/** A fresh database on the shared test server, or `own` (a server of the test's own) as it is. */
export async function pgDatabase(
  t: { teardown(fn: () => unknown): void },
  own?: string,
): Promise<{ databaseUrl: string; admin: pg.Client }> {
  const db = own ? { databaseUrl: own, drop: async () => undefined } : await postgres.freshDatabase();
  t.teardown(db.drop);
  const admin = new pg.Client({ connectionString: db.databaseUrl });
  admin.on('error', () => undefined);
  await admin.connect();
  t.teardown(() => admin.end().catch(() => undefined));
  return { databaseUrl: db.databaseUrl, admin };
}

export async function startOutageRig(t: { teardown(fn: () => unknown): void }, own?: string): Promise<OutageRig> {
  const db = await pgDatabase(t, own);
  const rig = await startRig({
    DATABASE_URL: db.databaseUrl,
    // an attempt whose end could not be recorded (the database went away at that moment) is
    // taken over after its lease: short here, so the test sees it completed (default 120 s)
    OUTBOX_ATTEMPT_TIMEOUT_MS: '8000',
    OUTBOX_LEASE_MS: '10000',
    // until then, orders for its facility and program wait for its initiate's outcome
    // (lock-error, retried): their retries must outlast the lease, as the defaults' do (2 s
    // doubling to 10 min, 15 attempts, against 120 s), or they are dead-lettered meanwhile
    OUTBOX_BACKOFF_CAP_MS: '3000',
    LOG_LEVEL: process.env.PG_OUTAGE_LOG ?? 'silent',
  });
  t.teardown(() => rig.close());
  const store = await openStore({ databaseUrl: db.databaseUrl });
  t.teardown(() => store.close());
  return { rig, store, databaseUrl: db.databaseUrl, admin: db.admin };
}

/** One client's order and what it was told. */
export interface Answer {
  order: string;
  /** the HTTP status, or 0 when no answer came (hang or connection failure) */
  status: number;
  /** each entry's status for a 200 transaction answer */
  entries: string[];
  body: any;
  ms: number;
  error?: string;
}

export function orderBundle(rig: Rig, order: string, n: number): unknown {
  const facility = FACILITIES[n % FACILITIES.length];
  return transactionOf([
    orderLine({
      order,
      facilityId: rig.lmis.seed.facilities[facility],
      program: 'EM01',
      productCode: PRODUCTS[n % PRODUCTS.length],
      qty: 10 + n,
      priority: 'urgent',
    }),
  ]);
}

/** Sends one order and waits for its answer, at most ANSWER_WITHIN_MS. */
export async function sendOrder(rig: Rig, order: string, n: number): Promise<Answer> {
  const started = Date.now();
  try {
    const res = await fetch(`${rig.mediator.url}/fhir`, {
      method: 'POST',
      headers: { authorization: RIG_AUTH, 'content-type': 'application/fhir+json', accept: 'application/fhir+json' },
      body: JSON.stringify(orderBundle(rig, order, n)),
      signal: AbortSignal.timeout(ANSWER_WITHIN_MS),
    });
    const text = await res.text();
    const body = text ? JSON.parse(text) : undefined;
    const entries = res.status === 200 ? (body?.entry ?? []).map((e: any) => String(e.response?.status ?? '')) : [];
    return { order, status: res.status, entries, body, ms: Date.now() - started };
  } catch (err) {
    return { order, status: 0, entries: [], body: undefined, ms: Date.now() - started, error: String(err) };
  }
}

/** The write was accepted: 200 whose entries are all 201 or 202. */
export function acknowledged(a: Answer): boolean {
  return a.status === 200 && a.entries.length > 0 && a.entries.every((s) => /^20[12]/.test(s));
}

/** The store was away and the client was told so: 503 with an OperationOutcome, nothing accepted. */
export function refusedAsUnavailable(a: Answer): boolean {
  return (
    a.status === 503 &&
    a.body?.resourceType === 'OperationOutcome' &&
    a.body.issue?.some((i: any) => i.code === 'transient' && /database/i.test(String(i.diagnostics)))
  );
}

/** Answers that are neither an acknowledgement nor a clean "store unavailable" 503. */
export function badAnswers(answers: Answer[]): string[] {
  return answers
    .filter((a) => !acknowledged(a) && !refusedAsUnavailable(a))
    .map(
      (a) =>
        `${a.order}: ${a.status} ${a.entries.join(',')} after ${a.ms} ms ${a.error ?? JSON.stringify(a.body?.issue ?? a.body?.entry?.[0]?.response ?? '').slice(0, 300)}`,
    );
}

/** Order number → how many requisitions in OpenLMIS carry it. */
export function requisitionsPerOrder(rig: Rig): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of rig.lmis.sb.state.requisitionsByStatus()) {
    const number = (r.extraData as any)?.fhirOrderNumber?.value as string | undefined;
    if (number) counts.set(number, (counts.get(number) ?? 0) + 1);
  }
  return counts;
}

/** Polls until the outbox has nothing pending or in flight; returns the last counts. */
export async function drained(store: Store, ms = 90_000): Promise<Record<string, number>> {
  const until = Date.now() + ms;
  for (;;) {
    const counts = await store.countJobsByStatus().catch(() => undefined);
    if (counts && counts.pending + counts['in-flight'] === 0) return counts;
    if (Date.now() > until) return counts ?? {};
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * The invariants after an outage: no order (acknowledged or not: a 503 may come after the
 * commit) is more than one requisition, and every acknowledged order is one, except those
 * `excused` (dead-lettered: kept for an operator, reported apart by the caller).
 */
export function deliveryProblems(rig: Rig, answers: Answer[], excused: Set<string> = new Set()): string[] {
  const per = requisitionsPerOrder(rig);
  const problems: string[] = [];
  for (const a of answers) {
    const n = per.get(a.order) ?? 0;
    if (n > 1) problems.push(`${a.order} ${acknowledged(a) ? 'acknowledged' : 'refused'}, ${n} requisitions`);
    if (acknowledged(a) && n === 0 && !excused.has(a.order)) problems.push(`${a.order} acknowledged, no requisition`);
  }
  return problems;
}

/** Dead-lettered jobs: order number → why. */
export async function deadOrders(store: Store): Promise<Map<string, string>> {
  const dead = await store.listJobs({ status: 'dead', limit: 1000 });
  return new Map(dead.map((j) => [j.idempotencyKey.split('|').pop()!, j.lastError ?? '']));
}

/**
 * After an outage: the outbox drained, no order dead-lettered (one behind an OpenLMIS initiate
 * note was the last defect these tests found: a note whose resolution was never recorded held its
 * facility's other orders until UNRESOLVED_HOLD_MS; write-ledger.ts), and each order at most one
 * requisition, each acknowledged one exactly one.
 */
export async function assertSettled(t: Test, rig: Rig, store: Store, answers: Answer[]): Promise<void> {
  const counts = await drained(store);
  t.match(counts, { pending: 0, 'in-flight': 0 }, `the outbox drained: ${JSON.stringify(counts)}`);
  t.same([...(await deadOrders(store))], [], 'no order dead-lettered');
  t.same(deliveryProblems(rig, answers), [], 'each accepted order is one requisition, none two');
}
