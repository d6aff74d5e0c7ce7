/**
 * The console while the mediator's own database is away, in headless Chromium against the real
 * mediator: every page and form post answers a 503 HTML page in the console's style (what is
 * wrong, try again, Retry-After), never the admin API's JSON, and axe finds no serious violation
 * on it. A decision sent while the database refused writes is sent again from that page once it
 * is back, and is taken once. SQLite: the file refuses writes (query_only, as a read-only
 * remount does); PostgreSQL: its server stopped (a server of the test's own), so reads fail too
 * and even the session cannot be read; the admin JSON API keeps its OperationOutcome.
 */
import { execSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import type { Page, Response } from 'playwright-core';
import { acquireConnection, releaseConnection } from '../../../src/store/sqlite-connection.js';
import { ownPgServer, PG_SKIP } from '../outbox/pg-outage-rig.js';
import { ARTIFACTS, openBrowser, noChromium, seriousViolations, signIn } from './browser.js';
import { ADMIN_TOKEN, startConsoleRig, type ConsoleRig } from './console-rig.js';

const USER = 'Omar Outage';

/** The 503 page as a person and a browser see it. */
async function checkUnavailablePage(t: Test, page: Page, answer: Response | null, name: string) {
  t.ok(answer, 'an answer came');
  if (!answer) return;
  t.equal(answer.status(), 503, `${name}: 503`);
  t.equal(answer.headers()['retry-after'], '15', 'Retry-After says when');
  t.match(answer.headers()['content-type'], /^text\/html/, "a page, not the API's JSON");
  t.equal(
    await page.getByRole('heading', { level: 1 }).textContent(),
    "The mediator's database is unavailable just now",
  );
  t.match(await page.getByRole('alert').textContent(), /cannot read or save anything until it is back/);
  t.match(await page.locator('main').textContent(), /Try again in 15 seconds/);
  t.notMatch(await page.content(), /ECONNREFUSED|SQLITE|readonly|resourceType|at .*\.ts:\d+/, 'no driver text');
  await page.screenshot({ path: path.join(ARTIFACTS, `console-database-away-${name.replaceAll(' ', '-')}.png`) });
  t.same(await seriousViolations(page), [], `axe-core: ${name} has no serious violation`);
}

const accept = (page: Page) =>
  Promise.all([
    page.waitForResponse((r) => r.url().endsWith('/admin/ui/review/decide')),
    page.getByRole('button', { name: /^Accept/ }).click(),
  ]).then(([r]) => r);

t.test(
  'sqlite: a decision sent while writes are refused, sent again',
  { skip: noChromium, timeout: 240_000 },
  async (t) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'console-db-away-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'mediator.db');
    const rig: ConsoleRig = await startConsoleRig({ DATABASE_URL: `sqlite:${file}` });
    t.teardown(() => rig.close());
    const conn = acquireConnection(file); // the mediator's own connection (one per file per process)
    t.teardown(() => releaseConnection(conn));
    const browser = await openBrowser();
    t.teardown(() => browser.close());
    const { page } = browser;
    await signIn(page, rig.mediator.url, USER, ADMIN_TOKEN);
    const systemId = (await page.getByTestId('record-id').textContent())!;

    conn.db.pragma('query_only = ON');
    let refused: Response;
    try {
      refused = await accept(page);
      await checkUnavailablePage(t, page, refused, 'a form post');
      t.match(await page.locator('dl.facts').textContent(), new RegExp(`systemId${systemId}`), 'what was sent, shown');
      t.equal((await rig.mediator.store.getCrosswalk('openlmis', systemId))?.state, 'review', 'nothing decided');
    } finally {
      conn.db.pragma('query_only = OFF');
    }

    const [again] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/admin/ui/review/decide')),
      page.getByRole('button', { name: 'Send again' }).click(),
    ]);
    t.equal(again.status(), 303, 'taken once the database is back');
    await page.getByTestId('user').waitFor();
    t.match(await page.getByRole('status').textContent(), new RegExp(`Accept: ${systemId} → MFR-`));
    const row = await rig.mediator.store.getCrosswalk('openlmis', systemId);
    t.match(row, { state: 'manual-match', decidedBy: USER }, 'decided once, by the person');
  },
);

t.test('postgres: the server stopped', { skip: noChromium || PG_SKIP, timeout: 240_000 }, async (t) => {
  const server = ownPgServer();
  t.teardown(() => execSync(server.stop, { stdio: 'ignore' }));
  const rig: ConsoleRig = await startConsoleRig({ DATABASE_URL: server.url });
  let down = false;
  const up = () => {
    if (down) execSync(server.up, { stdio: 'ignore' });
    down = false;
  };
  t.teardown(async () => {
    up();
    await rig.close();
  });
  const browser = await openBrowser();
  t.teardown(() => browser.close());
  const { page } = browser;
  const base = rig.mediator.url;
  await signIn(page, base, USER, ADMIN_TOKEN);
  const systemId = (await page.getByTestId('record-id').textContent())!;

  execSync(server.down, { stdio: 'ignore' });
  down = true;
  try {
    // another tab of the same browser: the review page stays open in the first
    const other = await browser.context.newPage();
    await checkUnavailablePage(t, other, await other.goto(`${base}/admin/ui/outbox`), 'a page view');
    t.equal(
      await other.getByRole('link', { name: 'Try again' }).getAttribute('href'),
      '/admin/ui/outbox',
      'try again loads the same page',
    );
    const refused = await accept(page);
    await checkUnavailablePage(t, page, refused, 'a form post without its session');
    const api = await fetch(`${base}/admin/reconcile/openlmis/crosswalk`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    t.equal(api.status, 503, 'the admin API: still a 503');
    t.match(api.headers.get('content-type'), /json/, 'the admin API keeps its OperationOutcome');
    t.match(await api.json(), { resourceType: 'OperationOutcome', issue: [{ code: 'transient' }] });
  } finally {
    up();
  }

  const [again] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith('/admin/ui/review/decide')),
    page.getByRole('button', { name: 'Send again' }).click(),
  ]);
  t.equal(again.status(), 303, 'sent again once the database is back');
  await page.getByTestId('user').waitFor();
  t.match(await rig.mediator.store.getCrosswalk('openlmis', systemId), { state: 'manual-match', decidedBy: USER });
  const other = browser.context.pages()[1];
  const [reloaded] = await Promise.all([
    other.waitForResponse((r) => r.url().endsWith('/admin/ui/outbox')),
    other.getByRole('link', { name: 'Try again' }).click(),
  ]);
  t.equal(reloaded.status(), 200, 'try again: the page renders once the database is back');
});
