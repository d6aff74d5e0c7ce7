/**
 * Console sessions and the sign-in limit in headless Chromium against the real mediator: a
 * person stays signed in across a restart of the mediator (the session is in the store, not the
 * process), sign-out ends it for good, and a run of wrong tokens for one name ends in the 429
 * page with its wait, while the right token still cannot get in for that name until then.
 */
import t from 'tap';
import type { RunningMediator } from '../../../src/main.js';
import { mediatorDataDir, startConsoleMediator } from '../../support/console-mediator.js';
import { openBrowser, noChromium, seriousViolations, signIn } from './browser.js';

const TOKEN = 'console-session-token-Qe42';
const USER = 'Rita Restart';

t.test(
  'a console session survives a restart; sign-out ends it; sign-in is limited',
  { skip: noChromium },
  async (t) => {
    const dir = mediatorDataDir(t, 'console-session-');
    const start = () => startConsoleMediator(dir, TOKEN);
    let mediator: RunningMediator = await start();
    t.teardown(() => mediator.stop());
    const browser = await openBrowser();
    t.teardown(() => browser.close());
    const { page } = browser;

    await signIn(page, mediator.url, USER, TOKEN);
    t.equal(await page.getByTestId('user').textContent(), USER);

    await mediator.stop();
    mediator = await start(); // same database, another process state (and port: cookies ignore ports)
    await page.goto(`${mediator.url}/admin/ui/systems`);
    t.match(page.url(), /\/admin\/ui\/systems$/, 'no detour to the sign-in page');
    t.equal(await page.getByTestId('user').textContent(), USER, 'still signed in after the restart');

    await page.getByRole('button', { name: 'Sign out' }).click();
    t.match(page.url(), /\/admin\/ui\/login/);
    await page.goto(`${mediator.url}/admin/ui/systems`);
    t.match(page.url(), /\/admin\/ui\/login/, 'signed out stays signed out');

    // five wrong tokens for one name, then the limit
    const attempt = async (token: string) => {
      await page.goto(`${mediator.url}/admin/ui/login`);
      await page.getByLabel('Your name').fill(USER);
      await page.getByLabel('Admin token').fill(token);
      const [answer] = await Promise.all([
        page.waitForResponse((r) => r.url().endsWith('/admin/ui/login') && r.request().method() === 'POST'),
        page.getByRole('button', { name: 'Sign in' }).click(),
      ]);
      return answer;
    };
    for (let i = 0; i < 5; i++) t.equal((await attempt(`wrong-${i}`)).status(), 401, `wrong token ${i + 1}`);
    const limited = await attempt(TOKEN);
    t.equal(limited.status(), 429, 'the right token too, for that name, until the window moves on');
    t.ok(Number(limited.headers()['retry-after']) > 0);
    t.match(
      await page.getByRole('alert').textContent(),
      /Too many failed sign-ins for the name "Rita Restart": try again in \d+ min/,
    );
    await browser.shot('console-sign-in-limited');
    t.same(await seriousViolations(page), [], 'axe-core: the refusal page has no serious violation');
  },
);
