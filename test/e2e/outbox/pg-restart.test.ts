/**
 * The mediator's PostgreSQL is stopped (pg_ctl stop -m fast: a patch, a failover) for a few
 * seconds while concurrent clients send orders through the real mediator to the OpenLMIS
 * sandbox, then started again. While it is down: writes are refused at once with a 503
 * OperationOutcome saying the database is unavailable (not a hang), /health answers, /ready
 * reports the store down. After: writes succeed without restarting the mediator, /ready is 200,
 * the outbox drains, every acknowledged order is one requisition and no order is two.
 *
 * It stops a PostgreSQL server of its own (scripts/pg-test-server.sh start, down, up), not the
 * shared one other tests use at the same time.
 */
import { execSync } from 'node:child_process';
import t from 'tap';
import { RIG_AUTH } from '../../support/openlmis-e2e.js';
import {
  assertSettled,
  acknowledged,
  badAnswers,
  ownPgServer,
  PG_SKIP,
  refusedAsUnavailable,
  sendOrder,
  startOutageRig,
  type Answer,
} from './pg-outage-rig.js';

const SKIP = PG_SKIP;

const CLIENTS = 4;
/** Answers before the stop. */
const STOP_AT = 8;
const DOWN_MS = 4_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function probe(url: string): Promise<{ status: number; body: any; ms: number }> {
  const started = Date.now();
  const res = await fetch(url, { headers: { authorization: RIG_AUTH }, signal: AbortSignal.timeout(15_000) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, ms: Date.now() - started };
}

t.test('database stopped and started under traffic', { skip: SKIP, timeout: 300_000 }, async (t) => {
  const server = ownPgServer();
  // teardowns run last first: the mediator and its pool go before the server does
  t.teardown(() => execSync(server.stop, { stdio: 'ignore' }));
  const { rig, store } = await startOutageRig(t, server.url);
  // never leave the server down while the rest is torn down (up fails when it is up already)
  t.teardown(() => {
    try {
      execSync(server.up, { stdio: 'ignore' });
    } catch {
      // it was up
    }
  });
  const warm = await sendOrder(rig, 'RST-WARM', 0);
  t.ok(acknowledged(warm), `a first order is accepted (${warm.status} ${warm.entries.join(',')})`);

  const answers: Answer[] = [];
  const whileDown: Answer[] = [];
  let phase: 'before' | 'down' | 'after' = 'before';
  let next = 0;
  let health: Awaited<ReturnType<typeof probe>> | undefined;
  let ready: Awaited<ReturnType<typeof probe>> | undefined;

  const outage = (async () => {
    while (answers.length < STOP_AT) await sleep(20);
    execSync(server.down, { stdio: 'ignore' });
    phase = 'down';
    const upAt = Date.now() + DOWN_MS;
    health = await probe(`${rig.mediator.url}/health`);
    ready = await probe(`${rig.mediator.url}/ready`);
    await sleep(Math.max(0, upAt - Date.now()));
    execSync(server.up, { stdio: 'ignore' });
    phase = 'after';
  })();
  let sentAfter = 0;
  const client = async () => {
    // send until the database is back and a few more after it
    while (phase !== 'after' || sentAfter < 8) {
      const n = next++;
      const sentWhile = phase;
      if (sentWhile === 'after') sentAfter += 1;
      const a = await sendOrder(rig, `RST-${n}`, n);
      answers.push(a);
      // sent and answered while down: it cannot have been accepted
      if (sentWhile === 'down' && phase === 'down') whileDown.push(a);
      if (phase === 'down') await sleep(50);
    }
  };
  await Promise.all([outage, ...Array.from({ length: CLIENTS }, client)]);

  t.equal(health?.status, 200, `/health answers while the database is down (${health?.ms} ms)`);
  t.equal(ready?.status, 503, `/ready is 503 while it is down (${ready?.ms} ms): ${JSON.stringify(ready?.body)}`);
  t.match(ready?.body?.checks, [{ name: 'store', status: 'down' }], '/ready names the store');
  t.ok(whileDown.length > 0, `${whileDown.length} orders were sent and answered while the database was down`);
  t.same(
    whileDown.filter((a) => !refusedAsUnavailable(a)).map((a) => `${a.order}: ${a.status} in ${a.ms} ms`),
    [],
    // answered while the database was still down: refused at once (pg's connect fails at once),
    // not held until it came back; that some were is asserted above
    'each is refused with a 503 "database unavailable" while the database is down',
  );
  t.same(badAnswers(answers), [], 'every client got the order accepted or a 503 "database unavailable"');

  const after: Answer[] = [];
  for (let i = 0; i < 4; i += 1) after.push(await sendOrder(rig, `RST-AFTER-${i}`, i));
  t.same(
    after.filter((a) => !acknowledged(a)).map((a) => `${a.order}: ${a.status} ${a.entries.join(',')}`),
    [],
    'orders sent after the restart are accepted, with no restart of the mediator',
  );
  const readyAfter = await probe(`${rig.mediator.url}/ready`);
  t.equal(readyAfter.status, 200, `/ready after the restart: ${JSON.stringify(readyAfter.body)}`);

  await assertSettled(t, rig, store, [warm, ...answers, ...after]);
});
