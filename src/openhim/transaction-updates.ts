/**
 * The second half of an accepted write routed through OpenHIM: the client got 202 and OpenHIM
 * recorded the transaction as Processing; when the outbox settles the job, the transaction gets
 * its final status with `PUT /transactions/:id` (reference/openhim.md §4.3, the file-queue
 * mediator's pattern): 2xx → Successful, 4xx → Completed, anything else → Failed.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request } from 'undici';
import { mediatorUtils } from './mediator-utils.js';
import type { OutboxJob } from '../store/types.js';
import { reviveError } from '../outbox/errors.js';
import { INTERNAL_ERROR } from '../outbox/failures.js';
import { informational, operationOutcome } from '../fhir/outcome.js';
import { processRedactor, type Redactor } from '../platform/redaction.js';
import { buildOpenHimEnvelope } from './envelope.js';

export interface TransactionUpdaterOptions {
  settings: () => Record<string, unknown>;
  urn: string;
  secretValues: () => readonly string[];
  /** Masks every configured secret (current and previous); default the process's redactor. */
  redactor?: Redactor;
  logger?: { warn(obj: object, msg?: string): void };
  /** Waits before each retry of an update OpenHIM could not take (default UPDATE_RETRY_DELAYS_MS). */
  retryDelaysMs?: readonly number[];
}

/**
 * An update is the only word OpenHIM gets that a 202'd write settled: lost, the transaction stays
 * Processing for good. So one OpenHIM could not take (core restarting, a proxy's 502, a reset) is
 * tried again for about half a minute, which outlasts a core restart; outbox.stop() waits for it
 * at most its drain time, and a waiting retry does not keep a process that is ending alive.
 * Refusals (401, 404, a TLS certificate not trusted) are not retried.
 */
export const UPDATE_RETRY_DELAYS_MS: readonly number[] = [1_000, 2_000, 4_000, 8_000, 16_000];

const TRANSIENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
]);

const retriedStatus = (status: number) => status >= 500 || status === 408 || status === 429;
const retriedError = (err: unknown) => TRANSIENT_CODES.has(String((err as { code?: unknown })?.code));

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
  return {
    status: 502,
    body: operationOutcome([
      {
        code: 'transient',
        diagnostics: `Delivery to ${job.system} gave up after ${job.attempts} attempts (${job.lastError ?? job.error?.issues[0]?.diagnostics ?? 'unknown error'}); an operator can retry it`,
      },
    ]),
  };
}

export function createTransactionUpdater(opts: TransactionUpdaterOptions): (job: OutboxJob) => Promise<void> {
  // one pooled agent per TLS policy: openhim.trustSelfSigned can change live (OpenHIM config push)
  let pool: { trustSelfSigned: boolean; agent: Agent } | undefined;
  const agentFor = (trustSelfSigned: boolean): Agent => {
    if (pool?.trustSelfSigned !== trustSelfSigned) {
      void pool?.agent.close();
      pool = { trustSelfSigned, agent: new Agent({ connect: { rejectUnauthorized: !trustSelfSigned } }) };
    }
    return pool.agent;
  };
  return async (job) => {
    const s = opts.settings();
    const apiUrl = s['openhim.apiUrl'];
    if (!job.transactionId || typeof apiUrl !== 'string' || !apiUrl) return;
    const agent = agentFor(s['openhim.trustSelfSigned'] === true);
    const final = finalResponseOf(job);
    const envelope = buildOpenHimEnvelope({
      urn: opts.urn,
      response: { status: final.status, headers: { 'content-type': 'application/fhir+json' }, body: final.body },
      secretValues: opts.secretValues(),
      redactor: opts.redactor,
    });
    const auth = (await mediatorUtils()).genAuthHeaders({
      username: String(s['openhim.username'] ?? 'root@openhim.org'),
      password: String(s['openhim.password'] ?? ''),
    });
    const url = `${apiUrl.replace(/\/+$/, '')}/transactions/${encodeURIComponent(job.transactionId)}`;
    // the last step before the bytes leave: a stored error written before a secret was known is masked too
    const body = (opts.redactor ?? processRedactor).redact(
      JSON.stringify({ status: envelope.status, response: envelope.response }),
    );
    const delays = opts.retryDelaysMs ?? UPDATE_RETRY_DELAYS_MS;
    for (let attempt = 0; ; attempt++) {
      let status: number;
      try {
        const res = await request(url, {
          method: 'PUT',
          dispatcher: agent,
          headers: { ...auth, 'content-type': 'application/json' },
          body,
          headersTimeout: 10_000,
          bodyTimeout: 10_000,
        });
        await res.body.dump();
        status = res.statusCode;
      } catch (err) {
        if (!retriedError(err) || attempt >= delays.length) throw err;
        await sleep(delays[attempt], undefined, { ref: false });
        continue;
      }
      if (status < 300) return;
      if (!retriedStatus(status) || attempt >= delays.length) {
        opts.logger?.warn(
          { transactionId: job.transactionId, status, attempts: attempt + 1 },
          'OpenHIM refused the transaction update',
        );
        return;
      }
      await sleep(delays[attempt], undefined, { ref: false });
    }
  };
}
