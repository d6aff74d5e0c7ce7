/**
 * A data manager reviews facility matches in the console, in headless Chromium: signs in, decides
 * ten records with the keyboard only (accept, the second candidate, reject, no-match, flag with a
 * comment), undoes the last, exports the crosswalk. Every decision must reach the store through
 * the review API with her name in the audit trail.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { openBrowser, noChromium, signIn } from './browser.js';
import { ADMIN_TOKEN, startConsoleRig } from './console-rig.js';

const USER = 'Dana Data';

t.test('review queue in the browser', { skip: noChromium }, async (t) => {
  const rig = await startConsoleRig();
  t.teardown(() => rig.close());
  const browser = await openBrowser();
  t.teardown(() => browser.close());
  const { page } = browser;
  const base = rig.mediator.url;
  const store = rig.mediator.store;
  const waiting = (await store.listCrosswalk('openlmis')).filter((r) => r.state === 'review');
  t.ok(waiting.length >= 12, `the queue holds ${waiting.length} records in review`);

  await t.test('the review API of the running mediator names the registry records', async (t) => {
    const res = await fetch(`${base}/admin/reconcile/openlmis/review?limit=5`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    t.equal(res.status, 200);
    const body = (await res.json()) as { items: { suggestions: { registryName?: string }[] }[] };
    t.ok(
      body.items.length &&
        body.items.every((i) =>
          i.suggestions.every((s) => typeof s.registryName === 'string' && s.registryName.length > 0),
        ),
      'every suggestion carries its registry name',
    );
  });

  await t.test('the console is behind the admin auth', async (t) => {
    const anonymous = await fetch(`${base}/admin/ui/review`, { redirect: 'manual' });
    t.equal(anonymous.status, 303);
    t.match(anonymous.headers.get('location'), /^\/admin\/ui\/login\?next=/);
    await page.goto(`${base}/admin/ui/login`);
    await page.getByLabel('Your name').fill(USER);
    await page.getByLabel('Admin token').fill('not-the-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    t.match(await page.getByRole('alert').textContent(), /not the one this mediator expects/);
  });

  await signIn(page, base, USER, ADMIN_TOKEN);
  t.match(await page.getByTestId('progress').textContent(), new RegExp(`0 of ${waiting.length} reviewed`));
  await page.getByTestId('record-name').waitFor();
  t.match(await page.getByTestId('candidate').first().textContent(), /For: .*names|Against: /, 'evidence in words');
  t.match(
    await page.getByTestId('candidate').first().textContent(),
    /Distance\s*1\.0 km apart/,
    'the distance to the first candidate',
  );
  t.match(
    await page.getByRole('img', { name: /Map of the record/ }).getAttribute('aria-label'),
    /candidate 1 at .*candidate 2 at/,
    'a small map of the record and both candidates',
  );
  await browser.shot('review-queue');

  // Ten decisions, keyboard only. Each: the record on screen, the keys, what the store must hold.
  type Step = {
    keys: string[];
    expect: (before: { registryIds: string[] }) => { state: string; registryId?: string };
    comment?: string;
  };
  const accept: Step = { keys: ['a'], expect: (b) => ({ state: 'manual-match', registryId: b.registryIds[0] }) };
  const steps: Step[] = [
    accept,
    accept,
    accept,
    { keys: ['ArrowDown', 'a'], expect: (b) => ({ state: 'manual-match', registryId: b.registryIds[1] }) },
    accept,
    { keys: ['r'], expect: () => ({ state: 'review' }) },
    { keys: ['n'], expect: () => ({ state: 'no-match' }) },
    accept,
    accept,
    { keys: ['f'], comment: 'two posts share this name: check on site', expect: () => ({ state: 'flagged' }) },
  ];
  const decided: { systemId: string; state: string; registryId?: string }[] = [];
  for (const [i, step] of steps.entries()) {
    const systemId = (await page.getByTestId('record-id').textContent())!.trim();
    const registryIds = await page
      .locator('input[name="registryId"]')
      .evaluateAll((els) => els.map((e) => (e as unknown as { value: string }).value));
    for (const key of step.keys.slice(0, -1)) await page.keyboard.press(key);
    const last = step.keys.at(-1)!;
    if (step.comment) {
      await page.keyboard.press(last); // f: focus the comment field
      await page.keyboard.type(step.comment);
      await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    } else {
      await Promise.all([page.waitForNavigation(), page.keyboard.press(last)]);
    }
    t.match(await page.getByRole('status').first().textContent(), systemId, `decision ${i + 1} confirmed on screen`);
    const expected = step.expect({ registryIds });
    const row = await store.getCrosswalk('openlmis', systemId);
    t.equal(row?.state, expected.state, `decision ${i + 1}: ${systemId} is ${expected.state}`);
    if (expected.registryId)
      t.equal(row?.registryId, expected.registryId, `decision ${i + 1}: linked to ${expected.registryId}`);
    t.equal(row?.decidedBy, USER);
    decided.push({ systemId, ...expected });
  }
  const audit = (await store.listAudit({ limit: 500 })).filter((e) => e.action.startsWith('review.'));
  t.equal(audit.filter((e) => e.actor === USER).length, 10, 'ten review decisions audited with her name');
  t.same(
    audit.map((e) => e.action).sort(),
    [...Array(7).fill('review.accept'), 'review.flag', 'review.no-match', 'review.reject'].sort(),
  );
  // 7 accepts and 1 no-match are done; the rejected one waits with its other candidate, the flagged one waits
  t.match(await page.getByTestId('progress').textContent(), new RegExp(`8 of ${waiting.length} reviewed`));

  await t.test('undo takes back the last decision (the flag)', async (t) => {
    const flagged = decided.at(-1)!;
    await Promise.all([page.waitForNavigation(), page.keyboard.press('u')]);
    t.match(await page.getByRole('status').first().textContent(), /Undone: flag/);
    const row = await store.getCrosswalk('openlmis', flagged.systemId);
    t.equal(row?.state, 'review', 'back in review');
    t.equal(row?.comment, waiting.find((w) => w.systemId === flagged.systemId)?.comment, 'the comment is gone');
    const [entry] = await store.listAudit({ subject: `openlmis/${flagged.systemId}`, limit: 1 });
    t.match(entry, {
      actor: USER,
      action: 'review.undo',
      details: { undidAction: 'review.flag', from: 'flagged', to: 'review' },
    });
    t.equal(await page.getByTestId('record-id').textContent(), flagged.systemId, 'the record is on screen again');
  });

  await t.test('export: the CSV holds the decisions', async (t) => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-csv').click()]);
    t.equal(download.suggestedFilename(), 'crosswalk-openlmis.csv');
    const csv = readFileSync((await download.path())!, 'utf8');
    const lines = csv.trim().split(/\r?\n/);
    t.equal(lines[0], 'system,system_id,registry_id,state,zone,score,decided_by,decided_at,comment');
    for (const d of decided.filter((x) => x.state === 'manual-match')) {
      t.ok(
        lines.some((l) => l.startsWith(`openlmis,${d.systemId},${d.registryId},manual-match,`) && l.includes(USER)),
        `${d.systemId} → ${d.registryId} exported`,
      );
    }
    await browser.shot('review-after-undo');
  });

  await t.test('matched links can be checked and broken with the keyboard', async (t) => {
    await page.getByLabel('State').selectOption('matched');
    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Apply filters' }).click()]);
    const systemId = (await page.getByTestId('record-id').textContent())!.trim();
    t.ok(
      decided.some((d) => d.systemId === systemId && d.state === 'manual-match'),
      'one of her accepted links is shown',
    );
    await Promise.all([page.waitForNavigation(), page.keyboard.press('b')]);
    const row = await store.getCrosswalk('openlmis', systemId);
    t.equal(row?.state, 'match-broken');
    t.equal(row?.registryId, undefined);
    const [entry] = await store.listAudit({ subject: `openlmis/${systemId}`, limit: 1 });
    t.match(entry, { actor: USER, action: 'review.break' });
  });
});
