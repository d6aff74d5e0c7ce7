/**
 * Issue 17's must-show "a held propagation is released by a review decision", in headless
 * Chromium against the real mediator (startMediator, as main.ts wires it) and the OpenLMIS
 * sandbox. The registry pushes a renamed facility through its mCSD feed; the OpenLMIS record that
 * may be that facility is in the review queue, so the propagator holds the change. A data manager
 * signs in, opens that record in the review queue and accepts the match with the keyboard. The
 * decision alone releases the change (nobody presses "plan held changes again"): it reaches the
 * sandbox exactly once, the propagation view shows it done, and the audit names her.
 */
import t from 'tap';
import { openBrowser, noChromium, signIn } from './browser.js';
import { ADMIN_TOKEN, startConsoleRig } from './console-rig.js';
import { until } from '../../support/net.js';
import type { CrosswalkRow } from '../../../src/registry/crosswalk-types.js';

const USER = 'Dana Data';
const HELD_ID = 'MFR-1000'; // "Health Post 01" in the rig's registry file, a candidate of a record in review
const RENAMED = 'Health Post 01 (upgraded)';
const REGISTRY_CODES = 'http://fhir-supply-mediator.org/fhir/identifier/registry-facility-code';

t.test('a held propagation is released by a review decision', { skip: noChromium }, async (t) => {
  const rig = await startConsoleRig();
  t.teardown(() => rig.close());
  const browser = await openBrowser();
  t.teardown(() => browser.close());
  const { page } = browser;
  const { mediator } = rig;
  const store = mediator.store;
  const base = mediator.url;

  const inReview = (await store.listCrosswalk('openlmis')).find(
    (r) => r.state === 'review' && r.suggestions.some((s) => s.registryId === HELD_ID),
  ) as CrosswalkRow;
  t.ok(inReview, 'after the reconcile run, an OpenLMIS record in review names the registry facility');
  const before = await rig.fhir('GET', `/fhir/Location/${encodeURIComponent(inReview.systemId)}`);
  t.not(before.body?.name, RENAMED);

  // every facility write the sandbox receives, observed on its HTTP server (the mediator's own calls)
  const writes: string[] = [];
  rig.lmis.sb.app.server.on('request', (req: { method?: string; url?: string }) => {
    if ((req.method === 'PUT' || req.method === 'POST') && /^\/api\/facilities(\/|$|\?)/.test(req.url ?? ''))
      if (!req.url!.startsWith('/api/facilities/search')) writes.push(`${req.method} ${req.url!.split('?')[0]}`);
  });

  // the registry pushes the renamed facility (mCSD feed, the FHIR API's inbound credentials)
  const push = await rig.fhir('PUT', `/registry/Location/${HELD_ID}`, {
    resourceType: 'Location',
    id: HELD_ID,
    meta: { versionId: '7' },
    status: 'active',
    name: RENAMED,
    identifier: [{ system: REGISTRY_CODES, value: 'MFL1000' }],
  });
  t.equal(push.status, 200, JSON.stringify(push.body));
  t.match(push.body.issue[0].diagnostics, /1 held/, 'the feed says the change is held');
  t.match(
    await store.getPropagation(HELD_ID, 'openlmis'),
    { state: 'held', version: '7', reason: new RegExp(`record ${inReview.systemId} is in the review queue`) },
    'held by the propagator because the record is in review',
  );
  t.same(writes, [], 'nothing written to OpenLMIS while held');

  // the data manager opens the record in the review queue and accepts the match, keyboard only
  await signIn(page, base, USER, ADMIN_TOKEN);
  if ((await page.getByTestId('record-id').textContent())?.trim() !== inReview.systemId)
    await Promise.all([
      page.waitForNavigation(),
      page.locator(`ul.queue a[href*="at=${encodeURIComponent(inReview.systemId)}"]`).click(),
    ]);
  t.equal((await page.getByTestId('record-id').textContent())?.trim(), inReview.systemId, 'the record on screen');
  const candidates = await page
    .locator('input[name="registryId"]')
    .evaluateAll((els) => els.map((e) => (e as unknown as { value: string }).value));
  const pick = candidates.indexOf(HELD_ID);
  t.ok(pick >= 0, `${HELD_ID} is among the candidates shown (${candidates.join(', ')})`);
  for (let i = 0; i < pick; i++) await page.keyboard.press('ArrowDown');
  await browser.shot('review-release-before-accept');
  await Promise.all([page.waitForNavigation(), page.keyboard.press('a')]);
  t.match(await page.getByRole('status').first().textContent(), inReview.systemId, 'the decision confirmed on screen');
  t.match(await store.getCrosswalk('openlmis', inReview.systemId), {
    state: 'manual-match',
    registryId: HELD_ID,
    decidedBy: USER,
  });

  // released by the decision itself: no "plan held changes again" anywhere
  await until(
    'the released change is delivered to OpenLMIS',
    async () => (await store.getPropagation(HELD_ID, 'openlmis'))?.state === 'done',
    30_000,
  );
  t.match(await store.getPropagation(HELD_ID, 'openlmis'), { state: 'done', systemId: inReview.systemId });
  const after = await rig.fhir('GET', `/fhir/Location/${encodeURIComponent(inReview.systemId)}`);
  t.equal(after.body?.name, RENAMED, "the registry's new name reached OpenLMIS");
  t.same(writes, [`PUT /api/facilities/${inReview.systemId}`], 'written to the sandbox exactly once');
  const releases = (await store.listAudit({ limit: 500 })).filter((a) => a.action === 'propagation.release');
  t.same(releases, [], 'nobody pressed "plan held changes again"');
  const [decision] = await store.listAudit({ subject: `openlmis/${inReview.systemId}`, limit: 1 });
  t.match(decision, { actor: USER, action: 'review.accept', details: { from: 'review', registryId: HELD_ID } });

  // the propagation view shows it done, nothing held in OpenLMIS
  await page.getByRole('link', { name: 'Propagation and bridges' }).click();
  t.match(await page.locator('h1').textContent(), /Propagation and bridges/);
  const row = page.locator(`tr[data-registry="${HELD_ID}"][data-system="openlmis"]`);
  t.equal(await row.first().getAttribute('data-state'), 'done');
  t.match(await row.first().textContent(), RENAMED, 'the registry name on the row');
  const heldCount = page.getByTestId('count-openlmis-held');
  t.equal((await heldCount.count()) ? await heldCount.textContent() : '0', '0', 'nothing held in OpenLMIS');
  await browser.shot('review-release-propagation-done');
});
