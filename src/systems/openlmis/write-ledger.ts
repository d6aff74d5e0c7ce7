import { UpstreamError } from '../../domain/errors.js';
import { KeyedMutex, LockWaitTimeout } from '../../store/keyed-mutex.js';
import type { Store } from '../../store/types.js';
import { LMIS } from './errors.js';

/**
 * What the connector needs from the mediator's store to make writes OpenLMIS cannot tell apart
 * afterwards safe (issue 9 item 2): a requisition search shows who initiated a draft
 * (statusChanges.INITIATED.authorId) but not for which of our orders. So our initiates for one
 * facility/program/period/emergency run one at a time across every instance (`serialise`), and
 * before each one we note which unmarked drafts of ours already existed (`note`). A draft of ours
 * then belongs to the latest note that did not list it: it appeared after that note was taken,
 * while its writer held the lock.
 */
export interface InitiateNote {
  /** The write (outbox job key) about to initiate. */
  owner: string;
  /** When the note was taken (ISO), to ignore drafts older than our records. */
  at: string;
  /** Our drafts without an order number that existed before this initiate. */
  before: string[];
}

export interface WriteLedger {
  serialise<T>(key: string, fn: () => Promise<T>): Promise<T>;
  note(key: string, note: InitiateNote): Promise<void>;
  /** Notes for this key, newest first. */
  notes(key: string): Promise<InitiateNote[]>;
}

/** How long a write waits for another write of ours on the same key before retrying later. */
const LOCK_WAIT_MS = 30_000;
/** Notes read back per key: drafts older than these are never adopted. */
const NOTES_KEPT = 200;
const NOTE_ACTION = 'openlmis.initiate-intent';

/** Waiting too long for our own other write is transient: the outbox retries the write later. */
function busy(err: unknown): never {
  if (err instanceof LockWaitTimeout) {
    throw new UpstreamError({ system: LMIS, transient: true, upstreamStatus: 503, diagnostics: `another order for the same facility, program and period is being initiated (${err.message}); retried later` });
  }
  throw err;
}

/** The mediator's ledger: the store's cross-instance lock, notes kept in the audit trail. */
export function storeLedger(store: Pick<Store, 'withLock' | 'appendAudit' | 'listAudit'>): WriteLedger {
  return {
    serialise: (key, fn) => store.withLock(key, fn, { waitMs: LOCK_WAIT_MS }).catch(busy),
    note: (key, note) => store.appendAudit({ actor: 'openlmis-connector', action: NOTE_ACTION, subject: key, details: { ...note } }),
    async notes(key) {
      const entries = await store.listAudit({ subject: key, limit: NOTES_KEPT });
      return entries.filter((e) => e.action === NOTE_ACTION).map((e) => e.details as unknown as InitiateNote);
    },
  };
}

/** A ledger for one process without a store (tests, tools): a mutex and notes in memory. */
export function memoryLedger(): WriteLedger {
  const mutex = new KeyedMutex();
  const kept = new Map<string, InitiateNote[]>();
  return {
    serialise: (key, fn) => mutex.run(key, fn, LOCK_WAIT_MS).catch(busy),
    async note(key, note) {
      kept.set(key, [note, ...(kept.get(key) ?? [])].slice(0, NOTES_KEPT));
    },
    async notes(key) {
      return kept.get(key) ?? [];
    },
  };
}
