/**
 * The "Propagation and bridges" view in headless Chromium against the real mediator and the
 * OpenLMIS sandbox. Seeded in the mediator's store as the propagator and the scheduler record them:
 * a registry change held because its OpenLMIS record is in review, a done one with fields OpenLMIS
 * cannot keep, a failed one, and bridge runs with their counts. The operator sees
 * each with its reason, filters by state, and, after the match has been decided outside the review
 * API (as a crosswalk import does), plans held changes again from the console: the change is
 * delivered to the sandbox, and the action is audited with the operator's name.
 */
import t from 'tap';
import { openBrowser, noChromium, seriousViolations, signIn } from './browser.js';
import { ADMIN_TOKEN, startConsoleRig } from './console-rig.js';
import { until } from '../../support/net.js';
import type { CrosswalkRow } from '../../../src/registry/crosswalk-types.js';

const OPERATOR = 'Pat Propagation';
const HELD_ID = 'MFR-1000'; // "Health Post 01" in the rig's registry file, a candidate of a record in review

const REGISTRY_CODES = 'http://fhir-supply-mediator.org/fhir/identifier/registry-facility-code';
const record = (id: string, name: string) => ({
  registryId: id,
  version: '3',
  changedAt: Date.parse('2026-11-20T10:00:00Z'),
  record: {
    id,
    version: '3',
    lastUpdated: '2026-11-20T10:00:00Z',
    facility: {
      id,
      name,
      kind: 'facility',
      status: 'active',
      identifiers: [{ system: REGISTRY_CODES, value: `MFL${id.slice(4)}` }],
    },
  },
  seenAt: Date.now(),
});

t.test('propagation and bridges view', { skip: noChromium }, async (t) => {
  const rig = await startConsoleRig();
  t.teardown(() => rig.close());
  const browser = await openBrowser();
  t.teardown(() => browser.close());
  const { page } = browser;
  const { mediator } = rig;
  const store = mediator.store;
  const base = mediator.url;

  // the OpenLMIS record the registry's "Health Post 01" may be: in review after the rig's reconcile run
  const inReview = (await store.listCrosswalk('openlmis')).find(
    (r) => r.state === 'review' && r.suggestions.some((s) => s.registryId === HELD_ID),
  ) as CrosswalkRow;
  t.ok(inReview, 'a record in review names the registry facility');
  // held as the propagator holds it (src/registry/propagation/plan.ts): the registry's change is kept, and
  // its propagation to OpenLMIS waits for a person
  await store.putRegistryRecords([record(HELD_ID, 'Health Post 01')]);
  await store.putPropagation({
    registryId: HELD_ID,
    system: 'openlmis',
    version: '3',
    action: 'update',
    state: 'held',
    reason: `record ${inReview.systemId} is in the review queue: a person must accept or reject the match`,
    updatedAt: Date.now() - 60_000,
  });

  // a done change with fields OpenLMIS cannot keep, and a failed one, as the propagator records them
  await store.putRegistryRecords([record('MFR-1001', 'Health Post 02'), record('MFR-1002', 'Health Post 03')]);
  await store.putPropagation({
    registryId: 'MFR-1001',
    system: 'openlmis',
    version: '3',
    action: 'update',
    state: 'done',
    systemId: 'lmis-fac-2',
    unsupported: { position: 'OpenLMIS facilities carry no geolocation in this version' },
    updatedAt: Date.now() - 3_600_000,
  });
  await store.putPropagation({
    registryId: 'MFR-1002',
    system: 'openlmis',
    version: '3',
    action: 'create',
    state: 'failed',
    reason: 'OpenLMIS refused the facility: <code> already used',
    updatedAt: Date.now() - 7_200_000,
  });
  // bridge runs with their counts, as the scheduler records them
  const started = Date.now() - 600_000;
  const rts = await store.startJobRun({
    name: 'rtsToMsupply',
    trigger: 'schedule',
    tickAt: started,
    startedAt: started,
  });
  await store.finishJobRun(rts!.id, {
    endedAt: started + 4000,
    outcome: 'ok',
    counts: { read: 5, created: 3, already: 2, held: 2 },
    detail: [
      'held: requisition event ev1 of facility LK-HC-104: no supplying-store rule matched <b>north</b>',
      'held: requisition event ev2 of facility LK-HC-103: store LK-WH-399 is not an Open mSupply store',
    ].join('\n'),
  });
  const stock = await store.startJobRun({ name: 'stockToDhis2', trigger: 'manual', startedAt: started + 1000 });
  await store.finishJobRun(stock!.id, {
    endedAt: started + 2000,
    outcome: 'failed',
    detail: 'DHIS2 answered 409: period is locked',
  });

  await signIn(page, base, OPERATOR, ADMIN_TOKEN);
  await page.getByRole('link', { name: 'Propagation and bridges' }).click();
  t.match(await page.locator('h1').textContent(), /Propagation and bridges/);

  await t.test('counts, held first, why, fields not kept, bridge runs', async (t) => {
    t.equal(await page.getByTestId('count-openlmis-held').textContent(), '1');
    t.equal(await page.getByTestId('count-openlmis-done').textContent(), '1');
    t.equal(await page.getByTestId('count-openlmis-failed').textContent(), '1');
    const rows = page.locator('[data-testid="changes"] tbody tr');
    t.equal(await rows.first().getAttribute('data-state'), 'held', 'held rows first when no filter');
    const held = page.locator(`tr[data-registry="${HELD_ID}"]`);
    t.match(await held.textContent(), /Health Post 01/, 'the registry name');
    t.match(await held.textContent(), new RegExp(`record ${inReview.systemId} is in the review queue`), 'why it waits');
    const done = page.locator('tr[data-registry="MFR-1001"]');
    t.match(
      await done.textContent(),
      /position: OpenLMIS facilities carry no geolocation/,
      'the field not kept, and why',
    );
    const failed = page.locator('tr[data-registry="MFR-1002"]');
    t.match(await failed.textContent(), /<code> already used/, "the upstream's reason, as text");
    t.equal(await page.locator('tr[data-registry="MFR-1002"] code >> text=already').count(), 0, 'never as markup');
    const bridge = page.getByTestId('job-rtsToMsupply');
    t.match(await bridge.textContent(), /read 5, created 3, already 2/, 'the run counts');
    const detail = bridge.locator('.run-detail');
    t.match(
      await detail.innerText(),
      /ev1 of facility LK-HC-104: no supplying-store rule matched <b>north<\/b>\n.*ev2/,
      'why each was held, a line each',
    );
    t.equal(await bridge.locator('.run-detail b').count(), 0, 'as text, never as markup');
    t.match(await bridge.textContent(), /Schedule/);
    t.match(await page.getByTestId('job-stockToDhis2').textContent(), /failed: DHIS2 answered 409: period is locked/);
    t.match(await page.getByTestId('job-reconcile').textContent(), /manual\s*ok/, "the rig's reconcile run");
    t.same(await seriousViolations(page), [], 'axe-core: no serious violation');
    await browser.shot('propagation');
  });

  await t.test('filters by state (GET form) and pages with "next"', async (t) => {
    await page.getByLabel('State').selectOption('failed');
    await page.getByRole('button', { name: 'Show' }).click();
    t.match(page.url(), /state=failed/);
    const states = await page
      .locator('[data-testid="changes"] tbody tr')
      .evaluateAll((rs) => rs.map((r) => (r as unknown as { dataset: { state: string } }).dataset.state));
    t.same(states, ['failed']);
    await page.goto(`${base}/admin/ui/propagation?limit=1`);
    t.equal(await page.getByTestId('showing').textContent(), '1–1 of 3');
    t.equal(await page.locator('[data-testid="changes"] tbody tr').getAttribute('data-state'), 'held');
    await page.getByTestId('next').click();
    t.equal(await page.getByTestId('showing').textContent(), '2–2 of 3');
    t.equal(await page.locator('[data-testid="changes"] tbody tr').getAttribute('data-state'), 'failed');
    await page.getByTestId('next').click();
    t.equal(await page.locator('[data-testid="changes"] tbody tr').getAttribute('data-state'), 'done');
    t.equal(await page.getByTestId('next').count(), 0, 'no "next" on the last page');
  });

  await t.test('focus order: the views, then the page top to bottom', async (t) => {
    await page.goto(`${base}/admin/ui/propagation`);
    const focused = () =>
      page.evaluate(() => {
        const el = (
          globalThis as unknown as {
            document: { activeElement: { textContent: string; getAttribute(n: string): string | null } };
          }
        ).document.activeElement;
        return (
          el.getAttribute('aria-label') ?? el.getAttribute('aria-labelledby') ?? el.textContent.trim().slice(0, 40)
        );
      });
    const order: string[] = [];
    for (let i = 0; i < 9; i++) {
      await page.keyboard.press('Tab');
      order.push(await focused());
    }
    t.same(order, [
      'Skip to content',
      'Review queue',
      'Outbox',
      'Propagation and bridges',
      'Systems',
      'Sign out',
      'counts-title', // the scrollable table, reachable to scroll it by keyboard
      '1 held in openlmis',
      '1 failed in openlmis',
    ]);
  });

  await t.test('a tablet: the page fits its width', async (t) => {
    await page.setViewportSize({ width: 800, height: 1100 });
    await page.goto(`${base}/admin/ui/propagation`);
    const overflow = await page.evaluate(() => {
      const d = (
        globalThis as unknown as { document: { documentElement: { scrollWidth: number; clientWidth: number } } }
      ).document.documentElement;
      return d.scrollWidth - d.clientWidth;
    });
    t.ok(overflow <= 0, `no horizontal overflow (${overflow} px)`);
    await browser.shot('propagation-tablet');
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  await t.test('held changes planned again after a decision made outside the review API', async (t) => {
    // a crosswalk import links the record: no review decision, so nothing releases the change by itself
    await store.upsertCrosswalk({
      ...inReview,
      state: 'manual-match',
      registryId: HELD_ID,
      decidedBy: 'crosswalk-import',
      decidedAt: new Date().toISOString(),
    });
    t.equal((await store.getPropagation(HELD_ID, 'openlmis'))?.state, 'held', 'still held before the release');

    await page.goto(`${base}/admin/ui/propagation`);
    await page.getByTestId('release').click();
    t.match(await page.locator('h1').textContent(), /Plan held changes again\?/);
    t.match(await page.locator('main').textContent(), /1 change is held: openlmis 1/);
    t.same(await seriousViolations(page), [], 'axe-core: the confirmation has no serious violation');
    t.equal(
      (await store.getPropagation(HELD_ID, 'openlmis'))?.state,
      'held',
      'nothing happens before the confirmation',
    );
    await page.getByTestId('confirm').click();
    t.match(await page.getByRole('status').first().textContent(), /1 held changes planned again/);

    await until(
      'the released change is delivered to OpenLMIS',
      async () => (await store.getPropagation(HELD_ID, 'openlmis'))?.state === 'done',
      30_000,
    );
    const facility = await rig.fhir('GET', `/fhir/Location/${encodeURIComponent(inReview.systemId)}`);
    t.equal(facility.body?.name, 'Health Post 01', 'the registry name reached OpenLMIS');
    await page.reload();
    t.equal(await page.getByTestId('count-openlmis-held').textContent(), '0');
    t.equal(await page.locator(`tr[data-registry="${HELD_ID}"]`).getAttribute('data-state'), 'done');
    const [audit] = (await store.listAudit({ subject: 'propagation' })).filter(
      (a) => a.action === 'propagation.release',
    );
    t.equal(audit?.actor, OPERATOR, 'audited with the signed-in operator');
    t.same(audit?.details, { released: 1 });
    await browser.shot('propagation-released');
  });
});
