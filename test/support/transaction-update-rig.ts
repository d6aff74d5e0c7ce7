/**
 * The pieces of the OpenHIM transaction-update tests (test/unit/openhim): the OpenHIM sandbox, the
 * real updater signed in as the sandbox's user, the reporter (sweep) over a store with retries in
 * milliseconds, an outbox whose first delivery fails transiently (so the client is answered 202
 * and an update is owed), and a fast poll.
 */
import { createHash } from 'node:crypto';
import { UpstreamError } from '../../src/domain/errors.js';
import {
  createTransactionReporter,
  type TransactionReporter,
  type TransactionUpdateTimings,
} from '../../src/openhim/transaction-update-sweep.js';
import { createTransactionUpdater } from '../../src/openhim/transaction-updates.js';
import { Outbox } from '../../src/outbox/outbox.js';
import type { OutboxLogger } from '../../src/outbox/types.js';
import type { Store } from '../../src/store/index.js';
import type { OutboxJob } from '../../src/store/types.js';
import {
  DEFAULT_OPENHIM_USER,
  newTransactionId,
  routedTransaction,
  startOpenHimSandbox,
  type OpenHimSandbox,
} from '../../sandbox/openhim/index.js';
import { AWAITS_UPDATE_PROPERTY } from '../../src/openhim/transaction-id.js';

type Teardown = { teardown(fn: () => unknown): void };

/** Retries within tens of milliseconds; a debt is given up only after a minute; a claim lasts 2 s. */
export const FAST_UPDATE_TIMINGS: TransactionUpdateTimings = {
  retryBaseMs: 10,
  retryCapMs: 40,
  giveUpAfterMs: 60_000,
  claimMs: 2_000,
};

/** The OpenHIM transaction id a test names `name`: an ObjectId as core makes them, the same for the same name. */
export function txId(name: string): string {
  return createHash('sha256').update(name).digest('hex').slice(0, 24);
}

/**
 * The OpenHIM sandbox on a free port, closed at teardown, keeping the transactions named
 * `accepted` (txId) as core keeps those the mediator answered 202 through it (acceptedThroughOpenHim).
 */
export async function openhimSandbox(t: Teardown, accepted: readonly string[] = []): Promise<OpenHimSandbox> {
  const openhim = await startOpenHimSandbox({ port: 0 });
  t.teardown(() => openhim.close());
  for (const name of accepted) acceptedThroughOpenHim(openhim, txId(name));
  return openhim;
}

/** The URN sandboxUpdater sends as. */
export const TEST_URN = 'urn:mediator:test';

/**
 * A transaction as core keeps one it routed to the mediator (urn `urn`) and that the mediator
 * answered 202, a write of it still to be delivered: Processing, and marked as awaiting the
 * mediator's update. Its id, new unless given.
 */
export function acceptedThroughOpenHim(
  openhim: Pick<OpenHimSandbox, 'state'>,
  id = newTransactionId(),
  urn = TEST_URN,
): string {
  const envelope = { status: 'Processing', response: { status: 202 }, properties: { [AWAITS_UPDATE_PROPERTY]: urn } };
  openhim.state.transactions.set(id, routedTransaction(id, { method: 'POST', path: '/fhir/SupplyRequest' }, envelope));
  return id;
}

/** The mediator's transaction updater sending to `apiUrl` as the sandbox's default user, its password masked. */
export function sandboxUpdater(apiUrl: string): ReturnType<typeof createTransactionUpdater> {
  return createTransactionUpdater({
    settings: () => ({
      'openhim.apiUrl': apiUrl,
      'openhim.username': DEFAULT_OPENHIM_USER.email,
      'openhim.password': DEFAULT_OPENHIM_USER.password,
    }),
    urn: TEST_URN,
    secretValues: () => [DEFAULT_OPENHIM_USER.password],
  });
}

/** A reporter over `store` sending through sandboxUpdater(apiUrl), with FAST_UPDATE_TIMINGS but `timings`; stopped at teardown. */
export function reporterFor(
  t: Teardown,
  store: Store,
  apiUrl: string,
  timings: Partial<TransactionUpdateTimings> = {},
): TransactionReporter {
  const reporter = createTransactionReporter({
    store,
    send: sandboxUpdater(apiUrl),
    timings: { ...FAST_UPDATE_TIMINGS, ...timings },
  });
  t.teardown(() => reporter.stop());
  return reporter;
}

/**
 * An outbox whose first OpenLMIS order attempt fails transiently (the client is answered 202) and
 * whose worker, once started, delivers; `onSettled` is what this process does once the job ended,
 * `owes: false` configures no OpenHIM (nothing is owed).
 */
export function outboxFailingOnce(
  t: Teardown,
  store: Store,
  deps: { onSettled?: (job: OutboxJob) => Promise<void> | void; logger?: OutboxLogger; owes?: boolean } = {},
): Outbox {
  const outbox = new Outbox({
    store,
    onSettled: deps.onSettled,
    owesTransactionUpdate: (job) => deps.owes !== false && job.transactionId !== undefined,
    // as in main.ts, the sweep waits longer than the immediate send takes, even on a loaded CI machine
    transactionUpdateGraceMs: 1_000,
    logger: deps.logger,
    options: { deadlineMs: 1_000, pollMs: 10, settleMs: 10, backoff: { baseMs: 5, capMs: 10, maxAttempts: 3 } },
  });
  let calls = 0;
  outbox.register('order', 'openlmis', async () => {
    if (calls++ === 0)
      throw new UpstreamError({ system: 'openlmis', transient: true, diagnostics: 'OpenLMIS answered 503' });
    return { system: 'openlmis', ids: { requisition: 'req-1' } };
  });
  t.teardown(() => outbox.stop());
  return outbox;
}

/**
 * Polls `probe` every 10 ms until it gives a value other than undefined or false; throws naming
 * `what` after `ms`. A probe that throws fails the wait (unlike net.ts's `until`, which waits for
 * a process that may still be starting).
 */
export async function pollUntil<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  ms = 10_000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * Accepts one order through OpenHIM transaction `tx` (answered 202) and lets the worker deliver
 * it; the ended job. `settled`: also wait until its OpenHIM update is no longer owed.
 */
export async function deliveredAfter202(
  outbox: Outbox,
  store: Store,
  tx: string,
  { settled = false }: { settled?: boolean } = {},
): Promise<OutboxJob> {
  const first = await outbox.acceptWrite({
    flow: 'order',
    system: 'openlmis',
    idempotencyKey: `key-${tx}`,
    payload: { tx },
    transactionId: tx,
  });
  if (first.kind !== 'queued') throw new Error(`expected a 202, got ${first.kind}`);
  outbox.startWorker();
  return pollUntil(settled ? 'the job delivered and its debt settled' : 'the job to be delivered', async () => {
    const job = await store.getJob(first.jobId);
    if (job?.status !== 'done') return undefined;
    return !settled || job.transactionUpdate?.state !== 'owed' ? job : undefined;
  });
}

/** An update OpenHIM was sent, as the sandbox keeps it. */
export type SentUpdate = { status?: string; response?: { status?: number; body?: string } };

/** The status of each entry of the transaction-response Bundle an update carries (undefined: no Bundle). */
export const entryStatusesOf = (u: SentUpdate): string[] | undefined =>
  (JSON.parse(u.response?.body ?? '{}') as { entry?: { response: { status: string } }[] }).entry?.map(
    (e) => e.response.status,
  );
