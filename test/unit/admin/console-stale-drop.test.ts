/**
 * Dropping an outbox job from a view that went stale. The console's confirmation shows the job's
 * state; what the operator confirms is dropping the job in that state. A colleague may act first:
 * a dead job retried and waiting again is an accepted write someone decided to send, and a job
 * since delivered is a write the upstream took, whose key is what stops a resend being applied
 * twice. Neither is dropped; the console says what the job is now. The store itself never drops
 * a delivered job, whoever asks.
 */
import t from 'tap';
import Fastify from 'fastify';
import formbody from '@fastify/formbody';
import { fhirErrorHandler } from '../../../src/fhir/outcome.js';
import { outboxAdminRoutes } from '../../../src/outbox/admin-routes.js';
import { operatorConsole } from '../../../src/admin/ui/index.js';
import { claimedJob, deadJob } from '../../support/claimed-job.js';
import { consoleOptions } from '../../support/console-options.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';

const TOKEN = 'stale-drop-token';

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    const { store } = await freshStore(engine, t);
    const app = Fastify();
    app.setErrorHandler(fhirErrorHandler);
    await app.register(formbody);
    await app.register(outboxAdminRoutes, { prefix: '/admin', store, adminToken: TOKEN });
    await app.register(
      operatorConsole,
      consoleOptions({
        adminToken: () => TOKEN,
      }),
    );
    t.teardown(() => app.close());
    const login = await app.inject({
      method: 'POST',
      url: '/admin/ui/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ user: 'Olu Operator', token: TOKEN }).toString(),
    });
    const cookie = String(login.headers['set-cookie']).split(';')[0];
    /** Opens the drop confirmation (the view), then lets `meanwhile` happen, then confirms. */
    const dropFromView = async (id: string, meanwhile: () => Promise<unknown>, shownAs = 'dead') => {
      const confirm = await app.inject({
        method: 'GET',
        url: `/admin/ui/outbox/jobs/${id}/confirm?action=drop`,
        headers: { cookie },
      });
      t.equal(confirm.statusCode, 200);
      t.match(confirm.body, new RegExp(`state ${shownAs}`), `the operator sees a ${shownAs} job`);
      const form = /<form method="post" action="([^"]+\/drop[^"]*)"[^>]*>([\s\S]*?)<\/form>/.exec(confirm.body)!;
      const fields = new URLSearchParams();
      for (const m of form[2].matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) fields.set(m[1], m[2]);
      await meanwhile();
      const posted = await app.inject({
        method: 'POST',
        url: form[1].replace(/&amp;/g, '&'),
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
        payload: fields.toString(),
      });
      t.equal(posted.statusCode, 303);
      return app.inject({ method: 'GET', url: posted.headers.location as string, headers: { cookie } });
    };

    await t.test('a dead job retried by a colleague meanwhile is not dropped', async (t) => {
      await deadJob(store, 'J1');
      const shown = await dropFromView('J1', () =>
        store.requeueJob('J1', { actor: 'colleague', action: 'outbox.retry', subject: 'J1' }, Date.now()),
      );
      t.match(await store.getJob('J1'), { status: 'pending' }, 'the write the colleague re-sent is kept');
      t.equal((await store.findJobsByKey('order|app|J1')).length, 1, 'with its key');
      t.match(
        shown.body,
        /Not dropped: job J1 is pending now, not dead as the page showed, after outbox.retry by colleague at \d{4}-/,
        'the console says what the job is now and who moved it',
      );
    });

    await t.test('a dead job retried and dead again meanwhile is not dropped', async (t) => {
      // the status alone is as the page showed (dead), but the write is not the one confirmed: a
      // colleague re-sent it and it failed again; it is theirs to look at, not deleted unseen
      const claim = await deadJob(store, 'J4');
      const seen = (await store.getJob('J4'))!.updatedAt;
      const shown = await dropFromView('J4', async () => {
        const retriedAt = Date.now();
        await store.requeueJob('J4', { actor: 'colleague', action: 'outbox.retry', subject: 'J4' }, retriedAt);
        t.equal((await claim())[0]?.id, 'J4');
        const error = { name: 'UpstreamError', status: 502, issues: [{ code: 'transient', diagnostics: 'down' }] };
        // ended after the page was shown and after the retry, whatever the clock's grain
        await store.finishJob('J4', 'w1', { status: 'dead', error }, Math.max(Date.now(), seen + 1, retriedAt + 1));
      });
      t.match(await store.getJob('J4'), { status: 'dead', requeues: 1 }, 'the re-sent write is kept');
      t.equal((await store.findJobsByKey('order|app|J4')).length, 1, 'with its key');
      t.match(
        shown.body,
        /Not dropped: job J4 changed since the page showed it \(it is dead now, after outbox.retry by colleague at \d{4}-[^)]+\); nothing was done/,
        'the console says the job changed and what moved it',
      );
    });

    await t.test('a waiting job attempted again meanwhile is still dropped as shown', async (t) => {
      // its updatedAt moves with every attempt and wait: guarded by it, it could never be dropped
      const claim = await claimedJob(store, 'J6');
      await store.rescheduleJob('J6', 'w1', Date.now(), 'down', false, Date.now());
      const shown = await dropFromView(
        'J6',
        async () => {
          t.equal((await claim())[0]?.id, 'J6');
          const seen = (await store.getJob('J6'))!.updatedAt;
          await store.rescheduleJob('J6', 'w1', Date.now(), 'down again', false, Math.max(Date.now(), seen + 1));
        },
        'pending',
      );
      t.equal(await store.getJob('J6'), undefined, 'the write the operator chose to drop is gone');
      t.match(shown.body, /Job J6 dropped/);
    });

    await t.test('the API refuses a drop or retry of a job changed since shown, naming updatedAt', async (t) => {
      const claim = await deadJob(store, 'J5');
      const shownAt = new Date((await store.getJob('J5'))!.updatedAt).toISOString();
      await store.requeueJob('J5', { actor: 'colleague', action: 'outbox.retry', subject: 'J5' }, Date.now());
      await claim();
      const error = { name: 'UpstreamError', status: 502, issues: [{ code: 'transient', diagnostics: 'down' }] };
      const endedAt = Math.max(Date.now(), Date.parse(shownAt) + 1);
      await store.finishJob('J5', 'w1', { status: 'dead', error }, endedAt);
      const auth = { authorization: `Bearer ${TOKEN}` };
      for (const [method, url] of [
        ['DELETE', '/admin/outbox/jobs/J5'],
        ['POST', '/admin/outbox/jobs/J5/retry'],
      ] as const) {
        const stale = await app.inject({ method, url: `${url}?status=dead&updatedAt=${shownAt}`, headers: auth });
        t.equal(stale.statusCode, 409, `${method} from the old view`);
        t.match(stale.json(), {
          resourceType: 'OperationOutcome',
          status: 'dead',
          updatedAt: new Date(endedAt).toISOString(),
          issue: [{ code: 'conflict', expression: ['updatedAt'], diagnostics: /job J5 is dead but changed since/ }],
        });
        const bad = await app.inject({ method, url: `${url}?updatedAt=yesterday`, headers: auth });
        t.equal(bad.statusCode, 400, `${method} with no instant`);
        t.match(bad.json(), { issue: [{ expression: ['updatedAt'], diagnostics: /got 'yesterday'/ }] });
      }
      t.match(await store.getJob('J5'), { status: 'dead', requeues: 1, updatedAt: endedAt }, 'nothing was done');
      const current = new Date(endedAt).toISOString();
      const dropped = await app.inject({
        method: 'DELETE',
        url: `/admin/outbox/jobs/J5?status=dead&updatedAt=${current}`,
        headers: auth,
      });
      t.equal(dropped.statusCode, 200, 'as it is now, it is dropped');
      t.equal(await store.getJob('J5'), undefined);
    });

    await t.test('a job delivered meanwhile keeps its key: a resend is still the same write', async (t) => {
      const claim = await deadJob(store, 'J2');
      await dropFromView('J2', async () => {
        await store.requeueJob('J2', { actor: 'colleague', action: 'outbox.retry', subject: 'J2' }, Date.now());
        const claimed = await claim();
        t.equal(claimed[0]?.id, 'J2');
        await store.finishJob('J2', 'w1', { status: 'done', result: { system: 'sys-J2', ids: {} } }, Date.now());
      });
      t.match(await store.getJob('J2'), { status: 'done' });
      t.equal((await store.findJobsByKey('order|app|J2')).length, 1);
    });

    await t.test('the store never drops a delivered job, whoever asks', async (t) => {
      const audit = { actor: 'op', action: 'outbox.drop', subject: 'J2' };
      t.equal(await store.dropJob('J2', audit), false);
      const api = await app.inject({
        method: 'DELETE',
        url: '/admin/outbox/jobs/J2',
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      t.equal(api.statusCode, 409);
      t.match(api.json(), {
        resourceType: 'OperationOutcome',
        status: 'done',
        issue: [{ code: 'conflict', expression: ['id'], diagnostics: /job is done/ }],
      });
      t.match(await store.getJob('J2'), { status: 'done' });
    });

    await t.test('a job still as the operator saw it is dropped', async (t) => {
      await deadJob(store, 'J3');
      const shown = await dropFromView('J3', async () => undefined);
      t.equal(await store.getJob('J3'), undefined);
      t.match(shown.body, /Job J3 dropped/);
    });
  });
}
