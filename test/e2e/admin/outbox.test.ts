/**
 * An operator sees a dead letter in the console and retries it, in headless Chromium: a stock
 * count to OpenLMIS fails while the sandbox answers 503 until the outbox gives up (two attempts);
 * the operator opens the outbox, reads the upstream's reason, confirms the retry, and the job is
 * then delivered to the (recovered) sandbox: the stock event exists there, the job is done, and
 * its timeline shows every attempt, the retry by the operator and the upstream id.
 */
import t from 'tap';
import { openBrowser, noChromium, seriousViolations, signIn } from './browser.js';
import { ADMIN_TOKEN, startConsoleRig } from './console-rig.js';
import { until } from '../../support/net.js';

const OPERATOR = 'Omar Operator';

t.test('dead letter retried from the console', { skip: noChromium }, async (t) => {
  const rig = await startConsoleRig({ OUTBOX_MAX_ATTEMPTS: '2', OUTBOX_DEADLINE_MS: '1500' });
  t.teardown(() => rig.close());
  const browser = await openBrowser();
  t.teardown(() => browser.close());
  const { page } = browser;
  const { lmis, mediator } = rig;
  const facilityId = lmis.seed.facilities['LK-HC-101'];

  // a stock count, copied from the facility's current stock as the FHIR API reads it
  const reports = (
    await rig.fhir('GET', `/fhir/R5/InventoryReport?location=${encodeURIComponent(`Location/${facilityId}`)}`)
  ).body.entry.map((e: any) => e.resource);
  const count = structuredClone(reports[0]);
  delete count.id;
  delete count.meta;
  count.identifier = [{ system: 'https://mobile.example.org/counts', value: 'CNT-CONSOLE-1' }];
  count.reportedDateTime = '2026-11-21T09:00:00Z';
  count.inventoryListing[0].countingDateTime = '2026-11-21T08:30:00Z';
  for (const item of count.inventoryListing[0].item) item.quantity.value = Math.max(0, item.quantity.value - 5);

  const outage = lmis.sb.faults.add({
    method: 'POST',
    path: '/api/**stockEvents',
    action: { type: 'status', status: 503, body: { message: 'stock service is restarting' } },
  });
  const eventsBefore = lmis.sb.state.counts().stockEvents;
  const accepted = await rig.fhir('POST', '/fhir/R5/InventoryReport', count);
  t.equal(accepted.status, 202, 'accepted and queued while OpenLMIS is down');
  const [job] = await mediator.store.listJobs({ flow: 'stock' });
  t.ok(job, 'one stock job in the outbox');
  await until('the job is dead-lettered', async () => (await mediator.store.getJob(job.id))?.status === 'dead', 30_000);
  lmis.sb.faults.remove(outage.id); // OpenLMIS is back

  await signIn(page, mediator.url, OPERATOR, ADMIN_TOKEN);
  await page.getByRole('link', { name: 'Outbox', exact: true }).click();
  t.equal(await page.getByTestId('count-dead').textContent(), '1');
  const row = page.locator(`tr[data-job="${job.id}"]`);
  t.match(await row.textContent(), /503/, 'the dead letter shows the upstream status');
  t.match(await row.textContent(), /stock service is restarting|unavailable|503/i, "and the upstream's reason");
  await browser.shot('outbox-dead-letter');

  await row.getByRole('link', { name: 'Retry…' }).click();
  t.match(await page.locator('h1').textContent(), /Retry job/);
  t.equal((await mediator.store.getJob(job.id))?.status, 'dead', 'nothing happens before the confirmation');
  t.same(await seriousViolations(page), [], 'axe-core: the confirmation page has no serious violation');
  await page.getByTestId('confirm').click();
  t.match(await page.getByRole('status').first().textContent(), /queued again/);

  await until(
    'the retried job is delivered',
    async () => (await mediator.store.getJob(job.id))?.status === 'done',
    30_000,
  );
  t.equal(lmis.sb.state.counts().stockEvents, eventsBefore + 1, 'the stock event reached OpenLMIS once');
  await page.reload();
  t.equal(await page.getByTestId('job-status').textContent(), 'done');
  const timeline = await page.getByTestId('timeline').textContent();
  t.match(timeline, new RegExp(`outbox.retry by ${OPERATOR}`), 'the retry is on the timeline with the operator');
  t.match(timeline, /Accepted: stock to openlmis/);
  const attempts = await page.getByTestId('attempt').allTextContents();
  t.equal(attempts.length, 3, 'every attempt is on the timeline: two failures, then the delivery');
  t.match(attempts[0], /Attempt 1: failed, to be retried.*503/);
  t.match(attempts[1], /Attempt 2: failed, given up.*503/);
  t.match(attempts[2], /Attempt 1: delivered/, "the operator's retry starts a new budget");
  t.match(await page.getByTestId('upstream-ids').textContent(), /[0-9a-f-]{36}/, 'the upstream id of the stock event');
  await browser.shot('outbox-job-timeline');
  t.same(await seriousViolations(page), [], 'axe-core: the job page has no serious violation');
  const [audit] = (await mediator.store.listAudit({ subject: job.id })).filter((a) => a.action === 'outbox.retry');
  t.equal(audit?.actor, OPERATOR, 'audited with the signed-in operator');

  await page.getByRole('link', { name: 'Outbox', exact: true }).click();
  t.equal(await page.getByTestId('count-dead').textContent(), '0');
  t.equal(await page.getByTestId('count-done').textContent(), '1');
});
