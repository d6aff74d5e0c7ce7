/**
 * A SIGTERM while `serve` is still starting (its store connecting). Before, serve's handlers were
 * installed only once it had started, so the signal ended the process at once (killed by it, as a
 * shell reports 143), where a running server stopped so exits 0: a supervisor stopping a server
 * still starting read a crash. Now the signal is kept, the start finishes and the server stops
 * as it does once running: exit 0, its log saying so. Nothing starts after the signal: the
 * outbox worker, which claimed a due job in the moment before the stop, is not started. Through
 * the real `serve` process and a relay in front of the test PostgreSQL that holds the store's
 * first connections until told (PostgreSQL tier only: a SQLite start gives no moment to hold).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { REPEAT_AFTER_MS } from '../../../src/cli/start-up-signal.js';
import { openStore } from '../../../src/store/index.js';
import { freePort } from '../../support/net.js';
import { engineCases } from '../../support/outbox-engines.js';
import { waitFor } from '../../support/wait-for.js';

const root = path.resolve(import.meta.dirname, '../../..');

/** A relay to `target` holding every connection (accepted, nothing passed on) until go(). */
async function holdingRelay(target: URL) {
  const held: net.Socket[] = [];
  const open: net.Socket[] = [];
  let going = false;
  const relay = (client: net.Socket) => {
    const upstream = net.connect(Number(target.port), target.hostname);
    upstream.on('error', () => undefined);
    client.pipe(upstream);
    upstream.pipe(client);
    client.resume();
    open.push(upstream);
  };
  const server = net.createServer((client) => {
    client.on('error', () => undefined);
    open.push(client);
    if (going) return relay(client);
    client.pause(); // what it sends waits in its buffer, passed on at go()
    held.push(client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    held: () => held.length,
    go() {
      going = true;
      for (const c of held.splice(0)) relay(c);
    },
    async close() {
      for (const s of open) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

const engine = engineCases().find((e) => e.name === 'postgres')!;

/** A job due now in the database: a started worker claims it at once (a propagation is known to every system). */
async function dueJob(databaseUrl: string): Promise<void> {
  const store = await openStore({ databaseUrl });
  try {
    await store.recordWrite({
      id: 'job-due',
      flow: 'propagate',
      system: 'openlmis',
      idempotencyKey: 'propagate|due',
      payloadHash: 'h',
      payload: { registryId: 'r-1', version: 1 },
      status: 'pending',
      attempts: 0,
      nextAttemptAt: Date.now() - 1_000,
      createdAt: Date.now(),
    });
  } finally {
    await store.close();
  }
}

/** The due job as the database has it now. */
async function dueJobNow(databaseUrl: string) {
  const store = await openStore({ databaseUrl });
  try {
    return await store.getJob('job-due');
  } finally {
    await store.close();
  }
}

/** `serve` started on a fresh PostgreSQL database through a holding relay, and what it says. */
async function serveHeld(t: Test) {
  const db = await engine.freshDatabase();
  t.teardown(db.drop);
  await dueJob(db.databaseUrl);
  const relay = await holdingRelay(new URL(db.databaseUrl));
  t.teardown(() => relay.close());
  const viaRelay = new URL(db.databaseUrl);
  viaRelay.host = `127.0.0.1:${relay.port}`;
  const dir = mkdtempSync(path.join(tmpdir(), 'serve-start-signal-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'src/cli/index.ts'), 'serve'], {
    cwd: root,
    env: {
      ...process.env,
      DATA_DIR: dir,
      DATABASE_URL: viaRelay.href,
      HOST: '127.0.0.1',
      PORT: String(await freePort()),
      LOG_LEVEL: 'info',
      AUTH_MODE: 'off',
      OPENLMIS_BASE_URL: '',
      MSUPPLY_BASE_URL: '',
      OPENMRS_BASE_URL: '',
      DHIS2_BASE_URL: '',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  let gone = false;
  void exited.then(() => (gone = true));
  t.teardown(() => {
    if (!gone) child.kill('SIGKILL');
  });
  await waitFor('the store connecting (held by the relay)', () => relay.held() > 0 || gone, 60_000);
  /** `signal` sent while it starts, once it has said so (or ended). */
  const signalled = async (signal: NodeJS.Signals) => {
    child.kill(signal);
    await waitFor('the signal heard, or the process gone', () => /during start-up/.test(out) || gone, 30_000);
  };
  return { child, relay, exited, signalled, out: () => out, gone: () => gone, databaseUrl: db.databaseUrl };
}

t.test(
  'a SIGTERM while serve starts: it starts, then stops as a running server does, exit 0',
  { skip: engine.skip, timeout: 120_000 },
  async (t) => {
    const serve = await serveHeld(t);
    await serve.signalled('SIGTERM');
    serve.relay.go();
    const { code, signal } = await serve.exited;
    t.same({ code, signal }, { code: 0, signal: null }, 'exit 0, as a running server stopped so');
    t.match(serve.out(), /"msg":"shutting down"/, 'stopped as a running server is');
    const job = await dueJobNow(serve.databaseUrl);
    t.match(job, { status: 'pending', attempts: 0 }, 'the due job untouched: no worker started after the signal');
    t.notOk(job?.leaseOwner, 'and never leased');
  },
);

t.test(
  'a second signal while serve still starts, over a second after the first: exit 1 at once',
  { skip: engine.skip, timeout: 120_000 },
  async (t) => {
    const serve = await serveHeld(t);
    await serve.signalled('SIGINT');
    // the operator's second Ctrl-C, not the first passed on twice: a second is the least it takes
    await new Promise((resolve) => setTimeout(resolve, REPEAT_AFTER_MS + 200));
    serve.child.kill('SIGINT');
    const { code, signal } = await serve.exited; // the relay still holds the start
    t.same({ code, signal }, { code: 1, signal: null }, 'exit 1, not left to finish its start');
    t.match(serve.out(), /SIGINT again during start-up: exiting at once/);
  },
);
