import { UpstreamError } from '../../../domain/errors.js';
import { KeyedMutex, LockWaitTimeout } from '../../../store/keyed-mutex.js';
import type { Store } from '../../../store/types.js';
import { LMIS } from '../errors.js';

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
  /**
   * The owner's initiate has a known outcome: OpenLMIS answered it (a draft we know, or nothing
   * created), or the owner adopted its draft. Until then a request of ours may still land.
   */
  resolve(key: string, owner: string): Promise<void>;
  /** Notes whose owner has not resolved them since, newest first. */
  unresolved(key: string): Promise<InitiateNote[]>;
}

/**
 * How long a note without a known outcome holds back other writes on its key. Its owner resolves
 * it on its next attempt (after the outbox's settle time); this only bounds the wait when that
 * write never comes back (dropped by an operator, dead-lettered).
 */
export const UNRESOLVED_HOLD_MS = 5 * 60_000;

type LedgerEntry = ({ kind: 'note' } & InitiateNote) | { kind: 'resolved'; owner: string; at: string };

/** Notes not followed (in newest-first order: preceded) by a resolution of their owner. */
function unresolvedOf(entriesNewestFirst: LedgerEntry[]): InitiateNote[] {
  const resolved = new Set<string>();
  const open: InitiateNote[] = [];
  for (const e of entriesNewestFirst) {
    if (e.kind === 'resolved') resolved.add(e.owner);
    else if (!resolved.has(e.owner)) open.push({ owner: e.owner, at: e.at, before: e.before });
  }
  return open;
}

/** How long a write waits for another write of ours on the same key before retrying later. */
const LOCK_WAIT_MS = 30_000;
/** Notes read back per key: drafts older than these are never adopted. */
const NOTES_KEPT = 200;
const NOTE_ACTION = 'openlmis.initiate-intent';
const RESOLVED_ACTION = 'openlmis.initiate-resolved';

/** Waiting too long for our own other write is transient: the outbox retries the write later. */
function busy(err: unknown): never {
  if (err instanceof LockWaitTimeout) {
    throw new UpstreamError({
      system: LMIS,
      transient: true,
      upstreamStatus: 503,
      code: 'lock-error',
      diagnostics: `another order for the same facility, program and period is being initiated (${err.message}); retried later`,
    });
  }
  throw err;
}

/**
 * The mediator's ledger: the store's cross-instance lock, notes kept in the audit trail. A note's
 * owner is its write's outbox job id: a job that ended done learnt its initiate's outcome (it
 * filled and submitted the requisition it initiated or adopted), so its note no longer holds
 * anyone back even when the resolution itself was never recorded. That record is asked for with
 * the job's end but is a write of its own: with the database cut at that moment (helper E's
 * PostgreSQL outage test) the job ended done and the note held the facility's other orders for
 * UNRESOLVED_HOLD_MS.
 */
export function storeLedger(store: Pick<Store, 'withLock' | 'appendAudit' | 'listAudit' | 'getJob'>): WriteLedger {
  return {
    serialise: (key, fn) => store.withLock(key, fn, { waitMs: LOCK_WAIT_MS }).catch(busy),
    note: (key, note) =>
      store.appendAudit({ actor: 'openlmis-connector', action: NOTE_ACTION, subject: key, details: { ...note } }),
    async notes(key) {
      const entries = await store.listAudit({ subject: key, limit: NOTES_KEPT });
      return entries.filter((e) => e.action === NOTE_ACTION).map((e) => e.details as unknown as InitiateNote);
    },
    resolve: (key, owner) =>
      store.appendAudit({
        actor: 'openlmis-connector',
        action: RESOLVED_ACTION,
        subject: key,
        details: { owner, at: new Date().toISOString() },
      }),
    async unresolved(key) {
      const entries = await store.listAudit({ subject: key, limit: NOTES_KEPT });
      const open = unresolvedOf(
        entries.flatMap((e): LedgerEntry[] => {
          if (e.action === NOTE_ACTION) return [{ kind: 'note', ...(e.details as unknown as InitiateNote) }];
          if (e.action === RESOLVED_ACTION)
            return [{ kind: 'resolved', ...(e.details as unknown as { owner: string; at: string }) }];
          return [];
        }),
      );
      // usually none are open: the job lookups cost nothing on the common path
      const ended = await Promise.all(open.map(async (n) => (await store.getJob(n.owner))?.status === 'done'));
      return open.filter((_, i) => !ended[i]);
    },
  };
}

/** A ledger for one process without a store (tests, tools): a mutex and notes in memory. */
export function memoryLedger(): WriteLedger {
  const mutex = new KeyedMutex();
  const kept = new Map<string, LedgerEntry[]>();
  const add = (key: string, entry: LedgerEntry) =>
    kept.set(key, [entry, ...(kept.get(key) ?? [])].slice(0, NOTES_KEPT));
  return {
    serialise: (key, fn) => mutex.run(key, fn, LOCK_WAIT_MS).catch(busy),
    async note(key, note) {
      add(key, { kind: 'note', ...note });
    },
    async notes(key) {
      return (kept.get(key) ?? []).flatMap((e) =>
        e.kind === 'note' ? [{ owner: e.owner, at: e.at, before: e.before }] : [],
      );
    },
    async resolve(key, owner) {
      add(key, { kind: 'resolved', owner, at: new Date().toISOString() });
    },
    async unresolved(key) {
      return unresolvedOf(kept.get(key) ?? []);
    },
  };
}
