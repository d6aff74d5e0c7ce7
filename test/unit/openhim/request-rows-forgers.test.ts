/**
 * The bound on rows per transaction and writes (store REQUESTS_PER_WRITES, v50) against a forger:
 * a client reaching the mediator directly, who learnt a routed request's transaction id and writes
 * (their idempotency keys) once core routed it, sends requests repeating those writes under that
 * id. Past the bound the rows of others are dropped to keep the one being answered; the routed
 * request's row, kept first, must never be among them, however many forged requests follow, on
 * whichever instance and whatever that instance's clock says, and however many are answered at
 * once. Through the real plugin and store, on SQLite and (with TEST_DATABASE_URL) PostgreSQL.
 */
import Fastify from 'fastify';
import t, { type Test } from 'tap';
import openhimPlugin from '../../../src/openhim/plugin.js';
import { noteTransactionJobs, noteWriteAccepted } from '../../../src/platform/call-recording.js';
import { openStore, type Store } from '../../../src/store/index.js';
import { REQUESTS_PER_WRITES } from '../../../src/store/transaction-requests.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';

const urn = 'urn:mediator:fhir-supply-mediator';
const JOB = '0190c0de-0001-7000-8000-00000000c0c0';

/** An instance as main.ts mounts the plugin on `store`: each request answers 202 with `jobs` accepted. */
async function instanceOn(t: Test, store: Store) {
  const app = Fastify({ logger: false });
  await app.register(openhimPlugin, { urn, recordRequest: (r) => store.recordTransactionRequest(r) });
  app.post('/fhir', async (request, reply) => {
    noteWriteAccepted();
    noteTransactionJobs((request.body as { jobs: string[] }).jobs);
    return reply.code(202).type('application/fhir+json').send({ resourceType: 'Bundle', type: 'batch-response' });
  });
  t.teardown(() => app.close());
  /** One request under `tx` writing `jobs`; the key its envelope names. */
  return async (tx: string, jobs: string[]): Promise<string> => {
    const res = await app.inject({
      method: 'POST',
      url: '/fhir',
      headers: { 'x-openhim-transactionid': tx },
      payload: { jobs },
    });
    t.equal(res.statusCode, 202, 'answered');
    const key = (JSON.parse(res.body) as { properties?: Record<string, string> }).properties?.awaitsUpdateOfRequest;
    if (!key) throw new Error(`no request key in ${res.body}`);
    return key;
  };
}

/** `fn` run on a host whose clock is `behindMs` behind this one's (another instance's, NTP-stepped). */
async function withClockBehind<T>(behindMs: number, fn: () => Promise<T>): Promise<T> {
  const realNow = Date.now;
  Date.now = () => realNow() - behindMs;
  try {
    return await fn();
  } finally {
    Date.now = realNow;
  }
}

const keysOf = async (store: Store, tx: string) => (await store.requestsOfTransaction(tx)).map((r) => r.requestKey);

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    t.test('forged requests after the routed one never drop its row', async (t) => {
      const { store } = await freshStore(engine, t);
      const send = await instanceOn(t, store);
      const tx = '65a0c0ffee0000000000c001';
      const routed = await send(tx, [JOB]);
      for (let i = 0; i < 3 * REQUESTS_PER_WRITES; i++) await send(tx, [JOB]);
      const kept = await keysOf(store, tx);
      t.ok(kept.includes(routed), "the routed request's row kept");
      t.equal(kept.length, REQUESTS_PER_WRITES, 'bounded');
    });

    t.test('forged requests answered by an instance whose clock is behind never drop it', async (t) => {
      const { store, databaseUrl } = await freshStore(engine, t);
      const other = await openStore({ databaseUrl });
      t.teardown(() => other.close());
      const sendA = await instanceOn(t, store);
      const sendB = await instanceOn(t, other);
      const tx = '65a0c0ffee0000000000c002';
      const routed = await sendA(tx, [JOB]);
      // before: rows kept by B stamped earlier than the routed row, so it was "the newest other"
      const forged = await withClockBehind(60_000, async () => {
        const keys: string[] = [];
        for (let i = 0; i < REQUESTS_PER_WRITES + 2; i++) keys.push(await sendB(tx, [JOB]));
        return keys;
      });
      const kept = await keysOf(store, tx);
      t.ok(kept.includes(routed), "the routed request's row kept");
      t.ok(kept.includes(forged.at(-1)!), "the last answered request's row kept");
      t.equal(kept.length, REQUESTS_PER_WRITES, 'bounded');
    });

    t.test('forged requests answered within the same millisecond never drop it', async (t) => {
      const { store } = await freshStore(engine, t);
      const send = await instanceOn(t, store);
      const tx = '65a0c0ffee0000000000c004';
      const realNow = Date.now;
      const frozen = realNow();
      Date.now = () => frozen; // a fast forger: its requests kept within the routed one's millisecond
      t.teardown(() => (Date.now = realNow));
      const routed = await send(tx, [JOB]);
      // before: a tie ordered by the random keys, the routed row kept only if its key was among
      // the smallest (7 in 65 here)
      for (let i = 0; i < 8 * REQUESTS_PER_WRITES; i++) await send(tx, [JOB]);
      Date.now = realNow;
      t.ok((await keysOf(store, tx)).includes(routed), "the routed request's row kept");
    });

    t.test('forged requests answered at once by two instances never drop it', async (t) => {
      const { store, databaseUrl } = await freshStore(engine, t);
      const other = await openStore({ databaseUrl });
      t.teardown(() => other.close());
      const sends = [await instanceOn(t, store), await instanceOn(t, other)];
      const tx = '65a0c0ffee0000000000c003';
      const routed = await sends[0](tx, [JOB]);
      const forged = await Promise.all(
        Array.from({ length: 4 * REQUESTS_PER_WRITES }, (_, i) => sends[i % 2](tx, [JOB])),
      );
      t.equal(new Set(forged).size, forged.length, 'each answered, under a key of its own');
      const kept = await keysOf(store, tx);
      t.ok(kept.includes(routed), "the routed request's row kept");
      await sends[1](tx, [JOB]);
      t.equal((await keysOf(store, tx)).length, REQUESTS_PER_WRITES, 'bounded again once one is answered alone');
    });
  });
}
