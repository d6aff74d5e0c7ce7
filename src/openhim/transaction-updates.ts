/**
 * The second half of an accepted write routed through OpenHIM: the client got 202 and OpenHIM
 * recorded the transaction as Processing; when the outbox settles the job, the transaction gets
 * its final status with `PUT /transactions/:id` (reference/openhim.md §4.3, the file-queue
 * mediator's pattern): 2xx → Successful, 4xx → Completed, anything else → Failed.
 *
 * One send per call, answered as sent, retry or refused: the debt is kept in the store and retried
 * by transaction-update-sweep.ts. Only a transaction core keeps marked as awaiting this mediator's
 * update is sent one (transaction-ownership.ts, read before the first send). Sending twice is
 * harmless: core's updateTransaction (api/transactions.js) sets the given fields with
 * findByIdAndUpdate, so a repeat writes the same status and response again, and the attempt's
 * calls, appended with `$push`, are appended only when core does not keep them yet: a send whose
 * answer was lost (reset, timed out, a crash before it was recorded) may have been applied, so the
 * next reads the transaction again first. Our body carries no `error`, which alone would queue an
 * auto-retry.
 */
import { Agent, request } from 'undici';
import { mediatorUtils } from './mediator-utils.js';
import type { OutboxJob, TransactionEntry, TransactionRequest } from '../store/types.js';
import { GivenUpError, reviveError } from '../outbox/errors.js';
import { INTERNAL_ERROR } from '../outbox/failures.js';
import { informational, operationOutcome } from '../fhir/outcome.js';
import { processRedactor, type Redactor } from '../platform/redaction.js';
import { buildOpenHimEnvelope, mediatorStatusFor, type MediatorStatus, type Orchestration } from './envelope.js';
import type { UpdateAnswer } from './transaction-update-sweep.js';
import type { FinalAttemptCalls } from './final-attempts.js';
import { isOpenHimTransactionId } from './transaction-id.js';
import { orchestrationBodyLimit } from './stored-final-calls.js';
import { orchestrationKey, readOwnership } from './transaction-ownership.js';
import { routedWritesOf, type RoutedWrites } from './routed-writes.js';

export interface TransactionUpdaterOptions {
  settings: () => Record<string, unknown>;
  urn: string;
  secretValues: () => readonly string[];
  /** Masks every configured secret (current and previous); default the process's redactor. */
  redactor?: Redactor;
  /** The upstream calls of each job's last attempt here: the update carries them as orchestrations. */
  finalAttempts?: FinalAttemptCalls;
}

/**
 * Transactions read from core and found owed an update, with the orchestrations core kept then, so
 * a send the claim cut off before its PUT does not read them again. A PUT not answered 2xx
 * forgets the read: it may have been applied all the same, and the next send must see what it left.
 */
const VERIFIED_KEPT = 1_000;

/**
 * Answers worth trying again: core restarting or overloaded (5xx, 408, 429), and credentials or
 * permissions an operator can still correct (401, 403; the config can change live). Any other 4xx
 * (400 a body core cannot take, 404 no such route) will never succeed and is recorded as refused.
 * A transaction core does not keep is a 404 to the read before the first update (refused); its
 * update would be a 500 (updateTransaction reads the missing transaction's channel).
 */
const retriedStatus = (status: number) => status >= 500 || [401, 403, 408, 429].includes(status);

/** A failed request in a line: undici's error code and message (never the request's headers). */
function describeRequestError(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown };
  const code = typeof e?.code === 'string' ? `${e.code}: ` : '';
  return `${code}${typeof e?.message === 'string' ? e.message : String(err)}`;
}

/** What the client would have been answered had it waited: status and an OperationOutcome. */
export function finalResponseOf(job: OutboxJob): { status: number; body: unknown } {
  if (job.status === 'done') {
    const ids = Object.entries(job.result?.ids ?? {})
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    return { status: 201, body: informational(`Delivered to ${job.system}${ids ? ` (${ids})` : ''}`) };
  }
  // refused upstream (4xx), or failed once by a mediator bug (500, kept for an operator): not a give-up
  if ((job.status === 'rejected' || job.error?.name === INTERNAL_ERROR) && job.error)
    return { status: job.error.status, body: operationOutcome(reviveError(job.error).issues) };
  // given up: the answer a resend of it gets too (GivenUpError), so both say the same
  const lastError = job.lastError ?? job.error?.issues[0]?.diagnostics;
  return { status: 502, body: operationOutcome(new GivenUpError({ ...job, lastError }).issues) };
}

const STATUS_TEXT: Record<number, string> = { 201: '201 Created' };

/** One job's final answer as an entry of a transaction-response Bundle (FHIR http.html#transaction-response). */
function responseEntryOf(job: OutboxJob): object {
  return { response: entryResponseOf(finalResponseOf(job)) };
}

function entryResponseOf(final: { status: number; body: unknown }): { status: string; outcome: unknown } {
  return { status: STATUS_TEXT[final.status] ?? String(final.status), outcome: final.body };
}

/**
 * The final state of a whole OpenHIM transaction: one job's answer alone, or, for a transaction
 * that became several jobs (a FHIR transaction or batch Bundle, a write fanned out to secondary
 * systems), a transaction-response Bundle with each write's final answer, and the status OpenHIM
 * gives such a whole (core's model/transactions.js): every write delivered → Successful; none →
 * Failed when one was given up or failed on our side (5xx), else Completed (the upstreams refused
 * them, 4xx); some of each → Completed with error(s). One PUT per job instead would each overwrite
 * the status and response, leaving whichever settled last.
 */
export function finalTransactionResponseOf(
  jobs: OutboxJob[],
  entries: TransactionEntry[] = [],
  bundle = false,
): {
  status: number;
  mediatorStatus: MediatorStatus;
  body: unknown;
} {
  if (entries.length) return followingEntries(jobs, entries);
  if (jobs.length === 1 && !bundle) {
    const final = finalResponseOf(jobs[0]);
    return { ...final, mediatorStatus: mediatorStatusFor(final.status) };
  }
  return wholeOf(jobs.map(finalResponseOf), jobs.map(responseEntryOf));
}

/**
 * A Bundle recorded entry by entry (store v24): its update follows the client's entries, in their
 * order. A written entry gets its write's final answer (delivered: the answer it was to have, with
 * the delivery's outcome; refused or given up: that); an entry answered without a write (a GET, a
 * DELETE of what was deleted, a conditional create that matched) keeps its first answer. Jobs no
 * entry names (a write's secondary fan-out) count toward the status, as entries do.
 */
function followingEntries(jobs: OutboxJob[], recorded: TransactionEntry[]) {
  const byId = new Map(jobs.map((j) => [j.id, j]));
  const finals: { status: number }[] = [];
  const entries = withEveryEntry(recorded);
  const entry = entries.map((e) => {
    const job = e.jobId === undefined ? undefined : byId.get(e.jobId);
    if (!job) {
      finals.push({ status: parseInt(e.answer.status, 10) });
      return { response: e.answer };
    }
    const final = finalResponseOf(job);
    finals.push(final);
    const response = job.status === 'done' ? { ...e.answer, outcome: final.body } : entryResponseOf(final);
    return { response };
  });
  const named = new Set(entries.map((e) => e.jobId));
  for (const job of jobs) if (!named.has(job.id)) finals.push(finalResponseOf(job));
  return wholeOf(finals, entry);
}

/**
 * Every entry of the Bundle, in order: one the map lacks (a batch whose process died before it
 * was answered: transaction-update-sweep.ts BATCH_ANSWER_WAIT_MS) was never answered, and says so.
 */
function withEveryEntry(recorded: TransactionEntry[]): TransactionEntry[] {
  const count = Math.max(recorded[0].count, recorded.length);
  if (recorded.length === count) return recorded;
  const byEntry = new Map(recorded.map((e) => [e.entry, e]));
  return Array.from({ length: count }, (_, entry) => byEntry.get(entry) ?? unanswered(entry, count));
}

function unanswered(entry: number, count: number): TransactionEntry {
  const diagnostics = `Bundle.entry[${entry}] was never answered: the mediator stopped while answering the Bundle`;
  return { entry, count, answer: { status: '500', outcome: operationOutcome([{ code: 'incomplete', diagnostics }]) } };
}

/**
 * A transaction-response Bundle of these entries, with the status OpenHIM gives such a whole from
 * the final answers it stands for (core's model/transactions.js): see finalTransactionResponseOf.
 */
function wholeOf(
  finals: { status: number }[],
  entry: object[],
): { status: number; mediatorStatus: MediatorStatus; body: unknown } {
  const failed = finals.filter((f) => f.status >= 300);
  const body = { resourceType: 'Bundle', type: 'transaction-response', entry };
  if (failed.length === 0) return { status: 200, mediatorStatus: 'Successful', body };
  if (failed.length < finals.length) return { status: 200, mediatorStatus: 'Completed with error(s)', body };
  const worst = failed.find((f) => f.status >= 500) ?? failed[0];
  return { status: worst.status, mediatorStatus: worst.status >= 500 ? 'Failed' : 'Completed', body };
}

/** What one send carries beyond the job that owes it. */
export interface TransactionUpdateSend {
  /** Every job of the job's transaction (default: the job alone): the update is built from all. */
  jobs?: OutboxJob[];
  /** How the transaction's Bundle entries were answered (store v24): the update follows them. */
  entries?: TransactionEntry[];
  /** The requests kept under the transaction's id (store v47): the routed one's entries and type. */
  requests?: TransactionRequest[];
  /**
   * Whether the routed request's entry map is a batch still being answered (the sweep's word:
   * transaction-update-sweep.ts stillAnswering): then not sent yet, waiting.
   */
  stillAnswering?: (map: TransactionEntry[]) => boolean;
  /**
   * When the debt may be claimed again (epoch ms; transaction-update-sweep.ts): the request is cut
   * off then, and not made at all once it has passed.
   */
  until?: number;
}

/**
 * What a read of the transaction from core told: the orchestrations it keeps, the writes it names,
 * the key of the request it routed.
 */
interface Read {
  stored: Set<string>;
  named?: Set<string>;
  request?: string;
}

/** Sends one transaction's final state to OpenHIM once, and says how OpenHIM answered. */
export function createTransactionUpdater(
  opts: TransactionUpdaterOptions,
): (job: OutboxJob, send?: TransactionUpdateSend) => Promise<UpdateAnswer> {
  // one pooled agent per TLS policy: openhim.trustSelfSigned can change live (OpenHIM config push)
  let pool: { trustSelfSigned: boolean; agent: Agent } | undefined;
  const agentFor = (trustSelfSigned: boolean): Agent => {
    if (pool?.trustSelfSigned !== trustSelfSigned) {
      void pool?.agent.close();
      pool = { trustSelfSigned, agent: new Agent({ connect: { rejectUnauthorized: !trustSelfSigned } }) };
    }
    return pool.agent;
  };
  const redactor = () => opts.redactor ?? processRedactor;
  // loaded now, not inside the first send's time (which ends with its claim)
  void mediatorUtils().catch(() => undefined);
  const verified = new Map<string, Read>();
  const remember = (transactionId: string, read: Read) => {
    if (verified.size >= VERIFIED_KEPT) verified.delete(verified.keys().next().value!);
    verified.set(transactionId, read);
  };
  return async (job, send = {}) => {
    const s = opts.settings();
    const apiUrl = s['openhim.apiUrl'];
    const transactionId = job.transactionId;
    if (!transactionId) return { kind: 'refused', reason: 'the job has no OpenHIM transaction id' };
    // never put in a URL: an id core did not make cannot name a transaction of its (a stored one predates the check)
    if (!isOpenHimTransactionId(transactionId))
      return { kind: 'refused', reason: 'the OpenHIM transaction id is not one core makes (24 hex digits)' };
    if (typeof apiUrl !== 'string' || !apiUrl) return { kind: 'retry', reason: 'openhim.apiUrl is not set' };
    const agent = agentFor(s['openhim.trustSelfSigned'] === true);
    const jobs = send.jobs ?? [job];
    const auth = (await mediatorUtils()).genAuthHeaders({
      username: String(s['openhim.username'] ?? 'root@openhim.org'),
      password: String(s['openhim.password'] ?? ''),
    });
    const url = `${apiUrl.replace(/\/+$/, '')}/transactions/${encodeURIComponent(transactionId)}`;
    let status: number;
    const left = () => (send.until === undefined ? undefined : send.until - Date.now());
    const signal = () => {
      const ms = left();
      return ms === undefined ? undefined : AbortSignal.timeout(ms);
    };
    if ((left() ?? 1) <= 0) return { kind: 'retry', reason: 'its claim ran out before the request' };
    let put = false;
    let routed: Extract<RoutedWrites, { kind: 'owed' }>;
    try {
      let known = verified.get(transactionId);
      if (!known) {
        const read = { url, transactionId, urn: opts.urn, headers: auth, dispatcher: agent, retried: retriedStatus };
        const ownership = await readOwnership({ ...read, signal: signal() });
        if (ownership.kind !== 'owed') return ownership;
        known = { stored: ownership.stored, named: ownership.named, request: ownership.request };
        remember(transactionId, known);
      }
      const entries = send.entries ?? [];
      const { named, request: routedKey } = known;
      const writes = routedWritesOf(transactionId, jobs, entries, named, send.requests, send.stillAnswering, routedKey);
      if (writes.kind !== 'owed') return writes;
      routed = writes;
      if ((left() ?? 1) <= 0) return { kind: 'retry', reason: 'its claim ran out before the request' };
      put = true;
      const res = await request(url, {
        method: 'PUT',
        dispatcher: agent,
        headers: { ...auth, 'content-type': 'application/json' },
        body: updateBody(routed, s, known.stored),
        headersTimeout: 10_000,
        bodyTimeout: 10_000,
        signal: signal(),
      });
      await res.body.dump();
      status = res.statusCode;
    } catch (err) {
      if (put) verified.delete(transactionId); // applied or not: the next send reads what core keeps
      // unreachable, reset, timed out, a certificate not trusted (trustSelfSigned may change live)
      return { kind: 'retry', reason: redactor().redact(describeRequestError(err)) };
    }
    verified.delete(transactionId);
    if (status < 300) {
      opts.finalAttempts?.forget(routed.jobs.filter((j) => j.transactionId === transactionId).map((j) => j.id));
      return routed.foreign.length ? { kind: 'sent', notOwed: routed.foreign } : { kind: 'sent' };
    }
    const reason = `OpenHIM answered ${status}`;
    return retriedStatus(status) ? { kind: 'retry', reason } : { kind: 'refused', reason };
  };

  /**
   * The PUT's body: the final status and response, and the last attempts' calls appended to the
   * transaction's orchestrations (`$push`, as the file-queue mediator's worker.js does: core
   * passes the update to findByIdAndUpdate, so a plain `orchestrations` would replace those the
   * 202 envelope left), less those core keeps already (`stored`: a send before this one was
   * applied, its answer lost). Redacted as the envelope is, and cut to the same body limits.
   */
  function updateBody(
    { jobs, entries, contentType, bundle }: Extract<RoutedWrites, { kind: 'owed' }>,
    s: Record<string, unknown>,
    stored: Set<string>,
  ): string {
    const final = finalTransactionResponseOf(jobs, entries, bundle);
    const envelope = buildOpenHimEnvelope({
      urn: opts.urn,
      status: final.mediatorStatus,
      response: { status: final.status, headers: { 'content-type': updateContentType(contentType) }, body: final.body },
      orchestrations: opts.finalAttempts?.callsOf(jobs.filter((j) => !j.openhimFinalCalls).map((j) => j.id)),
      bodyLimitBytes: orchestrationBodyLimit(s),
      secretValues: opts.secretValues(),
      redactor: opts.redactor,
    });
    const { status, response } = envelope;
    // stored with the job's end (v46), built then as here; this process's memory for an end before v46
    const kept = jobs.flatMap((j) => (j.openhimFinalCalls ?? []) as Orchestration[]);
    const orchestrations = [...kept, ...envelope.orchestrations].filter((o) => !stored.has(orchestrationKey(o)));
    const update = orchestrations.length
      ? { status, response, $push: { orchestrations: { $each: orchestrations } } }
      : { status, response };
    // the last step before the bytes leave: a stored error written before a secret was known is masked too
    return redactor().redact(JSON.stringify(update));
  }
}

/**
 * The update's Content-Type: the JSON type and FHIR release the routed request was answered in
 * (its kept type, v47), as every other answer says it; plain FHIR JSON when not known.
 */
export function updateContentType(answeredWith: string | undefined): string {
  const release = /;\s*fhirVersion="?([0-9.]+)/i.exec(answeredWith ?? '')?.[1];
  const type = answeredWith?.split(';')[0].trim().toLowerCase();
  const json = type?.endsWith('json') ? type : 'application/fhir+json';
  return release ? `${json}; fhirVersion=${release}; charset=utf-8` : 'application/fhir+json';
}
