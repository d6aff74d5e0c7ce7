/**
 * Every console page in headless Chromium loads without an error line in the browser's console. A browser asks each
 * page's origin for /favicon.ico unless the page names its icon; the mediator answers that path,
 * like any path outside the console, with a 401 and `WWW-Authenticate: Basic`, which is an error
 * line in the browser's console on every page an operator opens. The pages name an empty icon
 * instead, so no such request is made.
 */
import t from 'tap';
import { mediatorDataDir, startConsoleMediator } from '../../support/console-mediator.js';
import { openBrowser, noChromium, signIn } from './browser.js';

const TOKEN = 'console-favicon-token-Fv27';
const VIEWS = ['review', 'outbox', 'propagation', 'systems'];

t.test('console pages load without an error in the browser', { skip: noChromium }, async (t) => {
  const mediator = await startConsoleMediator(mediatorDataDir(t, 'console-favicon-'), TOKEN);
  t.teardown(() => mediator.stop());
  const browser = await openBrowser();
  t.teardown(() => browser.close());
  const { page } = browser;
  // the favicon is fetched by the browser, not the page: only the console's error line shows it
  const errors: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`${msg.text()} (${new URL(msg.location().url).pathname})`);
  });

  await page.goto(`${mediator.url}/admin/ui/login`);
  await page.waitForLoadState('networkidle');
  await signIn(page, mediator.url, 'Fiona Favicon', TOKEN);
  for (const view of VIEWS) {
    await page.goto(`${mediator.url}/admin/ui/${view}`);
    await page.waitForLoadState('networkidle');
  }
  t.same(errors, [], 'no error line for the sign-in page or the four views');
});
