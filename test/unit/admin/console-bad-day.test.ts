/**
 * The console on a bad day, through fastify.inject on both store engines: a retry confirmed twice
 * (a double click, or a page left open while a colleague retried the job) retries once and says
 * who moved the job on; a form that arrives after the session ended is a page that does nothing,
 * keeps what the form held and leads back through sign-in to the form's page; a form carrying the
 * CSRF field of another signed-in session is refused and changes nothing; a long outbox pages
 * through every job exactly once; a read the database fails mid-page is the 503 page, not an
 * empty outbox.
 */
import t from 'tap';
import Fastify from 'fastify';
import formbody from '@fastify/formbody';
import { fhirErrorHandler } from '../../../src/fhir/outcome.js';
import { outboxAdminRoutes } from '../../../src/outbox/admin-routes.js';
import { reviewRoutes } from '../../../src/registry/review-routes.js';
import { reconcileIntoStore } from '../../../src/registry/reconcile-run.js';
import { operatorConsole } from '../../../src/admin/ui/index.js';
import { deadJob } from '../../support/claimed-job.js';
import { consoleClient, formFields } from '../../support/console-client.js';
import { consoleOptions } from '../../support/console-options.js';
import { newJob } from '../../support/new-job.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';
import { REVIEW_REGISTRY, reviewFacility } from '../../support/review-facilities.js';

const TOKEN = 'bad-day-token';
const fac = reviewFacility;
const registry = REVIEW_REGISTRY;

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    const { store } = await freshStore(engine, t);
    await reconcileIntoStore(store, 'emr', [fac('L4', 'Kasikeu')], registry);
    // the outbox API's reads fail (a disk error) while `readsFail`; the console's sessions do not
    let readsFail = false;
    const outboxStore = new Proxy(store, {
      get(target, key, receiver) {
        if (key === 'listJobs' && readsFail)
          return async () => {
            throw Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR' });
          };
        const value = Reflect.get(target, key, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const app = Fastify();
    app.setErrorHandler(fhirErrorHandler); // as the mediator's app (src/app.ts): the outbox API's errors
    await app.register(formbody);
    await app.register(outboxAdminRoutes, { prefix: '/admin', store: outboxStore, adminToken: () => TOKEN });
    await app.register(reviewRoutes, { prefix: '/admin', store, adminToken: () => TOKEN });
    await app.register(
      operatorConsole,
      consoleOptions({
        adminToken: () => TOKEN,
        readiness: () => [
          { name: 'openlmis', check: () => new Promise<void>(() => undefined) }, // never answers
          {
            name: 'dhis2',
            check: async () => Promise.reject(new Error(`<img src=x onerror=alert(1)>${'x'.repeat(5000)}`)),
          },
          { name: 'openmrs', check: async () => Promise.reject('ECONNRESET') }, // not an Error
        ],
        directory: {
          registry: async () => new Map(registry.map((f) => [f.id!, f])),
          system: async () => new Map([['L4', fac('L4', 'Kasikeu')]]),
          systems: () => ['emr'],
        },
      }),
    );
    t.teardown(() => app.close());
    const { signIn, get, post } = consoleClient(app, TOKEN, t);

    await t.test('a retry confirmed twice retries once and says who moved the job on', async (t) => {
      await deadJob(store, 'J1');
      const cookie = await signIn('Olu Operator');
      const confirm = await get('/admin/ui/outbox/jobs/J1/confirm?action=retry', cookie);
      const { url, fields } = formFields(confirm.body, /\/retry$/);
      t.equal(fields.get('seen'), 'dead', 'the form says which state the operator confirmed');

      const first = await post(url, cookie, fields);
      const second = await post(url, cookie, fields); // the double click
      t.equal(first.statusCode, 303);
      t.equal(second.statusCode, 303);
      const retries = (await store.listAudit({ subject: 'J1' })).filter((a) => a.action === 'outbox.retry');
      t.equal(retries.length, 1, 'one retry in the audit trail');
      t.match(await store.getJob('J1'), { status: 'pending' });
      const shown = await get(second.headers.location as string, cookie);
      t.match(
        shown.body,
        /Not retried: job J1 is pending now, not dead as the page showed, after outbox.retry by Olu Operator at \d{4}-/,
        'the second send says what happened and who did it',
      );
    });

    await t.test('a form sent after the session ended: nothing done, nothing typed lost', async (t) => {
      const cookie = await signIn('Ann Reviewer');
      const review = await get('/admin/ui/review?system=emr', cookie);
      const { url, fields } = formFields(review.body, /\/review\/decide$/);
      const signOut = formFields(review.body, /\/logout$/);
      t.equal((await post(signOut.url, cookie, signOut.fields)).statusCode, 303, 'signed out (in another tab)');
      fields.set('op', 'flag');
      fields.set('comment', 'Two clinics share this name <b>check</b> with the county');
      const late = await post(url, cookie, fields, 'http://console.example/admin/ui/review?system=emr');
      t.equal(late.statusCode, 401);
      t.match(late.headers['content-type'], /^text\/html/);
      t.match(late.body, /<!doctype html>[\s\S]*<title>Sign in again · Mediator console<\/title>/, 'a whole page');
      t.match(late.body, /Your session ended/);
      t.match(late.body, /Nothing was done/);
      t.match(
        late.body,
        'Two clinics share this name &lt;b&gt;check&lt;/b&gt; with the county',
        'the comment, shown as text',
      );
      t.match(
        late.body,
        `href="/admin/ui/login?next=${encodeURIComponent('/admin/ui/review?system=emr')}"`,
        'sign in again, then back to the form',
      );
      t.notMatch(late.body, fields.get('_csrf')!, "the old session's CSRF field is not shown");
      t.equal((await store.getCrosswalk('emr', 'L4'))?.state, 'review', 'nothing decided');
    });

    await t.test("a form with another session's CSRF field is refused and changes nothing", async (t) => {
      const ann = await signIn('Ann Reviewer');
      const bo = await signIn('Bo Colleague');
      const annForm = formFields((await get('/admin/ui/review?system=emr', ann)).body, /\/review\/decide$/);
      const boForm = formFields((await get('/admin/ui/review?system=emr', bo)).body, /\/review\/decide$/);
      t.not(annForm.fields.get('_csrf'), boForm.fields.get('_csrf'), 'each session has its own');
      const fields = new URLSearchParams(annForm.fields);
      fields.set('_csrf', boForm.fields.get('_csrf')!);
      fields.set('op', 'no-match');
      const refused = await post(annForm.url, ann, fields);
      t.equal(refused.statusCode, 403);
      t.match(refused.body, /<title>Form out of date · Mediator console<\/title>/);
      t.match(refused.body, /Nothing was done/);
      t.equal((await store.getCrosswalk('emr', 'L4'))?.state, 'review', 'nothing decided');
    });

    await t.test('a long outbox pages through every job once, filters kept', async (t) => {
      for (let i = 0; i < 250; i++)
        await store.recordWrite(
          newJob(`B${String(i).padStart(3, '0')}`, { system: 'bulk', idempotencyKey: `order|bulk|${i}` }),
        );
      const cookie = await signIn('Olu Operator');
      const seen: string[] = [];
      let url: string | undefined = '/admin/ui/outbox?status=pending&system=bulk';
      const ranges: string[] = [];
      while (url) {
        const page = await get(url, cookie);
        t.equal(page.statusCode, 200);
        const list = /<h2 id="list-title">[\s\S]*<\/table>/.exec(page.body)![0];
        seen.push(...[...list.matchAll(/<td[^>]*>order\|bulk\|(\d+)<\/td>/g)].map((m) => m[1]));
        ranges.push(/data-testid="pager"><span>([^<]+)</.exec(page.body)![1]);
        const next = /<a href="([^"]+)" rel="next">/.exec(page.body);
        url = next?.[1].replace(/&amp;/g, '&');
        if (next) t.match(url, /status=pending&system=bulk&offset=\d+/, 'the next page keeps the filters');
      }
      t.same(ranges, ['Jobs 1–100', 'Jobs 101–200', 'Jobs 201–250']);
      t.equal(seen.length, 250, 'every job listed');
      t.equal(new Set(seen).size, 250, 'none twice');
      const last = await get('/admin/ui/outbox?status=pending&system=bulk&offset=200', cookie);
      t.match(last.body, /<a href="[^"]*offset=100" rel="prev">Previous 100<\/a>/);
      const junk = await get('/admin/ui/outbox?offset=-5%3Cb%3E', cookie);
      t.equal(junk.statusCode, 200, 'a nonsense offset is the first page');
      t.match(junk.body, /Jobs 1–100/);
    });

    await t.test('a read the database fails mid-page: the 503 page, not an empty outbox', async (t) => {
      const cookie = await signIn('Olu Operator');
      readsFail = true;
      const page = await get('/admin/ui/outbox', cookie).finally(() => (readsFail = false));
      t.equal(page.statusCode, 503);
      t.equal(page.headers['retry-after'], '15');
      t.match(page.headers['content-type'], /^text\/html/);
      t.match(page.body, /The mediator's database is unavailable just now/);
      t.notMatch(page.body, /No dead letters|disk I\/O|SQLITE/, 'no empty outbox, no driver text');
      t.equal((await get('/admin/ui/outbox', cookie)).statusCode, 200, 'the page once reads work again');
    });

    await t.test('the systems page renders while upstreams hang or fail, with each reason', async (t) => {
      const cookie = await signIn('Olu Operator');
      // the check's wait timer is unref'd (it must not hold a stopping mediator); a server socket
      // keeps the process up in production, this timer does here
      const alive = setInterval(() => undefined, 1000);
      const page = await get('/admin/ui/systems', cookie).finally(() => clearInterval(alive));
      t.equal(page.statusCode, 200);
      const reason = (system: string) =>
        new RegExp(`data-system="${system}"[\\s\\S]*?data-testid="ready-reason">([^<]*)<`).exec(page.body)?.[1];
      t.equal(reason('openlmis'), 'no answer in 3000 ms', 'a hanging upstream: down, after the wait');
      t.equal(reason('openmrs'), 'ECONNRESET', 'a rejection that is not an Error still says why');
      const hostile = reason('dhis2')!;
      t.ok(hostile.startsWith('&lt;img src=x onerror=alert(1)&gt;xxx'), 'hostile text shown as text');
      t.ok(hostile.endsWith('x…') && hostile.length < 400, `a 5,000-character reason is cut (${hostile.length})`);
      t.notMatch(page.body, '<img src=x', 'no markup from a reason');
    });

    await t.test('a decision sent twice: decided once, and the second send says so', async (t) => {
      await reconcileIntoStore(store, 'emr2', [fac('L9', 'Kasikeu')], registry);
      const cookie = await signIn('Ann Reviewer');
      const { url, fields } = formFields((await get('/admin/ui/review?system=emr2', cookie)).body, /\/review\/decide$/);
      fields.set('op', 'no-match');
      const first = await post(url, cookie, fields);
      const second = await post(url, cookie, fields); // the double click
      t.equal(first.statusCode, 303);
      t.equal(second.statusCode, 303);
      t.equal(second.headers.location, '/admin/ui/review?system=emr2', 'on to the queue, as after the first');
      const decisions = (await store.listAudit({ subject: 'emr2/L9' })).filter((a) => a.action.startsWith('review.'));
      t.equal(decisions.length, 1, 'one decision in the audit trail');
      t.match(await store.getCrosswalk('emr2', 'L9'), { state: 'no-match', decidedBy: 'Ann Reviewer' });
      const shown = await get(second.headers.location as string, cookie);
      t.match(shown.body, /Sent twice: your first send decided L9; the second changed nothing/);
    });
  });
}
