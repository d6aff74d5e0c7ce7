/**
 * A draft and its delivery's completion accepted by two instances whose clocks differ
 * (routing/delivery-overtaken.ts): each job's created_at is its instance's clock, up to 5 s off
 * the PostgreSQL server's, so by the stamps a completion accepted after the draft could read as
 * earlier (the draft sent after it, reopening what it completed) and a draft saved after the
 * completion as earlier (superseded, never sent, where its connector refuses it). The store's own
 * order decides instead (Store.acceptedAfter: PostgreSQL's accept_seq, SQLite's rowid). On
 * PostgreSQL through two store handles, the stamps each instance would write; on SQLite (one
 * process, one clock) the same stamps through one.
 */
import t, { type Test } from 'tap';
import { storeOrder } from '../../../src/routing/delivery-overtaken.js';
import { DELIVERIES } from '../../../src/routing/flows.js';
import { openStore } from '../../../src/store/index.js';
import type { NewJob, Store } from '../../../src/store/types.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';
import { newJob } from '../../support/new-job.js';

const APP = 'https://app.example.org/deliveries';
const KEY = `delivery|${APP}|DL-SKEW`;
/** Server time of the first write; instance A's clock reads AHEAD more, B's is the server's. */
const T = 50_000_000;
const AHEAD = 3_000;

function delivery(id: string, status: 'in-progress' | 'completed', createdAt: number): NewJob {
  return newJob(id, {
    flow: 'delivery',
    idempotencyKey: status === 'in-progress' ? `${KEY}|in-progress` : KEY,
    payload: { status, identifier: { system: APP, value: 'DL-SKEW' } },
    createdAt,
  });
}

/** The completion recorded by `store` and delivered: in flight under its lease, then done. */
async function deliveredCompletion(store: Store, createdAt: number): Promise<boolean> {
  const lease = { status: 'in-flight' as const, leaseOwner: 'B', leaseUntil: createdAt + 60_000 };
  await store.recordWrite({ ...delivery('completion', 'completed', createdAt), ...lease });
  const result = { system: 'openlmis', ids: { proofOfDelivery: 'pod-1' }, status: 'completed' };
  return store.finishJob('completion', 'B', { status: 'done', result }, createdAt + 1);
}

async function twoInstances(engine: ReturnType<typeof engineCases>[number], t: Test): Promise<[Store, Store]> {
  const { store: a, databaseUrl } = await freshStore(engine, t);
  if (engine.name !== 'postgres') return [a, a];
  const b = await openStore({ databaseUrl });
  t.teardown(() => b.close());
  return [a, b];
}

async function overtaken(store: Store, draftId: string) {
  const [draft] = (await store.findJobsByKey(`${KEY}|in-progress`)).filter((j) => j.id === draftId);
  const jobsUnder = (key: string) => store.findJobsByKey(key);
  return DELIVERIES.overtaken!(draft, jobsUnder, false, undefined, storeOrder(store));
}

for (const engine of engineCases()) {
  t.test(
    `a completion accepted after the draft by a clock behind (${engine.name})`,
    { skip: engine.skip },
    async (t) => {
      const [a, b] = await twoInstances(engine, t);
      // A (ahead) accepts the draft at server time T; B accepts the completion a second later
      await a.recordWrite(delivery('draft', 'in-progress', T + AHEAD));
      t.ok(await deliveredCompletion(b, T + 1_000), 'the completion delivered');
      for (const [name, store] of [
        ['A', a],
        ['B', b],
      ] as const)
        t.match(await overtaken(store, 'draft'), { status: 'superseded' }, `read by ${name}: superseded, not sent`);
    },
  );

  t.test(`a draft saved after the completion by a clock behind (${engine.name})`, { skip: engine.skip }, async (t) => {
    const [a, b] = await twoInstances(engine, t);
    // A (ahead) accepts the completion at server time T; B accepts a new draft a second later
    t.ok(await deliveredCompletion(a, T + AHEAD), 'the completion delivered');
    await b.recordWrite(delivery('draft', 'in-progress', T + 1_000));
    for (const [name, store] of [
      ['A', a],
      ['B', b],
    ] as const)
      t.equal(await overtaken(store, 'draft'), undefined, `read by ${name}: left to its connector, which refuses it`);
  });
}
