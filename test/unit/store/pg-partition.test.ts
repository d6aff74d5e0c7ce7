/**
 * A network partition between the mediator and PostgreSQL after the connections were made: no
 * reset, no refusal, the packets just go nowhere. Before, a statement on such a connection waited
 * for TCP keep-alive to give up (about 11 minutes of kernel probes); now it fails after the pool's
 * query timeout as "database away" (a 503, a delivery retried uncharged), its connection is
 * destroyed rather than pooled half-broken, and the store works again once the network does. A
 * TCP proxy in the test stands between the pool and the test PostgreSQL and stops forwarding.
 * PostgreSQL tier: needs TEST_DATABASE_URL (scripts/pg-test-server.sh).
 */
import net from 'node:net';
import t from 'tap';
import { isDatabaseAway } from '../../../src/store/database-away.js';
import { PostgresStore } from '../../../src/store/postgres.js';
import { engineCases } from '../../support/outbox-engines.js';

interface Proxy {
  port: number;
  /** Every connection made so far goes silent for good; new ones too while `silent`. */
  partition(): void;
  /** New connections are forwarded again (the ones cut off stay dead, as after a real partition). */
  heal(): void;
  close(): Promise<void>;
}

/** Forwards TCP to `target`, until told to drop every byte both ways without closing anything. */
async function proxyTo(target: URL): Promise<Proxy> {
  const sockets = new Set<net.Socket>();
  let silent = false;
  const cut = new WeakSet<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => sockets.delete(s));
    }
    if (silent) cut.add(client);
    const forward = (from: net.Socket, to: net.Socket) =>
      from.on('data', (chunk) => {
        if (!cut.has(client)) to.write(chunk);
      });
    forward(client, upstream);
    forward(upstream, client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    partition() {
      silent = true;
      for (const s of sockets) cut.add(s);
    },
    heal() {
      silent = false;
    },
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** The outcome of a promise, or 'still waiting' after `ms` (a hang fails the test, not its timeout). */
function within<T>(p: Promise<T>, ms: number): Promise<{ value?: T; error?: unknown } | 'still waiting'> {
  return Promise.race([
    p.then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    ),
    new Promise<'still waiting'>((resolve) => setTimeout(() => resolve('still waiting'), ms).unref()),
  ]);
}

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
    const viaProxy = new URL(db.databaseUrl);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
    // one connection: a half-broken one given back to the pool would be the next statement's
    const store = new PostgresStore(viaProxy.toString(), 1, { connectTimeoutMs: 1_000, queryTimeoutMs: 1_000 });
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
