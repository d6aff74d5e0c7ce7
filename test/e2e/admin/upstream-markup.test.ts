/**
 * Facility names and upstream errors are data, never markup. OpenLMIS names a facility
 * `<img src=x onerror=…>`, the registry names a candidate `</script><script>…</script>`, and
 * OpenLMIS answers a failed read with markup in its message: in headless Chromium the review
 * queue and the jobs list show each as text, build no element from it and run no script of it
 * (no dialog, no marker set, no CSP violation, which would mean markup reached the page and only
 * the policy stopped it).
 */
import t, { type Test } from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { openBrowser, noChromium, signIn } from './browser.js';
import { ADMIN_TOKEN, startConsoleRig } from './console-rig.js';

const SYSTEM_NAME = `<img src=x onerror="document.title='pwned-system';alert(1)"> Health Post`;
const REGISTRY_NAME = `</script><script>document.title='pwned-registry';alert(2)</script><b>Annex</b>`;
const ERROR_TEXT = `<svg onload="document.title='pwned-error';alert(3)"></svg> database down`;

t.test('markup from upstreams renders as text in the browser', { skip: noChromium }, async (t) => {
  const rig = await startConsoleRig();
  t.teardown(() => rig.close());
  // every health post OpenLMIS lists, and every registry candidate, gets a hostile name
  for (const f of rig.lmis.sb.state.store.facilities.values()) if (/^Health Post/.test(f.name)) f.name = SYSTEM_NAME;
  const registry = JSON.parse(readFileSync(rig.registryFile, 'utf8')) as { name: string }[];
  writeFileSync(rig.registryFile, JSON.stringify(registry.map((r) => ({ ...r, name: REGISTRY_NAME }))));

  const browser = await openBrowser();
  t.teardown(() => browser.close());
  const { page } = browser;
  const dialogs: string[] = [];
  const violations: string[] = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  page.on('console', (m) => {
    if (/Content.Security.Policy|Refused to/i.test(m.text())) violations.push(m.text());
  });
  const base = rig.mediator.url;
  const untouched = async (t: Test, what: string) => {
    t.notMatch(await page.title(), /pwned/, `${what}: no script of the data ran`);
    t.equal(await page.locator('img[src="x"], svg[onload], b').count(), 0, `${what}: no element built from the data`);
    t.equal(await page.locator('script:not([src])').count(), 0, `${what}: no inline script in the page`);
  };

  await signIn(page, base, 'Dana Data', ADMIN_TOKEN);
  await page.getByTestId('record-name').waitFor();
  t.equal(await page.getByTestId('record-name').textContent(), SYSTEM_NAME, "OpenLMIS's name shown as it is");
  t.match(await page.getByTestId('candidate').first().textContent(), REGISTRY_NAME, "the registry's name too");
  await untouched(t, 'review queue');

  rig.lmis.sb.faults.add({
    method: 'GET',
    path: '/api/facilities**',
    action: { type: 'status', status: 500, body: { status: 500, error: 'Internal Server Error', message: ERROR_TEXT } },
  });
  const run = await rig.admin('POST', '/admin/jobs/reconcile/run');
  t.equal(run.body.run.outcome, 'failed');
  await page.goto(`${base}/admin/ui/propagation`);
  t.match(await page.locator('main').textContent(), ERROR_TEXT, 'the failed run shows the upstream message as text');
  await untouched(t, 'jobs list');

  t.same(dialogs, [], 'no dialog opened');
  t.same(violations, [], 'no CSP violation: nothing was there for the policy to stop');
});
