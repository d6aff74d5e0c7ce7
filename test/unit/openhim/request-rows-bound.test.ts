/**
 * The bound on the rows kept per transaction and writes (store REQUESTS_PER_WRITES, v50): a client
 * reaching the mediator directly can repeat a routed request's writes (their idempotency keys)
 * under its transaction id, each request kept under a key of its own. The request being answered
 * always keeps its row (its 202 envelope names its key: it may be the one core routed), another's
 * is dropped instead and that is logged, without keys or secrets; and the same writes in another
 * order count as the same writes. Through the real plugin and store, on SQLite and (with
 * TEST_DATABASE_URL) PostgreSQL.
 */
import { Writable } from 'node:stream';
import Fastify from 'fastify';
import t, { type Test } from 'tap';
import openhimPlugin from '../../../src/openhim/plugin.js';
import { noteTransactionJobs, noteWriteAccepted } from '../../../src/platform/call-recording.js';
import type { Store } from '../../../src/store/index.js';
import { REQUESTS_PER_WRITES } from '../../../src/store/transaction-requests.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';

const urn = 'urn:mediator:fhir-supply-mediator';
const JOB_A = '0190c0de-0001-7000-8000-00000000a0a0';
const JOB_B = '0190c0de-0001-7000-8000-00000000b0b0';

/** The app as main.ts mounts the plugin on `store`; each request answers 202 with `jobs` accepted. */
async function appOn(t: Test, store: Store) {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      done();
    },
  });
  const app = Fastify({ logger: { level: 'warn', stream } });
  await app.register(openhimPlugin, { urn, recordRequest: (r) => store.recordTransactionRequest(r) });
  app.post('/fhir', async (request, reply) => {
    noteWriteAccepted();
    const { jobs } = request.body as { jobs: string[] };
    noteTransactionJobs(jobs);
    // its Bundle's entry map, under this request's key (as recordWrites keeps it)
    const tx = request.headers['x-openhim-transactionid'] as string;
    const entries = jobs.map((_, entry) => ({ entry, answer: { status: '202 Accepted' } }));
    await store.recordTransactionEntries({ transactionId: tx, count: jobs.length, entries });
    return reply.code(202).type('application/fhir+json').send({ resourceType: 'Bundle', type: 'batch-response' });
  });
  t.teardown(() => app.close());
  /** One request under `tx` whose writes are `jobs` (in this order); the key its envelope names. */
  const send = async (tx: string, jobs: string[]): Promise<string> => {
    const res = await app.inject({
      method: 'POST',
      url: '/fhir',
      headers: { 'x-openhim-transactionid': tx },
      payload: { jobs },
    });
    const key = (JSON.parse(res.body) as { properties?: Record<string, string> }).properties?.awaitsUpdateOfRequest;
    t.ok(key, 'the envelope names the request');
    return key!;
  };
  const warnings = () => lines.filter((l) => Number(l.level) >= 40);
  return { send, warnings };
}

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    t.test('the request being answered keeps its row past the bound; the drop is logged', async (t) => {
      const { store } = await freshStore(engine, t);
      const { send, warnings } = await appOn(t, store);
      const tx = '65a0c0ffee0000000000b001';
      const forged: string[] = [];
      for (let i = 0; i < REQUESTS_PER_WRITES; i++) forged.push(await send(tx, [JOB_A]));
      t.same(warnings(), [], 'nothing dropped up to the bound');

      const routed = await send(tx, [JOB_A]);
      const kept = (await store.requestsOfTransaction(tx)).map((r) => r.requestKey);
      // before: its row not kept (the bound reached), silently; its update shaped without it
      t.ok(kept.includes(routed), "the answered request's row kept");
      t.equal(kept.length, REQUESTS_PER_WRITES, 'still at most the bound');
      t.ok(
        kept.every((key) => key === routed || forged.includes(key ?? '')),
        "one of the others' dropped",
      );

      const [warning] = warnings();
      t.match(warning, { openhimTransactionId: tx, writes: '00000000a0a0', dropped: 1 }, 'the drop logged');
      const logged = JSON.stringify(warnings());
      t.notOk(
        [...forged, routed].some((key) => logged.includes(key)),
        'no request key logged',
      );

      const later = await send(tx, [JOB_A]);
      const now = (await store.requestsOfTransaction(tx)).map((r) => r.requestKey);
      t.ok(now.includes(later) && now.length === REQUESTS_PER_WRITES, 'the next one keeps its row as well');
    });

    // each forged request's map stayed when its row was dropped: the update of the transaction read
    // every map under its id, as many as the forger sent
    t.test("a dropped request's entry map goes with its row", async (t) => {
      const { store } = await freshStore(engine, t);
      const { send } = await appOn(t, store);
      const tx = '65a0c0ffee0000000000b003';
      for (let i = 0; i < 3 * REQUESTS_PER_WRITES; i++) await send(tx, [JOB_A, JOB_B]);
      const kept = new Set((await store.requestsOfTransaction(tx)).map((r) => r.requestKey));
      const mapped = new Set((await store.entriesOfTransaction(tx)).map((e) => e.requestKey));
      t.equal(kept.size, REQUESTS_PER_WRITES, 'rows bounded');
      t.same([...mapped].sort(), [...kept].sort(), `only the kept requests' maps (${mapped.size})`);
    });

    t.test('the same writes in another order are counted as the same writes', async (t) => {
      const { store } = await freshStore(engine, t);
      const { send, warnings } = await appOn(t, store);
      const tx = '65a0c0ffee0000000000b002';
      for (let i = 0; i < REQUESTS_PER_WRITES + 2; i++) await send(tx, i % 2 ? [JOB_B, JOB_A] : [JOB_A, JOB_B]);
      const rows = await store.requestsOfTransaction(tx);
      // before: 10 rows, 5 of each spelling, each under the bound
      t.equal(rows.length, REQUESTS_PER_WRITES, 'bounded together');
      t.ok(
        rows.every((r) => r.jobIds.length === 2 && r.jobIds.includes(JOB_A) && r.jobIds.includes(JOB_B)),
        'each row names both writes',
      );
      t.equal(warnings().length, 2, 'each drop logged');
      // another transaction's and other writes' rows are their own
      await send(tx, [JOB_A]);
      t.equal(
        (await store.requestsOfTransaction(tx)).length,
        REQUESTS_PER_WRITES + 1,
        'other writes: a row of their own',
      );
    });
  });
}
