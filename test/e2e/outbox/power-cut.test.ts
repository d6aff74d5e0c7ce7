/**
 * Power-cut style test of group commit (issue 18), on both engines: the real mediator process
 * (harness.ts: app, routing, outbox) takes concurrent FHIR writes and is SIGKILLed the moment a
 * given number of answers has arrived, with more writes still in flight (so batches are open
 * mid-transaction). Reopened afterwards: every acknowledged write is in the store, once, in the
 * state its answer claimed (201: done, 202: kept for delivery); nothing was applied upstream
 * twice. Then a new process drains the outbox and every acknowledged write is upstream exactly once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { startFaultyUpstream } from '../../../sandbox/faulty-upstream/server.js';
import { openStore } from '../../../src/store/index.js';
import { engineCases } from '../../support/outbox-engines.js';
import { killHard } from '../../support/net.js';
import { inventoryReport } from '../../support/samples.js';

const HARNESS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'harness.ts');
const PASSWORD = 'power-cut-secret-Q4x';
const COUNT_SYSTEM = 'https://app.example.org/counts';
const CLIENTS = 24;
/** Answers to wait for before the kill; the clients keep sending until it happens. */
const ANSWERS_BEFORE_KILL = 120;

async function startHarness(env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', HARNESS], {
    env: { ...process.env, ...env, OUTBOX_HARNESS: '1', INSTANCE_ID: `power-cut-${randomUUID().slice(0, 8)}` },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /LISTENING (\d+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`harness exited with ${code} before listening`)));
  });
  return { child, url: `http://127.0.0.1:${port}` };
}

function stockWrite(key: string): string {
  const r = inventoryReport({ qty: 10 });
  r.identifier = [{ system: COUNT_SYSTEM, value: key }];
  return JSON.stringify(r);
}

for (const engine of engineCases()) {
  t.test(`kill -9 right after answers, on ${engine.name}`, { skip: engine.skip, timeout: 180_000 }, async (t) => {
    const db = await engine.freshDatabase();
    t.teardown(db.drop);
    await (await openStore({ databaseUrl: db.databaseUrl })).close(); // schema up front
    const upstream = await startFaultyUpstream();
    t.teardown(() => upstream.close());
    const env = { DATABASE_URL: db.databaseUrl, UPSTREAM_URL: upstream.url, AUTH_PASSWORD: PASSWORD };
    const first = await startHarness(env);
    t.teardown(() => killHard(first.child));

    const answers = new Map<string, number>();
    let sent = 0;
    let killed = false;
    const send = async (key: string) => {
      try {
        const res = await fetch(`${first.url}/fhir/R5/InventoryReport`, {
          method: 'POST',
          headers: {
            'content-type': 'application/fhir+json',
            authorization: `Basic ${Buffer.from(`openhim:${PASSWORD}`).toString('base64')}`,
            'x-openhim-transactionid': randomUUID(),
          },
          body: stockWrite(key),
          signal: AbortSignal.timeout(20_000),
        });
        await res.arrayBuffer();
        if (killed) return; // answered, but after the kill was decided: not counted either way
        answers.set(key, res.status);
        if (answers.size >= ANSWERS_BEFORE_KILL) {
          killed = true;
          first.child.kill('SIGKILL'); // at once, in the callback of the answer that reached the mark
        }
      } catch {
        // no answer: the process died under this request; it is not acknowledged
      }
    };
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        while (!killed && sent < 10_000) await send(`cut-${sent++}`);
      }),
    );
    await killHard(first.child);
    const acknowledged = [...answers].filter(([, s]) => s === 201 || s === 202 || s === 200);
    t.equal(acknowledged.length, answers.size, 'every answer before the kill acknowledged the write');
    t.ok(sent > answers.size, `writes were still in flight at the kill (${sent} sent, ${answers.size} answered)`);

    const store = await openStore({ databaseUrl: db.databaseUrl });
    t.teardown(() => store.close());
    const missing: string[] = [];
    const twice: string[] = [];
    const wrongState: string[] = [];
    for (const [key, status] of acknowledged) {
      const jobs = await store.findJobsByKey(`stock|${COUNT_SYSTEM}|${key}`);
      if (jobs.length === 0) missing.push(key);
      if (jobs.length > 1) twice.push(key);
      if (status === 201 && jobs[0]?.status !== 'done') wrongState.push(`${key}: ${jobs[0]?.status}`);
    }
    t.same(missing, [], `all ${acknowledged.length} acknowledged writes are in the reopened store`);
    t.same(twice, [], 'none of them twice');
    t.same(wrongState, [], 'each one answered 201 is recorded done (its end was on disk before the answer)');
    const appliedTwice = [...upstream.state.applied].filter(([, a]) => a.count > 1).map(([k]) => k);
    t.same(appliedTwice, [], 'nothing was applied upstream twice');

    // a new process takes over the outbox; every acknowledged write reaches the upstream exactly once
    const second = await startHarness(env);
    t.teardown(() => killHard(second.child));
    const until = Date.now() + 60_000;
    let counts = await store.countJobsByStatus();
    while (counts.pending + counts['in-flight'] > 0 && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 200));
      counts = await store.countJobsByStatus();
    }
    t.equal(counts.pending + counts['in-flight'], 0, `the outbox drained: ${JSON.stringify(counts)}`);
    t.same(
      acknowledged.filter(([key]) => upstream.state.applied.get(key)?.count !== 1).map(([key]) => key),
      [],
      'every acknowledged write is upstream exactly once',
    );
  });
}
