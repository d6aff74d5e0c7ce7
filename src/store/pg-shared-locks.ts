import type pg from 'pg';

/** Every distinct key of the names, each tried once: never waits, so the session is never stuck. */
const TRY_ALL_SQL = `WITH keys AS (SELECT DISTINCT hashtext(n) AS k FROM unnest($2::text[]) AS n)
  SELECT k, pg_try_advisory_lock($1, k) AS got FROM keys`;

/** These keys only: other holders' locks share the session (so never pg_advisory_unlock_all). */
const UNLOCK_SQL = 'SELECT pg_advisory_unlock($1, k) FROM unnest($2::int[]) AS k';

/**
 * One PostgreSQL session holding the advisory locks of Store.withLocks that nobody else holds, for
 * every holder in this process at once (a FHIR write locks its resource: every PUT, session 17).
 * Taking them is one statement that never waits, giving them back another; a holder needs no
 * connection of its own. A connection per holder, from a lock pool of 10, made a PUT pay a
 * checkout and a statement per lock, capped the writes held at once at 10, and a holder whose
 * work takes a lock of its own (an OpenLMIS requisition's write ledger, Store.withLock) waited for
 * a connection the holders kept, until their writes gave up.
 *
 * A lock held elsewhere (another instance) is not waited for here: `tryAll` takes none and the
 * caller waits on a connection of its own, as before. Sessions are reentrant, so two names whose
 * hashes collide are both held here at once: only names that differ, which need no exclusion
 * within this process (its KeyedMutex serializes each name). If the session is lost its locks go
 * with it, as a holder's own connection's did; the next `tryAll` opens another.
 */
export class SharedLockSession {
  private current?: { client: pg.Client; ready: Promise<pg.Client> };
  /** The last statement sent: a client takes one at a time (pg 9 refuses a second meanwhile). */
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    /** A new, unconnected client (the store's StoreClient with its socket options). */
    private readonly newClient: () => pg.Client,
    /** The advisory key space (the first key of the two-key form). */
    private readonly space: number,
  ) {}

  /**
   * Takes the lock of every name if none is held elsewhere, and answers how to give them back;
   * undefined (and nothing held) when one is, or the session cannot be had.
   */
  async tryAll(names: string[]): Promise<(() => Promise<void>) | undefined> {
    const client = await this.client().catch(() => undefined);
    if (!client) return undefined;
    let rows: { k: number; got: boolean }[];
    try {
      rows = (await this.inTurn(() => client.query<{ k: number; got: boolean }>(TRY_ALL_SQL, [this.space, names])))
        .rows;
    } catch {
      this.drop(client);
      return undefined;
    }
    const held = rows.filter((r) => r.got).map((r) => r.k);
    const release = () => this.release(client, held);
    if (held.length === rows.length) return release;
    await release();
    return undefined;
  }

  async close(): Promise<void> {
    const current = this.current;
    this.current = undefined;
    await current?.ready.then((c) => c.end()).catch(() => undefined);
  }

  private async release(client: pg.Client, keys: number[]): Promise<void> {
    if (!keys.length) return;
    // a failed unlock means a lost session, whose locks are gone with it
    await this.inTurn(() => client.query(UNLOCK_SQL, [this.space, keys])).catch(() => this.drop(client));
  }

  /** Sends `query` once every statement sent before it is answered. */
  private inTurn<T>(query: () => Promise<T>): Promise<T> {
    const answer = this.tail.then(query);
    this.tail = answer.catch(() => undefined);
    return answer;
  }

  private client(): Promise<pg.Client> {
    if (!this.current) {
      const client = this.newClient();
      const ready = client.connect().then(() => client);
      this.current = { client, ready };
      // a lost connection is heard (not an uncaught 'error'), and the next tryAll opens another
      client.on('error', () => this.drop(client));
      client.on('end', () => this.forget(client));
      ready.catch(() => this.drop(client));
    }
    return this.current.ready;
  }

  private forget(client: pg.Client): void {
    if (this.current?.client === client) this.current = undefined;
  }

  private drop(client: pg.Client): void {
    this.forget(client);
    client.end().catch(() => undefined);
  }
}
