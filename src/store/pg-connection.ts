import pg from 'pg';
import { markDatabaseAway } from './database-away.js';

/**
 * The pg client the store's pools make: every error of its connection to the server (Node's
 * socket errors: refused, reset, a DNS failure; a TLS failure) is marked as the database's
 * (database-away.ts) before pg hands it to the query or connect that fails with it. Without the
 * mark a `connect ECONNREFUSED` from a restarting PostgreSQL looked like an upstream's: a delivery
 * attempt that failed on it counted against the upstream's circuit breaker and its retry budget.
 * One listener per connection, nothing per query.
 */
export class StoreClient extends pg.Client {
  constructor(config?: string | pg.ClientConfig) {
    super(config);
    this.connection.prependListener('error', markDatabaseAway);
  }
}
