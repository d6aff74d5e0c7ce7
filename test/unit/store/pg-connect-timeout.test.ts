/**
 * A PostgreSQL server that stops answering (a network partition, a host gone without a reset)
 * must not hang the mediator: opening a connection gives up after the store's connect timeout
 * with an error the rest of the mediator knows as "database away" (a 503, a delivery retried
 * uncharged). The stand-in accepts TCP connections and never says a word, as such a server does.
 * No PostgreSQL needed: the driver never gets past its start-up message.
 */
import net from 'node:net';
import t from 'tap';
import { isDatabaseAway } from '../../../src/store/database-away.js';
import { PostgresStore } from '../../../src/store/postgres.js';
import { within } from '../../support/within.js';

async function silentServer(): Promise<{ port: number; sockets: net.Socket[]; close(): Promise<void> }> {
  const sockets: net.Socket[] = [];
  const server = net.createServer((socket) => {
    sockets.push(socket);
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    sockets,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

t.test('a server that accepts and never answers: start-up gives up with "database away"', async (t) => {
  const server = await silentServer();
  t.teardown(() => server.close());
  const store = new PostgresStore(`postgres://mediator@127.0.0.1:${server.port}/mediator`, 2, {
    connectTimeoutMs: 300,
  });
  t.teardown(() => store.close().catch(() => undefined));
  const outcome = await within(store.migrate(), 20_000);
  t.not(outcome, 'still waiting', 'the migration did not wait for the silent server without end');
  if (outcome === 'still waiting') return;
  t.ok(outcome.error, 'the migration failed');
  t.ok(isDatabaseAway(outcome.error), `known as the database away: ${String(outcome.error)}`);
  t.ok(server.sockets.length >= 1, 'the driver did reach the server (a connection was opened, then abandoned)');
});

t.test('a query later, once the server has gone silent, fails the same way', async (t) => {
  const server = await silentServer();
  t.teardown(() => server.close());
  const store = new PostgresStore(`postgres://mediator@127.0.0.1:${server.port}/mediator`, 2, {
    connectTimeoutMs: 300,
  });
  t.teardown(() => store.close().catch(() => undefined));
  const outcome = await within(store.getJob('no-such-job'), 20_000);
  t.not(outcome, 'still waiting');
  if (outcome === 'still waiting') return;
  t.ok(isDatabaseAway(outcome.error), `a read answers "database away": ${String(outcome.error)}`);
});

t.test('a lock, once the server has gone silent, fails the same way', async (t) => {
  const server = await silentServer();
  t.teardown(() => server.close());
  const store = new PostgresStore(`postgres://mediator@127.0.0.1:${server.port}/mediator`, 2, {
    connectTimeoutMs: 300,
  });
  t.teardown(() => store.close().catch(() => undefined));
  // the shared lock session cannot be had, so the lock is asked on a connection of the lock pool
  const outcome = await within(
    store.withLock('ledger:R-1', async () => t.fail('must not run')),
    20_000,
  );
  t.not(outcome, 'still waiting', 'the lock pool did not wait for the silent server without end');
  if (outcome === 'still waiting') return;
  t.ok(isDatabaseAway(outcome.error), `a lock answers "database away": ${String(outcome.error)}`);
});
