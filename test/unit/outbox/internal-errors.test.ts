/**
 * A programming error in a delivery handler (a TypeError in a connector) fails its job once,
 * visibly: dead-lettered after one attempt, logged at error level with the stack, audited, the
 * client answered 500 without the message; it never counts toward the circuit breaker, so other
 * writes to the same system go through at once; an operator retries it after the fix. Network
 * failures (ECONNRESET, fetch's wrapped cause) stay transient and do open the breaker.
 */
import t from 'tap';
import { UpstreamError, isUnknownUpstreamOutcome } from '../../../src/domain/errors.js';
import { defaultErrorFactory, malformedAnswer, unknownWriteOutcome } from '../../../src/upstream/errors.js';
import { faultyUpstreamHandlers } from '../../../sandbox/faulty-upstream/handlers.js';
import { AttemptTimeoutError } from '../../../src/outbox/errors.js';
import { classifyFailure, countsAgainstSystem } from '../../../src/outbox/failures.js';
import { isDatabaseAway } from '../../../src/store/database-away.js';
import { retryOutboxJob } from '../../../src/outbox/operator.js';
import { Outbox } from '../../../src/outbox/outbox.js';
import { createRoutingServices } from '../../../src/routing/index.js';
import { openStore } from '../../../src/store/index.js';
import type { Connector, StepJournal } from '../../../src/routing/ports.js';
import { fhirJson, testApp } from '../../support/app.js';
import { supplyRequest } from '../../support/samples.js';
import type { WriteOutcome } from '../../../src/outbox/types.js';
import { engineCases } from '../../support/outbox-engines.js';
import { freePort } from '../../support/net.js';
import { FAST, outboxFixture, waitFor } from '../../support/outbox-fixture.js';
import { capturingLogger } from '../../support/capturing-logger.js';

const sysErr = (code: string, message = code) => Object.assign(new Error(message), { code });

t.test('failure classification', async (t) => {
  const cases: [string, unknown, string, boolean][] = [
    ['TypeError', new TypeError("Cannot read properties of undefined (reading 'code')"), 'internal', false],
    ['ReferenceError', new ReferenceError('x is not defined'), 'internal', false],
    ['RangeError', new RangeError('Invalid time value'), 'internal', false],
    ['SyntaxError', new SyntaxError('Unexpected token < in JSON'), 'internal', false],
    ['a plain Error', new Error('unexpected'), 'internal', false],
    ['a thrown string', 'boom', 'internal', false],
    ['undici invalid argument (our request)', sysErr('UND_ERR_INVALID_ARG'), 'internal', false],
    ['ECONNRESET', sysErr('ECONNRESET', 'socket hang up'), 'transient', true],
    // one odd endpoint or record must not open the breaker on the system's healthy writes
    [
      'an answer of another shape',
      malformedAnswer('msupply', 'requisition answered no lines page'),
      'transient',
      false,
    ],
    ['a pager past its limit', malformedAnswer('openmrs', 'kept paging', undefined, 'too-costly'), 'transient', false],
    [
      'a lost answer (a proxy page)',
      unknownWriteOutcome({ system: 'x', diagnostics: 'a page', make: defaultErrorFactory }),
      'transient',
      true,
    ],
    ['ECONNREFUSED', sysErr('ECONNREFUSED'), 'transient', true],
    ['EPIPE', sysErr('EPIPE'), 'transient', true],
    ['ETIMEDOUT', sysErr('ETIMEDOUT'), 'transient', true],
    ['ENOTFOUND', sysErr('ENOTFOUND'), 'transient', true],
    ['EAI_AGAIN', sysErr('EAI_AGAIN'), 'transient', true],
    ['undici socket', sysErr('UND_ERR_SOCKET', 'other side closed'), 'transient', true],
    ['undici headers timeout', sysErr('UND_ERR_HEADERS_TIMEOUT'), 'transient', true],
    [
      "fetch's TypeError wrapping a reset",
      new TypeError('fetch failed', { cause: sysErr('ECONNRESET') }),
      'transient',
      true,
    ],
    [
      'a connect AggregateError',
      new TypeError('fetch failed', { cause: new AggregateError([sysErr('ECONNREFUSED'), sysErr('ECONNREFUSED')]) }),
      'transient',
      true,
    ],
    ['AbortError', Object.assign(new Error('aborted'), { name: 'AbortError' }), 'transient', true],
    ['TimeoutError', Object.assign(new Error('timed out'), { name: 'TimeoutError' }), 'transient', true],
    ['AttemptTimeoutError', new AttemptTimeoutError(100), 'transient', true],
    [
      'a transient UpstreamError',
      new UpstreamError({ system: 'x', transient: true, diagnostics: '503' }),
      'transient',
      true,
    ],
    ['a refusal', new UpstreamError({ system: 'x', transient: false, diagnostics: '422' }), 'refused', false],
    // our database failing: retried, charged to neither the upstream's breaker nor the attempts
    [
      'PostgreSQL gone (57P01)',
      Object.assign(new Error('terminating connection'), { code: '57P01', severity: 'FATAL' }),
      'store',
      false,
    ],
    ['pg connection lost', new Error('Connection terminated unexpectedly'), 'store', false],
    // pg's answer on a checked-out client whose connection was cut (pg_terminate_backend, a restart)
    ['pg client cut', new Error('Client has encountered a connection error and is not queryable'), 'store', false],
    [
      'a read-only standby (25006)',
      Object.assign(new Error('cannot execute INSERT in a read-only transaction'), {
        code: '25006',
        severity: 'ERROR',
      }),
      'store',
      false,
    ],
    // the server refusing our login (a password rotated on the server first) or missing the database
    [
      'PostgreSQL refusing the password (28P01)',
      Object.assign(new Error('password authentication failed for user "mediator"'), {
        code: '28P01',
        severity: 'FATAL',
      }),
      'store',
      false,
    ],
    [
      'PostgreSQL without the database (3D000)',
      Object.assign(new Error('database "mediator" does not exist'), { code: '3D000', severity: 'FATAL' }),
      'store',
      false,
    ],
    ['SQLITE_BUSY', sysErr('SQLITE_BUSY'), 'store', false],
    ['SQLite failing to write (SQLITE_IOERR_WRITE)', sysErr('SQLITE_IOERR_WRITE', 'disk I/O error'), 'store', false],
    ['SQLite disk full', sysErr('SQLITE_FULL', 'database or disk is full'), 'store', false],
    ['a bug in our SQL (SQLITE_ERROR)', sysErr('SQLITE_ERROR', 'no such column: x'), 'internal', false],
    [
      'PostgreSQL refusing a value (22P05)',
      Object.assign(new Error('unsupported Unicode escape sequence'), { code: '22P05', severity: 'ERROR' }),
      'internal',
      false,
    ],
  ];
  for (const [label, err, kind, counts] of cases) {
    t.equal(classifyFailure(err), kind, `${label}: ${kind}`);
    t.equal(countsAgainstSystem(err), counts, `${label}: ${counts ? 'counts' : 'does not count'} toward the breaker`);
  }
});

// the server answered: a retry after an odd answer does not wait outbox.settleMs for a write in flight
t.test('an answer of another shape is a known outcome', async (t) => {
  t.notOk(isUnknownUpstreamOutcome(malformedAnswer('dhis2', 'GET /api/tracker/events answered no events page')));
  t.ok(isUnknownUpstreamOutcome(unknownWriteOutcome({ system: 'x', diagnostics: 'cut', make: defaultErrorFactory })));
});

// a request that failed on the database answers 503, not 500 (fhir/outcome.ts)
t.test('the database away, as a request sees it', async (t) => {
  // pg's real error for a server that is not there: Node's `connect ECONNREFUSED`, marked by the
  // store's connection; the same code from anyone else (an upstream) is not the database's
  const refused = await openStore({ databaseUrl: `postgres://mediator@127.0.0.1:${await freePort()}/none` }).then(
    () => undefined,
    (err: unknown) => err,
  );
  t.match(refused, { code: 'ECONNREFUSED', syscall: 'connect' });
  t.ok(isDatabaseAway(refused), 'pg connecting to a stopped server');
  t.equal(classifyFailure(refused), 'store', 'a delivery failing on it is our database failing');
  t.notOk(countsAgainstSystem(refused), 'not counted against the upstream');
  const upstreamRefused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), {
    code: 'ECONNREFUSED',
    syscall: 'connect',
  });
  t.notOk(isDatabaseAway(upstreamRefused), 'an upstream refusing is not the database');
  t.ok(countsAgainstSystem(upstreamRefused), 'and counts against the upstream');
  t.ok(
    isDatabaseAway(Object.assign(new Error('shutting down'), { code: '57P03', severity: 'FATAL' })),
    'shutting down',
  );
  t.ok(isDatabaseAway(new Error('Client has encountered a connection error and is not queryable')), 'a cut client');
  t.notOk(isDatabaseAway(new TypeError('x is undefined')), 'a bug is not');
  t.notOk(
    isDatabaseAway(Object.assign(new Error('reset'), { code: 'ECONNRESET' })),
    'nor a socket error not from connecting',
  );
});

t.comment(
  process.env.TEST_DATABASE_URL ? 'PostgreSQL tier: on' : 'PostgreSQL tier skipped: TEST_DATABASE_URL is not set',
);

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    t.test('a TypeError fails its job once and never trips the breaker', async (t) => {
      const f = await outboxFixture(t, engine);
      const { lines, logger } = capturingLogger();
      const store = await openStore({ databaseUrl: f.databaseUrl });
      const outbox = new Outbox({
        store,
        logger,
        options: { ...FAST, breaker: { consecutiveFailures: 2, halfOpenAfterMs: 60_000 } },
      });
      t.teardown(async () => {
        await outbox.stop(5_000);
        await store.close();
      });
      outbox.register('write', 'faulty', faultyUpstreamHandlers(f.upstream.url, 'faulty').write);
      let buggyCalls = 0;
      let fixed = false;
      outbox.register('buggy', 'faulty', async (job) => {
        buggyCalls += 1;
        if (!fixed) {
          const facility = (job.payload as { facility?: { code: string } }).facility;
          return { system: 'faulty', ids: { code: facility!.code }, secret: 'token=s3cr3t' } as never; // reads a property of undefined
        }
        return { system: 'faulty', ids: { buggy: 'B-1' } };
      });
      const outcomes: WriteOutcome[] = [];
      for (const key of ['BUG-1', 'BUG-2', 'BUG-3']) {
        outcomes.push(
          await outbox.acceptWrite({
            flow: 'buggy',
            system: 'faulty',
            idempotencyKey: key,
            payload: { note: 'no facility' },
          }),
        );
      }
      for (const o of outcomes) {
        t.match(o, {
          kind: 'rejected',
          error: {
            status: 500,
            name: 'InternalError',
            issues: [
              { code: 'exception', diagnostics: /Internal error .* buggy write to faulty \(TypeError\).*outbox job/ },
            ],
          },
        });
        t.notMatch(
          JSON.stringify(o),
          /Cannot read properties|s3cr3t|at .*\.ts:\d+/,
          'no message or stack reaches the client',
        );
      }
      t.equal(buggyCalls, 3, 'one attempt per job');
      const first = await f.store.getJob(outcomes[0].jobId);
      t.match(first, { status: 'dead', attempts: 1, error: { name: 'InternalError', status: 500 } });

      // the breaker stays closed: a good write to the same system is delivered at once
      const good = await outbox.acceptWrite({
        flow: 'write',
        system: 'faulty',
        idempotencyKey: 'GOOD-1',
        payload: { data: 1 },
      });
      t.equal(good.kind, 'done', 'other writes to the system go through immediately');
      t.equal(await outbox.runOnce(), 0, 'the worker retries nothing');
      await new Promise((r) => setTimeout(r, 100));
      t.equal(await outbox.runOnce(), 0, 'still nothing later');
      t.equal(buggyCalls, 3, 'the failed jobs were never retried');

      // a duplicate is answered as the first request was
      t.match(
        await outbox.acceptWrite({
          flow: 'buggy',
          system: 'faulty',
          idempotencyKey: 'BUG-1',
          payload: { note: 'no facility' },
        }),
        { kind: 'duplicate', previous: { kind: 'rejected', error: { status: 500 } } },
      );
      t.equal(buggyCalls, 3);

      // visible: error log with the stack, audit entry, dead-letter count
      const errors = lines.filter((l) => l.level === 'error');
      t.equal(errors.length, 3, 'one error line per job');
      t.match(errors[0].obj, {
        jobId: outcomes[0].jobId,
        flow: 'buggy',
        system: 'faulty',
        stack: /TypeError: Cannot read properties of undefined[\s\S]*internal-errors\.test\.ts/,
      });
      t.match(await f.store.listAudit({ subject: outcomes[0].jobId }), [
        {
          actor: 'outbox',
          action: 'outbox.internal-error',
          details: { flow: 'buggy', attempts: 1, error: /TypeError|Cannot read/ },
        },
      ]);
      t.equal((await f.store.countJobsByStatus()).dead, 3);

      // the operator retries after the fix
      fixed = true;
      t.match(await retryOutboxJob(f.store, outcomes[0].jobId, 'alice'), {
        ok: true,
        job: { status: 'pending', attempts: 0 },
      });
      outbox.startWorker();
      t.ok(await waitFor(async () => (await f.store.getJob(outcomes[0].jobId))?.status === 'done'), 'replayed to done');
      t.equal(buggyCalls, 4);
      t.match((await f.store.getJob(outcomes[0].jobId))?.result, { ids: { buggy: 'B-1' } });
    });

    t.test(
      "a bug after the upstream applied the write: the operator's replay looks first, no second write",
      async (t) => {
        const f = await outboxFixture(t, engine);
        const h = faultyUpstreamHandlers(f.upstream.url, 'faulty');
        const seen: number[] = [];
        let fixed = false;
        f.outbox.register('mapped', 'faulty', async (job, journal, ctx) => {
          seen.push(ctx.attempt);
          // the bug is inside the step, after the upstream call (mapping its answer): nothing is journaled
          const buggy: StepJournal = {
            idempotencyKey: journal.idempotencyKey,
            run: (step, action) =>
              journal.run(step, async () => {
                const value = await action();
                if (!fixed) throw new TypeError("Cannot read properties of undefined (reading 'requisitionId')");
                return value;
              }),
          };
          return h.write(job, buggy, ctx);
        });
        const first = await f.outbox.acceptWrite({
          flow: 'mapped',
          system: 'faulty',
          idempotencyKey: 'MAP-1',
          payload: { data: 1 },
        });
        t.match(first, { kind: 'rejected', error: { status: 500 } });
        t.equal(f.upstream.state.applied.get('MAP-1')?.count, 1, 'the upstream holds the write');
        fixed = true;
        t.match(await retryOutboxJob(f.store, first.jobId, 'alice'), { ok: true, job: { attempts: 0 } });
        f.outbox.startWorker();
        t.ok(await waitFor(async () => (await f.store.getJob(first.jobId))?.status === 'done'));
        t.same(seen, [1, 2], 'the replay is told an earlier attempt ran');
        t.equal(f.upstream.state.applied.get('MAP-1')?.count, 1, 'found by the look-up, not applied twice');
      },
    );

    t.test('a result the store cannot record fails the job once instead of after every lease', async (t) => {
      // a lease short enough to lapse within the wait below, an attempt long enough for a loaded CI
      // machine's accept (a slower accept than 200 ms queued the write instead: 1 run in 7 under load)
      const f = await outboxFixture(t, engine, { options: { leaseMs: 1_500, attemptTimeoutMs: 1_000 } });
      let calls = 0;
      f.outbox.register('unstorable', 'faulty', async () => {
        calls += 1;
        return { system: 'faulty', ids: { n: 1n } } as never; // JSON cannot encode a BigInt
      });
      const first = await f.outbox.acceptWrite({
        flow: 'unstorable',
        system: 'faulty',
        idempotencyKey: 'BIG-1',
        payload: {},
      });
      t.match(first, { kind: 'rejected', error: { status: 500, issues: [{ diagnostics: /\(TypeError\)/ }] } });
      t.match(await f.store.getJob(first.jobId), { status: 'dead', attempts: 1 });
      f.outbox.startWorker();
      await new Promise((r) => setTimeout(r, 2_000)); // past the lease and a poll
      t.equal(calls, 1, 'not re-run when the lease would have ended');
    });

    t.test('a reset connection is still transient and counts toward the breaker', async (t) => {
      const f = await outboxFixture(t, engine, {
        options: { breaker: { consecutiveFailures: 2, halfOpenAfterMs: 60_000 } },
      });
      let calls = 0;
      f.outbox.register('flaky', 'faulty', async () => {
        calls += 1;
        throw new TypeError('fetch failed', { cause: sysErr('ECONNRESET', 'socket hang up') });
      });
      const a = await f.outbox.acceptWrite({ flow: 'flaky', system: 'faulty', idempotencyKey: 'NET-1', payload: {} });
      t.match(a, { kind: 'queued', status: 'pending', reason: /failed transiently.*fetch failed.*ECONNRESET/ });
      t.equal((await f.store.getJob(a.jobId))?.status, 'pending', 'kept for a retry');
      await f.outbox.acceptWrite({ flow: 'flaky', system: 'faulty', idempotencyKey: 'NET-2', payload: {} });
      t.equal(calls, 2);
      const blocked = await f.outbox.acceptWrite({
        flow: 'write',
        system: 'faulty',
        idempotencyKey: 'GOOD-2',
        payload: { data: 1 },
      });
      t.match(blocked, { kind: 'queued', reason: /circuit open/ }, 'two resets opened the breaker');
    });
  });
}

t.test('over FHIR: a bug in the connector is a 500 OperationOutcome naming the job, without its message', async (t) => {
  const store = await openStore({ databaseUrl: 'sqlite::memory:' });
  const outbox = new Outbox({ store, options: { ...FAST, deadlineMs: 2_000 } });
  let submits = 0;
  const connector: Connector = {
    system: 'openlmis',
    orders: {
      async get() {
        return undefined;
      },
      async search() {
        return { items: [] };
      },
      async submit(order) {
        submits++;
        // a connector bug: a property of something that is not there (message carries a value)
        return (order as unknown as { missing: { value: string } }).missing.value as never;
      },
    },
  };
  const services = createRoutingServices({ connectors: [connector], outbox, store });
  const { app } = await testApp({ services });
  t.teardown(async () => {
    await outbox.stop();
    await app.close();
    await store.close();
  });
  const res = await app.inject({
    method: 'POST',
    url: '/fhir/SupplyRequest',
    headers: fhirJson,
    payload: supplyRequest({ order: 'ORD-BUG' }),
  });
  t.equal(res.statusCode, 500, res.body);
  const body = res.json();
  t.equal(body.resourceType, 'OperationOutcome');
  t.match(body.issue, [
    {
      severity: 'error',
      code: 'exception',
      diagnostics: /Internal error .*order write to openlmis \(TypeError\).*outbox job [0-9a-f-]{36}/,
    },
  ]);
  t.notMatch(res.body, /Cannot read|reading 'value'|\.ts:\d+/, 'no message or stack');
  const again = await app.inject({
    method: 'POST',
    url: '/fhir/SupplyRequest',
    headers: fhirJson,
    payload: supplyRequest({ order: 'ORD-BUG' }),
  });
  t.equal(again.statusCode, 500, 'the same request again: the same answer');
  t.equal(submits, 1, 'and no second attempt');
  t.match(await store.countJobsByStatus(), { dead: 1 });
});
