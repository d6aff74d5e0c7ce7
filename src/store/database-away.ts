/**
 * Whether an error means the mediator's own database is away or busy for now: nothing is wrong
 * with the request or the code, and the same call succeeds once the database is back. Kept beside
 * the engines because only they know their errors; callers (the outbox's failure classes, the
 * FHIR error mapper) ask here. Loads no driver: an instance on SQLite never loads pg.
 */

/**
 * Errors the PostgreSQL engine saw on its connection (pg-connection.ts): Node's own socket errors
 * (`connect ECONNREFUSED` while the server is down or restarting, `read ECONNRESET` mid-query, a
 * failed DNS lookup). Their codes alone cannot tell them from an upstream's socket errors, so the
 * engine marks them where they arise.
 */
const marked = new WeakSet<object>();

/** Called by an engine for an error of its connection to the database. */
export function markDatabaseAway(err: unknown): void {
  if (err !== null && typeof err === 'object') marked.add(err);
}

/**
 * pg's own messages (no code) for a connection lost or never made (node-postgres lib/client.js,
 * pg-pool index.js): a client whose connection was cut answers "… is not queryable" to its next
 * query, which is how a cut (pg_terminate_backend, a restart) reaches a connection checked out
 * at that moment. "Query read timeout": the server did not answer a statement within the pool's
 * query_timeout (postgres.ts QUERY_TIMEOUT_MS), a connection gone silent.
 */
const PG_CONNECTION_LOST =
  /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error and is not queryable|Client was closed and is not queryable|Query read timeout)/;

/**
 * SQLSTATEs of a server that cannot serve us for now
 * (https://www.postgresql.org/docs/current/errcodes-appendix.html): classes 08 (connection), 40
 * (rollback: serialization, deadlock), 53 (resources: disk full, out of memory, too many
 * connections), 57 (operator intervention: shutdown, cancel), 58 (system: I/O), 25006
 * (read_only_sql_transaction: a failover reached a standby not yet promoted, or a demoted
 * primary, and every write fails until the address points at the new primary), class 28 (the
 * server refused our login: a password rotated on the server before the mediator's setting,
 * pg_hba.conf changed) and 3D000 (the database does not exist: dropped, or restored under another
 * name). Those last two need an operator, not a code fix; the writes in flight are sound, so they
 * wait for the database (a 503, retried uncharged) rather than be dead-lettered as our bugs.
 */
const PG_UNAVAILABLE = /^(08|28|40|53|57|58)|^25006$|^3D000$/;

/**
 * SQLite result codes (https://www.sqlite.org/rescode.html) of a file that cannot be used for
 * now: BUSY and LOCKED (another writer), IOERR (each SQLITE_IOERR_* too: a read or write or fsync
 * failed), FULL (the disk), NOMEM, CANTOPEN (a journal or temporary file), PROTOCOL (a lock race),
 * READONLY (the file or its directory turned read-only: a remount after I/O errors). A bug of
 * ours shows as others (CONSTRAINT, MISMATCH, TOOBIG, ERROR for bad SQL).
 */
const SQLITE_UNAVAILABLE = /^SQLITE_(BUSY|LOCKED|IOERR|FULL|NOMEM|CANTOPEN|PROTOCOL|READONLY)/;

interface ErrorLike {
  code?: unknown;
  message?: unknown;
  severity?: unknown;
}

/** The mediator's database unreachable, cut off or busy for now (either engine). */
export function isDatabaseAway(err: unknown): boolean {
  if (err === null || typeof err !== 'object') return false;
  if (marked.has(err)) return true;
  const e = err as ErrorLike;
  if (typeof e.code !== 'string') return typeof e.message === 'string' && PG_CONNECTION_LOST.test(e.message);
  if (typeof e.severity === 'string') return PG_UNAVAILABLE.test(e.code);
  return SQLITE_UNAVAILABLE.test(e.code);
}
