/**
 * The second half of an accepted write routed through OpenHIM: the client got 202 and OpenHIM
 * recorded the transaction as Processing; when the outbox settles the job, the transaction gets
 * its final status with `PUT /transactions/:id` (reference/openhim.md §4.3, the file-queue
 * mediator's pattern): 2xx → Successful, 4xx → Completed, anything else → Failed.
 */
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
    const res = await request(`${apiUrl.replace(/\/+$/, '')}/transactions/${encodeURIComponent(job.transactionId)}`, {
      method: 'PUT',
      dispatcher: agent,
      headers: { ...auth, 'content-type': 'application/json' },
      // the last step before the bytes leave: a stored error written before a secret was known is masked too
      body: (opts.redactor ?? processRedactor).redact(
        JSON.stringify({ status: envelope.status, response: envelope.response }),
      ),
      headersTimeout: 10_000,
      bodyTimeout: 10_000,
    });
    await res.body.dump();
    if (res.statusCode >= 300)
      opts.logger?.warn(
        { transactionId: job.transactionId, status: res.statusCode },
        'OpenHIM refused the transaction update',
      );
  };
}
