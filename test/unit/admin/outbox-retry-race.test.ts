/**
 * A retry is checked against the status the operator saw inside the store's own write, on both
 * store engines: two retries sent at the same moment (a double click, two operators) requeue the
 * job once (one audit entry, one budget reset) and the other answers 409 with the job's status now
 * and who moved it; a retry of a job that was delivered meanwhile does not requeue it; the console
 * passes the status its confirm page showed.
 */
import t from 'tap';
import Fastify from 'fastify';
import formbody from '@fastify/formbody';
import { fhirErrorHandler } from '../../../src/fhir/outcome.js';
import { outboxAdminRoutes } from '../../../src/outbox/admin-routes.js';
import { operatorConsole } from '../../../src/admin/ui/index.js';
import type { Store } from '../../../src/store/types.js';
import { consoleOptions } from '../../support/console-options.js';
import { claimedJob, deadJob } from '../../support/claimed-job.js';
import { newJob } from '../../support/new-job.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';

const TOKEN = 'race-token';
const AUTH = { authorization: `Bearer ${TOKEN}` };
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

/** A job that failed once and waits in backoff (pending, one attempt spent, due in 10 minutes). */
async function pendingInBackoff(store: Store, id: string) {
  const claim = await claimedJob(store, id);
  await store.rescheduleJob(id, 'w1', Date.now() + 600_000, 'down', false, Date.now());
  return claim;
}

const retries = async (store: Store, id: string) =>
  (await store.listAudit({ subject: id })).filter((a) => a.action === 'outbox.retry');

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    const { store } = await freshStore(engine, t);
    const app = Fastify();
    app.setErrorHandler(fhirErrorHandler);
    await app.register(formbody);
    await app.register(outboxAdminRoutes, { prefix: '/admin', store, adminToken: () => TOKEN });
    await app.register(operatorConsole, consoleOptions({ adminToken: () => TOKEN }));
    t.teardown(() => app.close());
    const retry = (id: string, who: string, status?: string) =>
      app.inject({
        method: 'POST',
        url: `/admin/outbox/jobs/${id}/retry${status ? `?status=${status}` : ''}`,
        headers: { ...AUTH, 'x-admin-user': who },
      });

    await t.test('the store: two requeues expecting dead at once, one requeues', async (t) => {
      await deadJob(store, 'S1');
      const audit = (who: string) => ({ actor: who, action: 'outbox.retry', subject: 'S1' });
      const both = await Promise.all([
        store.requeueJob('S1', audit('a'), Date.now(), 'dead'),
        store.requeueJob('S1', audit('b'), Date.now(), 'dead'),
      ]);
      t.equal(both.filter(Boolean).length, 1, 'exactly one requeue');
      t.equal((await retries(store, 'S1')).length, 1, 'one audit entry');
      t.equal(await store.requeueJob('S1', audit('c'), Date.now(), 'dead'), undefined, 'pending now: not dead');
    });

    await t.test('two operators retry the same dead job at the same moment: one retry', async (t) => {
      await deadJob(store, 'R1');
      const answers = await Promise.all([retry('R1', 'Ama', 'dead'), retry('R1', 'Kofi', 'dead')]);
      const codes = answers.map((a) => a.statusCode).sort();
      t.same(codes, [200, 409], 'one requeued, one refused');
      const audited = await retries(store, 'R1');
      t.equal(audited.length, 1, 'one outbox.retry in the audit trail');
      const lost = answers.find((a) => a.statusCode === 409)!.json();
      t.match(lost, {
        status: 'pending',
        expected: 'dead',
        movedBy: new RegExp(`^outbox\\.retry by ${audited[0].actor} at \\d{4}-`),
        resourceType: 'OperationOutcome',
        issue: [
          {
            code: 'conflict',
            expression: ['status'],
            diagnostics:
              /^job R1 is pending now, not dead as the request expected, after outbox\.retry by (Ama|Kofi) at .*; nothing was done$/,
          },
        ],
      });
      t.match(await store.getJob('R1'), { status: 'pending', attempts: 0 });
    });

    await t.test('a retry of a job delivered meanwhile does not requeue it', async (t) => {
      const claim = await deadJob(store, 'R2');
      t.equal((await retry('R2', 'Ama', 'dead')).statusCode, 200);
      t.equal((await claim())[0]?.id, 'R2');
      const at = Date.now();
      await store.finishJob('R2', 'w1', { status: 'done', result: { system: 'sys-R2', ids: {} } }, at, {
        jobId: 'R2',
        startedAt: at,
        endedAt: at,
        attempt: 1,
        outcome: 'done',
      });
      const late = await retry('R2', 'Kofi', 'dead'); // the page Kofi left open showed it dead
      t.equal(late.statusCode, 409);
      t.match(late.json(), { status: 'done', expected: 'dead', movedBy: /^delivery attempt 1 \(done\) at \d{4}-/ });
      t.match(await store.getJob('R2'), { status: 'done' });
      t.equal((await retries(store, 'R2')).length, 1);
    });

    await t.test('two retries of a pending job at once: one retry, the other has nothing to retry', async (t) => {
      const claim = await pendingInBackoff(store, 'P1');
      const answers = await Promise.all([retry('P1', 'Ama', 'pending'), retry('P1', 'Kofi', 'pending')]);
      t.same(answers.map((a) => a.statusCode).sort(), [200, 409], 'one requeued, one refused');
      const audited = await retries(store, 'P1');
      t.equal(audited.length, 1, 'one outbox.retry in the audit trail for one state');
      t.match(answers.find((a) => a.statusCode === 409)!.json(), {
        status: 'pending',
        movedBy: new RegExp(`^outbox\\.retry by ${audited[0].actor} at \\d{4}-`),
        issue: [
          {
            code: 'conflict',
            diagnostics:
              /^job P1 is already pending and due now with a fresh attempt budget, after outbox\.retry by (Ama|Kofi) at .*; nothing to retry$/,
          },
        ],
      });
      t.match(await store.getJob('P1'), { status: 'pending', attempts: 0 });
      t.equal((await retry('P1', 'Esi')).statusCode, 409, 'without ?status= too');
      t.equal((await retries(store, 'P1')).length, 1);
      // once the worker has tried it again and it waits in backoff, a retry has something to do
      t.equal((await claim())[0]?.id, 'P1');
      await store.rescheduleJob('P1', 'w1', Date.now() + 600_000, 'down', false, Date.now());
      t.equal((await retry('P1', 'Esi', 'pending')).statusCode, 200, 'in backoff again: retried');
      t.equal((await retries(store, 'P1')).length, 2);
    });

    await t.test('the store: two requeues of a pending job at once, one requeues', async (t) => {
      await pendingInBackoff(store, 'S2');
      const audit = (who: string) => ({ actor: who, action: 'outbox.retry', subject: 'S2' });
      const both = await Promise.all([
        store.requeueJob('S2', audit('a'), Date.now(), 'pending'),
        store.requeueJob('S2', audit('b'), Date.now(), 'pending'),
      ]);
      t.equal(both.filter(Boolean).length, 1, 'exactly one requeue');
      t.equal((await retries(store, 'S2')).length, 1, 'one audit entry');
    });

    await t.test("a second requeue whose clock reads earlier than the first's finds nothing to retry", async (t) => {
      // two instances a few ms apart, or two calls whose instants were taken in one order and whose
      // writes ran in the other (PostgreSQL re-checks the second's WHERE after the first's row lock)
      await pendingInBackoff(store, 'S3');
      const audit = (who: string) => ({ actor: who, action: 'outbox.retry', subject: 'S3' });
      const at = Date.now();
      t.ok(await store.requeueJob('S3', audit('a'), at + 5, 'pending'), 'the first requeues');
      t.equal(await store.requeueJob('S3', audit('b'), at, 'pending'), undefined, 'the second has nothing to retry');
      t.equal((await retries(store, 'S3')).length, 1, 'one audit entry');
    });

    await t.test('a pending job never tried has nothing to retry', async (t) => {
      await store.recordWrite(newJob('P2', { system: 'sys-P2', idempotencyKey: 'order|app|P2' }));
      const answer = await retry('P2', 'Ama', 'pending');
      t.equal(answer.statusCode, 409);
      t.match(answer.json(), { status: 'pending', issue: [{ code: 'conflict', diagnostics: /nothing to retry$/ }] });
      t.equal((await retries(store, 'P2')).length, 0, 'nothing audited');
    });

    await t.test('a status that is not one answers 400 and changes nothing', async (t) => {
      await deadJob(store, 'R3');
      t.equal((await retry('R3', 'Ama', 'deadish')).statusCode, 400);
      t.match(await store.getJob('R3'), { status: 'dead' });
    });

    await t.test('an unknown job: 404, an OperationOutcome naming the id, for show, retry and drop', async (t) => {
      const answers = [
        await app.inject({ method: 'GET', url: '/admin/outbox/jobs/J-none', headers: AUTH }),
        await retry('J-none', 'Ama', 'dead'),
        await app.inject({ method: 'DELETE', url: '/admin/outbox/jobs/J-none', headers: AUTH }),
      ];
      for (const answer of answers) {
        t.equal(answer.statusCode, 404);
        t.match(answer.json(), {
          resourceType: 'OperationOutcome',
          issue: [{ severity: 'error', code: 'not-found', expression: ['id'], diagnostics: 'no such outbox job' }],
        });
      }
      t.equal(await store.getJob('J-none'), undefined, 'nothing made');
    });

    await t.test('the console sends the status its page showed: a double click retries once', async (t) => {
      await deadJob(store, 'C1');
      const login = await app.inject({
        method: 'POST',
        url: '/admin/ui/login',
        headers: FORM,
        payload: new URLSearchParams({ user: 'Olu Operator', token: TOKEN }).toString(),
      });
      const cookie = String(login.headers['set-cookie']).split(';')[0];
      const confirm = await app.inject({
        method: 'GET',
        url: '/admin/ui/outbox/jobs/C1/confirm?action=retry',
        headers: { cookie },
      });
      const form = /<form method="post" action="([^"]+\/retry)"[^>]*>([\s\S]*?)<\/form>/.exec(confirm.body)!;
      const fields = new URLSearchParams();
      for (const m of form[2].matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) fields.set(m[1], m[2]);
      t.equal(fields.get('seen'), 'dead');
      const send = () =>
        app.inject({ method: 'POST', url: form[1], headers: { cookie, ...FORM }, payload: fields.toString() });
      const [a, b] = await Promise.all([send(), send()]);
      t.equal(a.statusCode, 303);
      t.equal(b.statusCode, 303);
      t.equal((await retries(store, 'C1')).length, 1, 'one retry in the audit trail');
      t.match(await store.getJob('C1'), { status: 'pending' });
    });
  });
}
