/**
 * PostgreSQL stopped and started again under two mediator processes (`serve`) sharing it, while
 * clients send emergency orders to both (the OpenLMIS sandbox behind them): every order accepted is
 * one requisition, none is two, nothing is dead-lettered, and both instances take writes again
 * without a restart. A PostgreSQL server of the test's own (pg-outage-rig.ts's ownPgServer).
 */
import { execSync } from 'node:child_process';
import t from 'tap';
import { startHarness } from '../../unit/sandbox/openlmis/helpers.js';
import { startMediatorProcess, type MediatorProcess } from '../../support/mediator-process.js';
import { openStore } from '../../../src/store/index.js';
import { openLmisEnv, type Rig } from '../../support/openlmis-e2e.js';
import {
  acknowledged,
  deadOrders,
  deliveryProblems,
  drained,
  orderBundle,
  ownPgServer,
  PG_SKIP,
  refusedAsUnavailable,
  type Answer,
} from './pg-outage-rig.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const DOWN_MS = 4_000;

async function send(m: MediatorProcess, lmis: Rig['lmis'], order: string, n: number): Promise<Answer> {
  const started = Date.now();
  const a = await m.fhir('POST', '/fhir', orderBundle({ lmis } as Rig, order, n));
  if (a === 'no answer') return { order, status: 0, entries: [], body: undefined, ms: Date.now() - started };
  const entries = a.status === 200 ? (a.body?.entry ?? []).map((e: any) => String(e.response?.status ?? '')) : [];
  return { order, status: a.status, entries, body: a.body, ms: Date.now() - started };
}

t.test('PostgreSQL restarted under two instances', { skip: PG_SKIP, timeout: 400_000 }, async (t) => {
  const server = ownPgServer();
  t.teardown(() => execSync(server.stop, { stdio: 'ignore' }));
  const lmis = await startHarness();
  t.teardown(() => lmis.sb.close());
  const env = {
    DATABASE_URL: server.url,
    ...openLmisEnv(lmis.sb.url),
    OUTBOX_DEADLINE_MS: '8000',
    OUTBOX_ATTEMPT_TIMEOUT_MS: '8000',
    OUTBOX_LEASE_MS: '10000',
    OUTBOX_BACKOFF_CAP_MS: '3000',
  };
  const a = await startMediatorProcess('two-pg-a', env);
  const b = await startMediatorProcess('two-pg-b', env);
  t.teardown(async () => {
    await a.close();
    await b.close();
  });
  t.teardown(() => {
    try {
      execSync(server.up, { stdio: 'ignore' });
    } catch {
      // it was up
    }
  });
  const answers: Answer[] = [];
  let phase: 'before' | 'down' | 'after' = 'before';
  let next = 0;
  let sentAfter = 0;
  const outage = (async () => {
    while (answers.length < 8) await sleep(20);
    execSync(server.down, { stdio: 'ignore' });
    phase = 'down';
    await sleep(DOWN_MS);
    execSync(server.up, { stdio: 'ignore' });
    phase = 'after';
  })();
  const client = async (m: MediatorProcess) => {
    while (phase !== 'after' || sentAfter < 6) {
      const n = next++;
      if (phase === 'after') sentAfter += 1;
      answers.push(await send(m, lmis, `TWO-RST-${n}`, n));
      if (phase === 'down') await sleep(50);
    }
  };
  await Promise.all([outage, client(a), client(b), client(a), client(b)]);
  t.same(
    answers
      .filter((x) => !acknowledged(x) && !refusedAsUnavailable(x))
      .map(
        (x) => `${x.order}: ${x.status} ${x.entries.join(',')} ${JSON.stringify(x.body?.issue ?? '').slice(0, 200)}`,
      ),
    [],
    'each client got its order accepted or a 503 "database unavailable"',
  );
  const after: Answer[] = [];
  for (const [i, m] of [a, b, a, b].entries()) after.push(await send(m, lmis, `TWO-RST-AFTER-${i}`, i));
  t.same(
    after.filter((x) => !acknowledged(x)).map((x) => `${x.order}: ${x.status}`),
    [],
    'both instances take orders again',
  );
  const store = await openStore({ databaseUrl: server.url });
  t.teardown(() => store.close());
  const counts = await drained(store, 120_000);
  t.match(counts, { pending: 0, 'in-flight': 0 }, `the outbox drained: ${JSON.stringify(counts)}`);
  t.same([...(await deadOrders(store))], [], 'no order dead-lettered');
  t.same(
    deliveryProblems({ lmis } as Rig, [...answers, ...after]),
    [],
    'each accepted order is one requisition, none two',
  );
  t.ok(answers.some(refusedAsUnavailable), 'some orders met the stopped database (503)');
});
