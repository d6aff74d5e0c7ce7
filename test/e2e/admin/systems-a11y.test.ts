/**
 * The systems view and the console's accessibility, in headless Chromium against the real
 * mediator and the OpenLMIS sandbox:
 *  - each connector's readiness with the reason when it is down, its circuit breaker, recent calls;
 *  - the settings in force with their source, secrets masked (the values never reach the page);
 *  - every view passes an axe-core check with no serious or critical violation, keyboard focus
 *    starts at the skip link and walks the navigation in order, and the pages fit a tablet.
 * Screenshots of each view go to test/artifacts/.
 */
import t from 'tap';
import { openBrowser, noChromium, seriousViolations, signIn } from './browser.js';
import { ADMIN_TOKEN, startConsoleRig } from './console-rig.js';

t.test('systems view and accessibility', { skip: noChromium }, async (t) => {
  process.env.LOG_LEVEL = 'silent'; // the rig sets the same value: the view must name the environment as its source
  const rig = await startConsoleRig({ OPENLMIS_TIMEOUT_MS: '4000' });
  t.teardown(() => rig.close());
  const browser = await openBrowser();
  t.teardown(() => browser.close());
  const { page } = browser;
  const base = rig.mediator.url;
  await signIn(page, base, 'Sam Sysadmin', ADMIN_TOKEN);
  // some traffic so the systems view has calls to count
  t.equal((await rig.fhir('GET', '/fhir/Location?_count=5')).status, 200);

  await t.test('systems: readiness, breaker, calls, settings with their source, secrets masked', async (t) => {
    await page.goto(`${base}/admin/ui/systems`);
    const lmis = page.locator('tr[data-system="openlmis"]');
    t.match(await lmis.textContent(), /ready/);
    t.match(await lmis.textContent(), /\d+ ms \/ \d+ ms/, 'recent latency');
    t.match(await page.locator('tr[data-system="store"]').textContent(), /ready/);
    const setting = async (key: string) => (await page.locator(`tr[data-setting="${key}"]`).textContent()) ?? '';
    // the rig hands its settings to startMediator (overrides); LOG_LEVEL is also in this process's environment
    t.match(
      await setting('openlmis.baseUrl'),
      new RegExp(`${rig.lmis.sb.url.replace(/[.:/]/g, '.')}\\s*overrides`),
      'the URL, given at start-up',
    );
    t.match(await setting('log.level'), /silent\s*env/, 'from the environment');
    t.match(await setting('fhir.maxCount'), /200\s*default/, 'a default');
    t.match(await setting('openlmis.clientSecret'), /\*{10}\s*overrides/, 'a secret shows the mask');
    t.match(await setting('admin.token'), /\*{10}\s*overrides/);
    t.match(await setting('dhis2.apiToken'), /unset/, 'an unset secret says so');
    const html = await page.content();
    for (const secret of [ADMIN_TOKEN, 'changeme', 'e2e-secret-Qw3'])
      t.notOk(html.includes(secret), `no secret value in the page (${secret.slice(0, 3)}…)`);
    await browser.shot('systems');

    // OpenLMIS goes away: the view says so, with the reason /ready gives
    const fault = rig.lmis.sb.faults.add({
      method: 'GET',
      path: '/api/programs',
      action: { type: 'status', status: 503, body: { message: 'maintenance window' } },
    });
    await page.reload();
    t.match(await lmis.textContent(), /down/);
    t.match(await lmis.getByTestId('ready-reason').textContent(), /503/, 'with the upstream status');
    await browser.shot('systems-down');
    await browser.shot('systems-top', false);
    rig.lmis.sb.faults.remove(fault.id);
  });

  const views = [
    { name: 'review', url: '/admin/ui/review' },
    { name: 'outbox', url: '/admin/ui/outbox' },
    { name: 'systems', url: '/admin/ui/systems' },
  ];
  for (const view of views) {
    await t.test(`axe-core on the ${view.name} view: no serious violation`, async (t) => {
      await page.goto(`${base}${view.url}`);
      const violations = await seriousViolations(page);
      t.same(violations, [], JSON.stringify(violations, null, 1));
    });
  }

  await t.test('axe-core on the sign-in page', async (t) => {
    const fresh = await browser.context.browser()?.newContext();
    const p = fresh ? await fresh.newPage() : await browser.context.newPage();
    await p.context().clearCookies();
    await p.goto(`${base}/admin/ui/login`);
    t.same(await seriousViolations(p), []);
    await p.close();
  });

  await t.test('focus order: skip link, then the views in order, then sign out', async (t) => {
    await page.goto(`${base}/admin/ui/review`);
    const order: string[] = [];
    for (let i = 0; i < 6; i++) {
      await page.keyboard.press('Tab');
      order.push(
        await page.evaluate(() =>
          (
            globalThis as unknown as { document: { activeElement: { textContent: string } } }
          ).document.activeElement.textContent.trim(),
        ),
      );
    }
    t.same(order, ['Skip to content', 'Review queue', 'Outbox', 'Propagation and bridges', 'Systems', 'Sign out']);
    for (let i = 0; i < 5; i++) await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Enter'); // the skip link moves focus to the content
    t.equal(
      await page.evaluate(
        () => (globalThis as unknown as { document: { activeElement: { id: string } } }).document.activeElement.id,
      ),
      'main',
    );
  });

  await t.test('a tablet: the review page fits its width (no sideways scrolling)', async (t) => {
    await page.setViewportSize({ width: 800, height: 1100 });
    await page.goto(`${base}/admin/ui/review`);
    const overflow = await page.evaluate(() => {
      const d = (
        globalThis as unknown as { document: { documentElement: { scrollWidth: number; clientWidth: number } } }
      ).document.documentElement;
      return d.scrollWidth - d.clientWidth;
    });
    t.ok(overflow <= 0, `no horizontal overflow (${overflow} px)`);
    await browser.shot('review-tablet');
  });
});
