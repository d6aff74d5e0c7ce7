/**
 * Very long values in the console, in headless Chromium against the real mediator: an outbox job
 * whose business key is one unbroken 400-character word (a client's identifier system and value)
 * must not push the outbox page wider than the screen, on a desktop or a tablet.
 */
import t from 'tap';
import type { Page } from 'playwright-core';
import { newJob } from '../../support/new-job.js';
import { mediatorDataDir, startConsoleMediator } from '../../support/console-mediator.js';
import { openBrowser, noChromium, signIn } from './browser.js';

const TOKEN = 'long-values-token-Hq93';

const overflow = (page: Page) =>
  page.evaluate(() => {
    const d = (globalThis as unknown as { document: { documentElement: { scrollWidth: number; clientWidth: number } } })
      .document.documentElement;
    return d.scrollWidth - d.clientWidth;
  });

t.test('a 400-character business key does not widen the outbox page', { skip: noChromium }, async (t) => {
  const mediator = await startConsoleMediator(mediatorDataDir(t, 'console-long-'), TOKEN);
  t.teardown(() => mediator.stop());
  // a system no connector serves: the job waits, as one does while its upstream is away
  const key = `order|http://clinic.example/fhir/sid/orders|${'A1B2C3D4'.repeat(46)}`;
  await mediator.store.recordWrite(newJob('J-long', { system: 'sys-far', idempotencyKey: key }));
  const browser = await openBrowser();
  t.teardown(() => browser.close());
  const { page } = browser;
  await signIn(page, mediator.url, 'Lee Long', TOKEN);
  for (const width of [1280, 800]) {
    await page.setViewportSize({ width, height: 900 });
    await page.goto(`${mediator.url}/admin/ui/outbox`);
    t.ok(await page.getByText(key).isVisible(), 'the whole key is shown');
    const px = await overflow(page);
    t.ok(px <= 0, `${width} px wide: no horizontal overflow (${px} px)`);
    await browser.shot(`outbox-long-key-${width}`);
  }
});
