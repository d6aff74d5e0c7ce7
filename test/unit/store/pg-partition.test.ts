/**
 * A network partition between the mediator and PostgreSQL after the connections were made: no
 * reset, no refusal, the packets just go nowhere. Before, a statement on such a connection waited
 * for TCP keep-alive to give up (about 11 minutes of kernel probes); now it fails after the pool's
 * query timeout as "database away" (a 503, a delivery retried uncharged), its connection is
 * destroyed rather than pooled half-broken, and the store works again once the network does. A
 * TCP proxy in the test stands between the pool and the test PostgreSQL and stops forwarding.
 * PostgreSQL tier: needs TEST_DATABASE_URL (scripts/pg-test-server.sh).
 */
import pg from 'pg';
import t from 'tap';
import { isDatabaseAway } from '../../../src/store/database-away.js';
import { PostgresStore } from '../../../src/store/postgres.js';
import { engineCases } from '../../support/outbox-engines.js';
import { proxyTo, throughProxy } from '../../support/silent-proxy.js';
import { within } from '../../support/within.js';

const postgres = engineCases().find((e) => e.name === 'postgres')!;
const AUDIT = { actor: 'test', action: 'outbox.retry', subject: 'none' };

t.test(
  'partitioned from PostgreSQL: a statement fails as the database away, then the store recovers',
  { skip: postgres.skip },
  async (t) => {
    const db = await postgres.freshDatabase();
    t.teardown(db.drop);
    const target = new URL(db.databaseUrl);
    const proxy = await proxyTo(target);
    t.teardown(() => proxy.close());
    // one connection: a half-broken one given back to the pool would be the next statement's
    const store = new PostgresStore(throughProxy(db.databaseUrl, proxy), 1, {
      connectTimeoutMs: 1_000,
      queryTimeoutMs: 1_000,
    });
    t.teardown(() => store.close().catch(() => undefined));
    await store.migrate();
    t.equal(await store.getJob('none'), undefined, 'working through the proxy');

    proxy.partition();
    const inTransaction = await within(store.requeueJob('none', AUDIT, Date.now()), 15_000);
    t.not(inTransaction, 'still waiting', 'a statement in a transaction does not wait for TCP keep-alive');
    if (inTransaction === 'still waiting') return;
    t.ok(isDatabaseAway(inTransaction.error), `known as the database away: ${String(inTransaction.error)}`);
    const single = await within(store.getJob('none'), 15_000);
    t.not(single, 'still waiting', 'nor a single statement');
    if (single === 'still waiting') return;
    t.ok(isDatabaseAway(single.error), `known as the database away: ${String(single.error)}`);

    proxy.heal();
    const read = await within(store.getJob('none'), 15_000);
    t.same(read, { value: undefined }, 'the network back: a read works (on a new connection, not the silent one)');
    const write = await within(store.requeueJob('none', AUDIT, Date.now()), 15_000);
    t.same(write, { value: undefined }, 'and a transaction');
  },
);

t.test(
  'partitioned while waiting for a lock another instance holds: the wait fails as the database away',
  { skip: postgres.skip },
  async (t) => {
    const db = await postgres.freshDatabase();
    t.teardown(db.drop);
    const proxy = await proxyTo(new URL(db.databaseUrl));
    t.teardown(() => proxy.close());
    const store = new PostgresStore(throughProxy(db.databaseUrl, proxy), 2, {
      connectTimeoutMs: 1_000,
      queryTimeoutMs: 1_000,
    });
    t.teardown(() => store.close().catch(() => undefined));
    await store.migrate();

    // another instance, reached directly, holds the lock until told
    const other = new PostgresStore(db.databaseUrl, 2);
    let release!: () => void;
    let taken!: () => void;
    const held = new Promise<void>((r) => (taken = r));
    void other.withLock(
      'ledger:R-1',
      () =>
        new Promise<void>((r) => {
          release = r;
          taken();
        }),
    );
    await held;
    const look = new pg.Client({ connectionString: db.databaseUrl });
    await look.connect();
    t.teardown(async () => {
      release();
      await other.close();
      await look.end();
    });

    const waiting = store.withLock('ledger:R-1', async () => 'ran', { waitMs: 3_000 });
    // the partition comes once the wait is in PostgreSQL, on a connection of the lock pool
    const waitsInPostgres = async () =>
      (
        await look.query(
          "SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
        )
      ).rowCount === 1;
    while (!(await waitsInPostgres())) await new Promise((r) => setTimeout(r, 20));
    proxy.partition();
    const outcome = await within(waiting, 15_000);
    t.not(outcome, 'still waiting', 'the lock wait does not outlast its lock_timeout and query timeout');
    if (outcome === 'still waiting') return;
    t.ok(isDatabaseAway(outcome.error), `known as the database away: ${String(outcome.error)}`);

    proxy.heal();
    release();
    const again = await within(
      store.withLock('ledger:R-1', async () => 'ran', { waitMs: 3_000 }),
      15_000,
    );
    t.same(again, { value: 'ran' }, 'the network back and the lock free: taken again (on new connections)');
  },
);
