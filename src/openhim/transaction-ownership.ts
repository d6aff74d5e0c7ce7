/**
 * Whether an OpenHIM transaction is one this mediator owes its final state, read from core before
 * the first update of it. The id a write keeps is the X-OpenHIM-TransactionID its request
 * carried, and any client that can reach the mediator directly (inbound auth is one shared
 * credential) could send another transaction's id: updated unchecked, that transaction's status
 * and response would be overwritten with the mediator's OpenHIM admin account.
 *
 * The proof is the mark the envelope of a request with a write answered before it ended carries
 * in `properties` (plugin.ts): core stores an envelope's properties on the transaction it routed
 * (openhim-core-js src/middleware/messageStore.js storeResponse), and a response sent to a client
 * directly never reaches core. So a transaction bearing the mark came through OpenHIM to this
 * mediator and was left awaiting an update; one without it, or unknown to core, is refused. Read
 * as `simpledetails` (GET /transactions/:id, src/api/transactions.js getTransactionById): no
 * bodies, which may hold up to 15 MiB. Only updates pay for the read: a request answered at once
 * owes none.
 */
import type { Dispatcher } from 'undici';
import { request } from 'undici';
import type { UpdateAnswer } from './transaction-update-sweep.js';
import {
  AWAITS_UPDATE_OF_PROPERTY,
  AWAITS_UPDATE_OF_REQUEST_PROPERTY,
  AWAITS_UPDATE_PROPERTY,
} from './transaction-id.js';

/**
 * What a transaction read from core tells about the update: send it (`stored`: the orchestrations
 * core already keeps, as orchestrationKey gives them; `named`: the writes it is owed to, as
 * routed-writes.ts reads them; `request`: the key of the request core routed, none when marked by
 * a release that named none), or the answer instead.
 */
export type Ownership = { kind: 'owed'; stored: Set<string>; named?: Set<string>; request?: string } | UpdateAnswer;

/** The parts of a stored transaction the check reads (model/transactions.js). */
interface StoredTransaction {
  properties?: Record<string, unknown> | null;
  response?: { status?: unknown } | null;
  orchestrations?: unknown;
  /** Core's own failure to get the primary route's answer (a timeout, a reset). */
  error?: { message?: unknown } | null;
}

/** The parts of an orchestration that tell one call from another, bodies aside (simpledetails has none). */
interface OrchestrationParts {
  name?: unknown;
  request?: { method?: unknown; path?: unknown; timestamp?: unknown } | null;
  response?: { status?: unknown; timestamp?: unknown } | null;
}

/**
 * One upstream call as an orchestration names it: the same call sent twice has the same key, two
 * calls never do (each has its own start time to the millisecond, and its own path or name).
 */
export function orchestrationKey(o: OrchestrationParts): string {
  const { request, response } = o;
  return JSON.stringify([
    o.name,
    request?.method,
    request?.path,
    request?.timestamp,
    response?.status,
    response?.timestamp,
  ]);
}

function storedKeys(stored: StoredTransaction): Set<string> {
  const list = Array.isArray(stored.orchestrations) ? (stored.orchestrations as OrchestrationParts[]) : [];
  return new Set(list.filter((o) => o && typeof o === 'object').map(orchestrationKey));
}

export interface OwnershipRead {
  url: string;
  transactionId: string;
  urn: string;
  headers: Record<string, string>;
  dispatcher: Dispatcher;
  signal?: AbortSignal;
  /** Whether core's answer is worth trying again (as for the update itself). */
  retried: (status: number) => boolean;
}

/** Reads the transaction from core and says whether this mediator owes it the update. */
export async function readOwnership(read: OwnershipRead): Promise<Ownership> {
  const res = await request(`${read.url}?filterRepresentation=simpledetails`, {
    method: 'GET',
    dispatcher: read.dispatcher,
    headers: { ...read.headers, accept: 'application/json' },
    headersTimeout: 10_000,
    bodyTimeout: 10_000,
    signal: read.signal,
  });
  if (res.statusCode !== 200) {
    await res.body.dump();
    if (res.statusCode === 404)
      return { kind: 'refused', reason: `OpenHIM answered 404: it has no transaction ${read.transactionId}` };
    const reason = `OpenHIM answered ${res.statusCode}`;
    return read.retried(res.statusCode) ? { kind: 'retry', reason } : { kind: 'refused', reason };
  }
  const stored = (await res.body.json().catch(() => undefined)) as StoredTransaction | undefined;
  return ownershipOf(stored, read.transactionId, read.urn);
}

/**
 * The writes the mark names (absent: marked by a release that named none; anything else names
 * none), and the routed request's key beside them (absent or not a key: marked before keys were).
 */
function namedWrites(properties: Record<string, unknown>): { named?: Set<string>; request?: string } {
  const tags = properties[AWAITS_UPDATE_OF_PROPERTY];
  if (tags === undefined) return {};
  const key = properties[AWAITS_UPDATE_OF_REQUEST_PROPERTY];
  return {
    named: new Set(typeof tags === 'string' ? tags.split(' ').filter(Boolean) : []),
    ...(typeof key === 'string' && key ? { request: key } : {}),
  };
}

/** The decision on a transaction as core stored it. */
export function ownershipOf(stored: StoredTransaction | undefined, transactionId: string, urn: string): Ownership {
  if (!stored || typeof stored !== 'object')
    return { kind: 'retry', reason: 'OpenHIM answered the transaction read with no transaction' };
  if (stored.properties?.[AWAITS_UPDATE_PROPERTY] === urn)
    return { kind: 'owed', stored: storedKeys(stored), ...namedWrites(stored.properties) };
  // core stores the mediator's answer just after it arrives: an update sent at once may be quicker
  if (stored.response == null || stored.response.status == null)
    return { kind: 'retry', reason: `OpenHIM has not stored the answer to transaction ${transactionId} yet` };
  const failed = coreFailedItself(stored);
  if (failed)
    return {
      kind: 'refused',
      reason: `${failedWithoutOurAnswer(failed, transactionId, urn)}: OpenHIM keeps it failed, and a rerun of it (its channel's auto-retry, or the console) is answered with the write's state; not updated`,
    };
  return {
    kind: 'refused',
    reason: `OpenHIM transaction ${transactionId} awaits no update from ${urn} (it was not answered 202 by it through OpenHIM): not updated`,
  };
}

/**
 * Core's reason for a transaction failed with no answer of ours read: its route call timed out or
 * broke (openhim-core-js src/middleware/router.js handleServerError: the transaction's `error`, a
 * 500 of core's own, and core's orchestration of the call with an error and no response). An
 * answer of ours that core read (an envelope with `error`, for its auto-retry) left a response on
 * core's orchestration of the call, and its own status: not this. A core that records no
 * orchestration of its route call (before openhim-core-js router.js recordOrchestration) keeps our
 * own 500 with `error` and no call answered alike: the record says core failed it, not why.
 */
function coreFailedItself(stored: StoredTransaction): string | undefined {
  const message = stored.error?.message;
  if (typeof message !== 'string' || !message || stored.response?.status !== 500) return undefined;
  const calls = Array.isArray(stored.orchestrations) ? (stored.orchestrations as OrchestrationParts[]) : [];
  if (calls.some((o) => o?.response != null)) return undefined;
  return message;
}

/** Core's words when its call of the mediator ran past the channel's timeout (router.js sendHttpRequest). */
const CORE_TIMEOUT = /^Request took longer than \d+ ?ms$/;

/**
 * What the record says became of the transaction, true whichever it was: core's own timeout says
 * OpenHIM gave up; any other reason may be core's (a reset) or ours (a 500 with `error`), so both
 * are named, with core's reason quoted, for an operator to tell by the mediator's log.
 */
function failedWithoutOurAnswer(message: string, transactionId: string, urn: string): string {
  const quoted = JSON.stringify(message.slice(0, 200));
  if (CORE_TIMEOUT.test(message))
    return `OpenHIM gave up on transaction ${transactionId} before ${urn} answered it (core: ${quoted}, its channel's timeout)`;
  return `OpenHIM keeps transaction ${transactionId} failed with a 500 and no answer on record (its error: ${quoted}): either its call of ${urn} failed before the answer, or ${urn} answered a failure of its own with no upstream answer; the mediator's log under the transaction id says which`;
}
