/**
 * A PostgreSQL client the pool let go of, or checked out through pool.query, can still emit
 * 'error' (a server's FATAL 57P01 on pg_terminate_backend, then the socket's end). With no
 * listener, Node throws it: the process died (CI, the connections-cut test, once in a run). Every
 * client the store's pools make now keeps a listener for its whole life.
 */
import t from 'tap';
import type pg from 'pg';
import { openStore } from '../../../src/store/index.js';

const url = process.env.TEST_DATABASE_URL;

t.test(
  'a late error on a pooled client is heard, not thrown',
  { skip: url ? false : 'PostgreSQL tier skipped: TEST_DATABASE_URL is not set' },
  async (t) => {
    const store = await openStore({ databaseUrl: url! });
    t.teardown(() => store.close());
    const pool = (store as unknown as { pool: pg.Pool }).pool;
    // checked out (as pool.query does, whose own listener is gone once the query answered)
    const client = await pool.connect();
    t.doesNotThrow(
      () => client.emit('error', new Error('terminating connection due to administrator command')),
      'an error between queries is heard',
    );
    client.release(true);
    t.ok(await store.getJob('none').then(() => true), 'the store still answers');
  },
);
