/**
 * A SIGTERM while the mediator's PostgreSQL has gone silent (a host that drops packets: the TCP
 * connections stay open, nothing answers, nothing is refused). The stop used to wait on the
 * outbox's store calls for as long as the database stayed so (each waits out its timeout and is
 * tried again): over ten minutes when tried by hand. Now the process exits once STOP_LIMIT_MS is
 * over, code 1, its log saying what the stop still waited for. Through the real `serve` process
 * and a TCP relay in front of the test PostgreSQL that stops relaying (PostgreSQL tier only).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import t, { type Test } from 'tap';
import { STOP_LIMIT_MS } from '../../../src/cli/serve.js';
import { HOLDER_SPACE } from '../../../src/store/pg-lease-holders.js';
import { freePort, MediatorProcess } from '../../support/openlmis-faults-mediators.js';
import { engineCases } from '../../support/outbox-engines.js';
import { waitFor } from '../../support/wait-for.js';

/** A relay to `target` that, once silenced, passes nothing on either way and answers no new connection. */
async function silenceableRelay(target: URL): Promise<{ port: number; silence(): void; close(): Promise<void> }> {
  const pairs = new Set<[net.Socket, net.Socket]>();
  // Accepted while silent, never read: destroyed by close(). Left, one made server.close() wait
  // for ever: its peer's end (the mediator exited) sits behind the unread startup packet, so the
  // socket never ends, and having read to its end it keeps no handle alive. The test's process
  // ran out of work with that teardown pending, and tap ended it as "test unfinished", reported
  // as "error thrown in teardown" (6 of 12 runs, 4 at once: the mediator's pool opens connections
  // after the silence in most runs).
  const unanswered = new Set<net.Socket>();
  let silent = false;
  const server = net.createServer((client) => {
    client.on('error', () => undefined);
    if (silent) {
      unanswered.add(client); // accepted, never answered
      return;
    }
    const upstream = net.connect(Number(target.port), target.hostname);
    upstream.on('error', () => undefined);
    client.pipe(upstream);
    upstream.pipe(client);
    pairs.add([client, upstream]);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    silence() {
      silent = true;
      for (const [a, b] of pairs) {
        a.unpipe(b);
        b.unpipe(a);
        a.pause();
        b.pause();
      }
    },
    async close() {
      for (const [a, b] of pairs) {
        a.destroy();
        b.destroy();
      }
      for (const c of unanswered) c.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

const engine = engineCases().find((e) => e.name === 'postgres')!;

/** Whether an outbox's lease-holder lock (pg-lease-holders.ts) is held in the database at `url`. */
async function leaseHolderUp(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query(
      `SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 2 AND classid = $1::oid
         AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
      [HOLDER_SPACE],
    );
    return rows.length > 0;
  } finally {
    await client.end();
  }
}

/**
 * A clean-up step whose failure is said, not thrown: the comment names which step and why. (The
 * "error thrown in teardown" seen since session 32 after every assertion had passed was no throw:
 * the relay's close never ended, see silenceableRelay.)
 */
function cleanUp(t: Test, what: string, step: () => unknown): void {
  t.teardown(async () => {
    try {
      await step();
    } catch (err) {
      t.comment(`clean-up ${what} failed: ${err instanceof Error ? err.stack : String(err)}`);
    }
  });
}

t.test(
  'a SIGTERM with the database silent ends the process within the stop limit',
  { skip: engine.skip, timeout: 240_000 },
  async (t) => {
    const db = await engine.freshDatabase();
    cleanUp(t, 'drop the database', db.drop);
    const target = new URL(db.databaseUrl);
    const relay = await silenceableRelay(target);
    cleanUp(t, 'close the relay', () => relay.close());
    const viaRelay = new URL(db.databaseUrl);
    viaRelay.host = `127.0.0.1:${relay.port}`;
    const dir = mkdtempSync(path.join(tmpdir(), 'stop-db-silent-'));
    cleanUp(t, 'remove the data dir', () => rmSync(dir, { recursive: true, force: true }));
    const log = path.join(dir, 'mediator.log');
    const mediator = new MediatorProcess(
      'stop-db-silent',
      {
        DATA_DIR: dir,
        DATABASE_URL: viaRelay.href,
        LOG_LEVEL: 'info',
        AUTH_MODE: 'off',
        OPENLMIS_BASE_URL: '',
        MSUPPLY_BASE_URL: '',
        OPENMRS_BASE_URL: '',
        DHIS2_BASE_URL: '',
      },
      await freePort(),
      log,
    );
    cleanUp(t, 'kill the mediator', () => mediator.kill());
    await mediator.start();
    // the outbox's lease-holder session is opened in the background after start: silenced while it
    // still connected, it was never made, nothing was left for the close to wait on, and the stop
    // ended by itself in ~17 s, code 0 (1 run in 12, session 33). Silenced once it is up, the
    // close waits on it as on every session of a silent database.
    await waitFor('the lease-holder session up', () => leaseHolderUp(target.href), 30_000);
    relay.silence();
    // generous: the limit, plus a loaded host's slack; before, the stop outlasted minutes
    const code = await mediator.stop('SIGTERM', STOP_LIMIT_MS + 30_000);
    t.equal(code, 1, 'the process exits, code 1: its stop was cut');
    const said = readFileSync(log, 'utf8')
      .split('\n')
      .filter((l) => l.includes('stop not done within'));
    t.equal(said.length, 1, 'the log says the stop was cut');
    t.match(
      JSON.parse(said[0]),
      { level: 50, signal: 'SIGTERM', limitMs: STOP_LIMIT_MS, waitingFor: /\w/ },
      'and what it waited for',
    );
  },
);
