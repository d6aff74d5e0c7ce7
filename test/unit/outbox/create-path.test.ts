/**
 * The store work of one validated create through the routing layer (issue 18), on a real SQLite
 * store: its own lookups go through Store.lookupsAhead, its answer is read back from the upstream
 * object the delivery made (no link or job lookup), and it costs three writes (record, end,
 * first sighting). All three settle at their COMMIT (Store.writesAhead): the delivery's reads
 * overlap the record's fsync and the read-back the end's, and the answer still waits for both. A later read by id
 * still finds it through the link.
 */
import fs from 'node:fs';
import t, { type Test } from 'tap';
import { BusinessRuleError } from '../../../src/domain/errors.js';
import type { Order } from '../../../src/domain/index.js';
import { Outbox } from '../../../src/outbox/outbox.js';
import { createRoutingServices } from '../../../src/routing/index.js';
import type { Connector, WriteResult } from '../../../src/routing/ports.js';
import type { SqliteStore } from '../../../src/store/sqlite.js';
import type { Store } from '../../../src/store/types.js';
import { fhirJson, testApp } from '../../support/app.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';
import { FAST } from '../../support/outbox-fixture.js';
import { supplyRequest } from '../../support/samples.js';

/** An LMIS keeping what it is sent; `gets` counts its reads by id. */
function lmis() {
  const orders = new Map<string, Order>();
  let gets = 0;
  let submits = 0;
  const connector: Connector = {
    system: 'openlmis',
    orders: {
      async get(id) {
        gets++;
        return orders.get(id);
      },
      async search() {
        return { items: [] };
      },
      // the upstream's own check before anything is recorded: one order number it refuses
      async precheck(order) {
        if (order.orderNumber.value === 'REFUSED')
          throw new BusinessRuleError('order REFUSED is refused', 'SupplyRequest.identifier');
      },
      async submit(order, journal): Promise<WriteResult> {
        const id = `req-${journal.idempotencyKey}`;
        submits++;
        orders.set(id, { ...order, id, status: 'active' });
        return { system: 'openlmis', ids: { requisition: id }, status: 'SUBMITTED' };
      },
    },
  };
  return { connector, orders, gets: () => gets, submits: () => submits };
}

/** Counts calls of each Store method, and of the lookups ahead, on the real store. */
function counted(store: Store) {
  const calls: Record<string, number> = {};
  const count = (name: string) => (calls[name] = (calls[name] ?? 0) + 1);
  const proxy = new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        count(String(prop));
        const out = (value as (...a: unknown[]) => unknown).apply(target, args);
        if (prop !== 'lookupsAhead' && prop !== 'writesAhead') return out;
        const ahead = out as Record<string, (...a: unknown[]) => unknown>;
        return Object.fromEntries(
          Object.entries(ahead).map(([k, f]) => [k, (...a: unknown[]) => (count(`ahead.${k}`), f(...a))]),
        );
      };
    },
  });
  return { store: proxy, calls };
}

/** The app over routing, an outbox and a real SQLite store whose calls are counted, delivering to lmis(). */
async function countedApp(t: Test) {
  const { store: real } = await freshStore(engineCases()[0], t);
  const { store, calls } = counted(real);
  const outbox = new Outbox({ store, options: { ...FAST, deadlineMs: 2_000 } });
  const fake = lmis();
  const services = createRoutingServices({ connectors: [fake.connector], outbox, store });
  const { app } = await testApp({ services });
  t.teardown(async () => {
    await outbox.stop();
    await app.close();
  });
  return { real, calls, fake, app };
}

t.test('a create: lookups ahead, three writes, the answer read back from the upstream object', async (t) => {
  const { real, calls, fake, app } = await countedApp(t);
  const before = (real as SqliteStore).commitStats();
  const res = await app.inject({
    method: 'POST',
    url: '/fhir/SupplyRequest',
    headers: fhirJson,
    payload: supplyRequest({ order: 'CP-1' }),
  });
  t.equal(res.statusCode, 201, res.body);
  t.equal(res.json().status, 'active', 'the answer is the upstream object as read back');
  t.equal(fake.gets(), 1, 'read back once from the upstream');
  t.equal(calls.getLink ?? 0, 0, 'no link lookup that waits for the disk');
  t.equal(calls.getJob ?? 0, 0, 'no job lookup that waits for the disk');
  t.ok((calls['ahead.getLink'] ?? 0) >= 1, "the revision's link lookup went ahead");
  t.same(
    [calls.recordWrites ?? 0, calls['ahead.finishJob'], calls['ahead.firstSeen']],
    [1, 1, 1],
    'record on disk before the delivery starts; end settled at its COMMIT, the sighting at once',
  );
  t.same(
    [calls['ahead.recordWrites'] ?? 0, calls.finishJob ?? 0, calls.firstSeen ?? 0],
    [0, 0, 0],
    'neither the end nor the sighting waiting for the disk on their own',
  );
  t.equal(
    calls['ahead.onDisk'],
    3,
    "the accept's sync (before the delivery writes upstream and before the answer); after the end: the answer's wait for the disk, and the outbox's start of that sync",
  );
  // the sighting commits with whatever batch comes next (GroupCommit.writeBehind)
  await real.durable();
  t.equal((real as SqliteStore).commitStats().operations - before.operations, 3, 'three writes in all');
  // a read by id afterwards goes through the link as always, and agrees with the answer
  const read = await app.inject({ method: 'GET', url: `/fhir/SupplyRequest/${res.json().id}`, headers: fhirJson });
  t.equal(read.statusCode, 200);
  t.equal(read.json().status, 'active');
  t.equal(read.json().meta?.lastUpdated, res.json().meta?.lastUpdated, 'the same first sighting');
  t.ok((calls.getLink ?? 0) >= 1, 'the read looked the link up');
});

t.test("a transaction Bundle's writes go through the store as a single create's do", async (t) => {
  const { real, calls, fake, app } = await countedApp(t);
  const entry = (order: string, n: number) => ({
    fullUrl: `urn:uuid:0b6c8a3e-5d1f-4f7a-9c2e-00000000000${n}`,
    resource: supplyRequest({ order }),
    request: { method: 'POST', url: 'SupplyRequest' },
  });
  const res = await app.inject({
    method: 'POST',
    url: '/fhir',
    headers: fhirJson,
    payload: { resourceType: 'Bundle', type: 'transaction', entry: [entry('CP-B1', 1), entry('CP-B2', 2)] },
  });
  t.equal(res.statusCode, 200, res.body);
  t.same(
    res.json().entry.map((e: { response: { status: string } }) => e.response.status),
    ['201 Created', '201 Created'],
    'both entries created',
  );
  t.equal(fake.gets(), 2, 'each read back once from the upstream');
  t.equal(calls.getLink ?? 0, 0, 'no revision lookup that waits for the disk');
  t.ok((calls['ahead.getLink'] ?? 0) >= 2, 'the revisions looked their links up ahead');
  t.same(
    [calls.recordWrites ?? 0, calls['ahead.finishJob'], calls['ahead.firstSeen']],
    [1, 2, 2],
    'one record of both on disk; each end and each first sighting settled at their COMMIT (or at once)',
  );
  t.same(
    [calls['ahead.recordWrites'] ?? 0, calls.finishJob ?? 0, calls.firstSeen ?? 0],
    [0, 0, 0],
    'neither the ends nor the sightings waiting for the disk on their own',
  );
  await real.durable();
  t.same(
    (await real.listJobs({})).map((j) => j.status),
    ['done', 'done'],
    'both ends are stored',
  );
});

t.test('a refusal made after lookups ahead is answered once what they saw is on disk', async (t) => {
  const { store: real } = await freshStore(engineCases()[0], t);
  const { store, calls } = counted(real);
  const outbox = new Outbox({ store, options: { ...FAST, deadlineMs: 2_000 } });
  const services = createRoutingServices({ connectors: [lmis().connector], outbox, store });
  const { app } = await testApp({ services });
  t.teardown(async () => {
    await outbox.stop();
    await app.close();
  });
  const res = await app.inject({
    method: 'POST',
    url: '/fhir/SupplyRequest',
    headers: fhirJson,
    payload: supplyRequest({ order: 'REFUSED' }),
  });
  t.ok(res.statusCode >= 400 && res.statusCode < 500, `refused: ${res.statusCode}`);
  t.equal(calls.recordWrites ?? 0, 0, 'nothing recorded');
  t.equal(calls.lookupsAhead, 1, 'the write made its lookups ahead');
  t.equal(calls.durable, 1, 'and the refusal waited for durable() before it was answered');
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what: () => boolean, ms = 5_000): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(5)) if (what()) return true;
  return what();
}

t.test("the read-back overlaps the fsync of the write's end; the answer waits for it", async (t) => {
  const { store } = await freshStore(engineCases()[0], t);
  const outbox = new Outbox({ store, options: { ...FAST, deadlineMs: 5_000 } });
  const fake = lmis();
  const services = createRoutingServices({ connectors: [fake.connector], outbox, store });
  const { app } = await testApp({ services });
  // every fsync after the upstream write is held: the end's, and the sighting's after it
  const held: (() => void)[] = [];
  const realFsync = fs.fsync;
  fs.fsync = ((fd: number, cb: (err: NodeJS.ErrnoException | null) => void) =>
    fake.submits() > 0 ? held.push(() => realFsync(fd, cb)) : realFsync(fd, cb)) as unknown as typeof fs.fsync;
  const release = () => {
    fs.fsync = realFsync;
    for (const go of held.splice(0)) go();
  };
  t.teardown(async () => {
    release();
    await outbox.stop();
    await app.close();
  });
  let answered = false;
  const answer = app
    .inject({
      method: 'POST',
      url: '/fhir/SupplyRequest',
      headers: fhirJson,
      payload: supplyRequest({ order: 'CP-2' }),
    })
    .then((res) => ((answered = true), res));
  t.ok(await until(() => fake.gets() === 1), 'the upstream object is read back while the fsync of the end is held');
  t.ok(held.length >= 1, 'that fsync is still held');
  await sleep(50);
  t.equal(answered, false, 'no answer before the end is on disk');
  release();
  const res = await answer;
  t.equal(res.statusCode, 201, res.body);
  t.equal(res.json().status, 'active', 'answered with what was read back');
  const job = (await outbox.findByKey('CP-2'))[0] ?? (await store.listJobs({}))[0];
  t.equal(job?.status, 'done', 'the end is stored');
});

t.test(
  'an end settled ahead of the disk is synced though no caller awaits it (answered at the deadline)',
  async (t) => {
    const { store } = await freshStore(engineCases()[0], t);
    const sqlite = store as SqliteStore;
    const outbox = new Outbox({ store, options: { ...FAST, deadlineMs: 2_000 } });
    t.teardown(() => outbox.stop());
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    outbox.register('write', 'slow', async () => {
      await gate;
      return { system: 'slow', ids: { write: 'u1' } };
    });
    const [outcome] = await outbox.acceptWrites(
      [{ flow: 'write', system: 'slow', idempotencyKey: 'late-1', payload: { a: 1 }, deadlineMs: 20 }],
      { endAhead: true },
    );
    t.equal(outcome.kind, 'queued', 'answered at its deadline, before the end');
    const before = sqlite.commitStats();
    release();
    t.ok(await until(() => sqlite.commitStats().commits > before.commits), 'the end committed');
    t.ok(await until(() => sqlite.commitStats().syncs > before.syncs), 'and its fsync ran, nobody waiting for it');
    t.equal((await store.getJob(outcome.jobId))?.status, 'done');
  },
);
