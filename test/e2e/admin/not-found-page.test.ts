/**
 * An unknown console path, against the real mediator (startMediator, whose app answers unknown
 * routes with a FHIR OperationOutcome): the console answers its own HTML 404 page (its headers,
 * the path escaped, links home), signed in or not and for any method; the admin JSON API keeps its
 * JSON. A path Fastify's router refuses (a %-escape that is no character, a segment past 100
 * characters) is the console's page too, and an OperationOutcome elsewhere, not Fastify's JSON.
 * In headless Chromium: the page passes axe and its link leads home.
 */
import t from 'tap';
import { mediatorDataDir, startConsoleMediator } from '../../support/console-mediator.js';
import { openBrowser, noChromium, seriousViolations, signIn } from './browser.js';

const TOKEN = 'not-found-token-Pz41';

t.test('unknown console paths answer the console 404 page', async (t) => {
  const mediator = await startConsoleMediator(mediatorDataDir(t, 'console-404-'), TOKEN);
  t.teardown(() => mediator.stop());
  const base = mediator.url;

  await t.test('HTML 404 for any unknown console path and method', async (t) => {
    for (const [method, url] of [
      ['GET', '/admin/ui/reveiw'],
      ['GET', '/admin/ui/outbox/jobs/J1/timeline?x=1'],
      ['POST', '/admin/ui/review/decidee'],
      ['GET', '/admin/ui/%3Cimg%20src=x%20onerror=alert(1)%3E'],
    ]) {
      const res = await fetch(`${base}${url}`, { method, redirect: 'manual' });
      t.equal(res.status, 404, `${method} ${url}: 404`);
      t.match(res.headers.get('content-type'), /^text\/html/, 'a page, not JSON');
      t.match(res.headers.get('content-security-policy'), /default-src 'none'/, "the console's CSP");
      t.equal(res.headers.get('cache-control'), 'no-store');
      const body = await res.text();
      t.match(body, /<title>Page not found · Mediator console<\/title>/);
      t.match(body, /<a class="button" href="\/admin\/ui\/review">Go to the review queue<\/a>/, 'a link home');
      t.notMatch(body, /<img/, 'the path is escaped');
      t.notMatch(body, /x=1/, 'the query is not echoed');
    }
  });

  await t.test('a path the router refuses: the console page, else an OperationOutcome', async (t) => {
    const long = 'J'.repeat(300);
    for (const [url, status] of [
      ['/admin/ui/outbox/jobs/%zz', 400],
      [`/admin/ui/outbox/jobs/${long}`, 414],
    ] as const) {
      const res = await fetch(`${base}${url}`, { redirect: 'manual' });
      t.equal(res.status, status, `${url.slice(0, 40)}: ${status}`);
      t.match(res.headers.get('content-type'), /^text\/html/, "the console's page, not Fastify's JSON");
      t.match(res.headers.get('content-security-policy'), /default-src 'none'/, "the console's CSP");
      const body = await res.text();
      t.match(body, /<title>Page not found · Mediator console<\/title>/);
      t.notMatch(body, new RegExp(long), 'the path is cut, not echoed whole');
    }
    for (const [url, status] of [
      ['/admin/outbox/jobs/%zz', 400],
      [`/admin/outbox/jobs/${long}`, 414],
      ['/fhir/Location/%E0%A4%A', 400],
      [`/fhir/R5/Location/${long}`, 414],
    ] as const) {
      const res = await fetch(`${base}${url}`, { headers: { authorization: `Bearer ${TOKEN}` } });
      t.equal(res.status, status, `${url.slice(0, 40)}: ${status}`);
      t.match(await res.json(), {
        resourceType: 'OperationOutcome',
        issue: [{ code: 'invalid', expression: ['url'], diagnostics: status === 414 ? /longer than 100/ : /%-escape/ }],
      });
    }
    // no route, so no response hook: the answer masks the admin token a path repeats itself
    const echoed = await fetch(`${base}/fhir/Location/${TOKEN}%zz`);
    t.notMatch(await echoed.text(), TOKEN, 'a secret in the path is masked');
  });

  await t.test('the admin JSON API keeps its JSON not-found', async (t) => {
    const admin = await fetch(`${base}/admin/nowhere`, { headers: { authorization: `Bearer ${TOKEN}` } });
    t.equal(admin.status, 404);
    t.match(admin.headers.get('content-type'), /json/);
    t.match(await admin.json(), { resourceType: 'OperationOutcome', issue: [{ code: 'not-found' }] });
    const job = await fetch(`${base}/admin/outbox/jobs/J-none`, { headers: { authorization: `Bearer ${TOKEN}` } });
    t.equal(job.status, 404);
    t.match(await job.json(), {
      resourceType: 'OperationOutcome',
      issue: [{ code: 'not-found', expression: ['id'], diagnostics: 'no such outbox job' }],
    });
  });

  await t.test('in a browser, signed in: axe-clean, and the link goes home', { skip: noChromium }, async (t) => {
    const browser = await openBrowser();
    t.teardown(() => browser.close());
    const { page } = browser;
    await signIn(page, base, 'Nia Navigator', TOKEN);
    const res = await page.goto(`${base}/admin/ui/outbox/jobz`);
    t.equal(res?.status(), 404);
    t.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'No such page in the console');
    t.same(await seriousViolations(page), [], 'no serious or critical axe violation');
    await browser.shot('not-found');
    await page.getByRole('link', { name: 'Go to the review queue' }).click();
    await page.getByTestId('user').waitFor();
    t.match(page.url(), /\/admin\/ui\/review$/);
  });
});
