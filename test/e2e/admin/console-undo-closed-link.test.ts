/**
 * Undo of a break whose link the registry has closed since, in headless Chromium. The review API
 * refuses (422) an undo that would put back a link to a closed registry facility unless it says
 * `"linkClosed": true` (registry/closed-link.ts); the console's undo never said it, and on the
 * refusal it took the decision off its undo list and showed the first record of the queue: the
 * data manager lost the decision they meant to take back and could not confirm it at all. Now the
 * refusal's reason is shown on the record, the decision stays offered, and the undo form has the
 * same box as an accept of a closed candidate: ticked, the link is put back.
 */
import t from 'tap';
import Fastify from 'fastify';
import formbody from '@fastify/formbody';
import { fhirErrorHandler } from '../../../src/fhir/outcome.js';
import { reviewRoutes } from '../../../src/registry/review-routes.js';
import { reviewUndoRoutes } from '../../../src/admin/review-undo-routes.js';
import { reconcileIntoStore } from '../../../src/registry/reconcile-run.js';
import { operatorConsole } from '../../../src/admin/ui/index.js';
import type { Facility } from '../../../src/domain/facility.js';
import { consoleOptions } from '../../support/console-options.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';
import { REVIEW_REGISTRY, reviewFacility } from '../../support/review-facilities.js';
import { noChromium, openBrowser, signIn } from './browser.js';

const TOKEN = 'console-undo-closed-token';
const records = [reviewFacility('L4', 'Kasikeu')];

t.test(
  'an undo putting back a closed link: refused with its reason, then confirmed',
  { skip: noChromium },
  async (t) => {
    const { store } = await freshStore(engineCases()[0], t);
    let registry: Facility[] = REVIEW_REGISTRY;
    await reconcileIntoStore(store, 'emr', records, registry);
    const app = Fastify();
    app.setErrorHandler(fhirErrorHandler);
    await app.register(formbody);
    const reg = async () => registry;
    await app.register(reviewRoutes, { prefix: '/admin', store, adminToken: TOKEN, registry: reg });
    await app.register(reviewUndoRoutes, { prefix: '/admin', store, adminToken: () => TOKEN, registry: reg });
    await app.register(
      operatorConsole,
      consoleOptions({
        adminToken: () => TOKEN,
        directory: {
          registry: async () => new Map(registry.map((f) => [f.id!, f])),
          system: async () => new Map(records.map((f) => [f.id!, f])),
          systems: () => ['emr'],
        },
      }),
    );
    t.teardown(() => app.close());
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    const browser = await openBrowser();
    t.teardown(() => browser.close());
    const { page } = browser;
    const click = async (name: RegExp) => {
      await Promise.all([page.waitForURL(/\/admin\/ui\/review/), page.getByRole('button', { name }).click()]);
    };

    await signIn(page, url, 'Ann Reviewer', TOKEN);
    await page.goto(`${url}/admin/ui/review?system=emr&at=L4`);
    t.equal(await page.getByTestId('record-id').textContent(), 'L4');
    await page.getByLabel(/Kasikeu Dispensary/).check();
    await click(/^Accept/);
    t.equal((await store.getCrosswalk('emr', 'L4'))?.registryId, 'R4', 'linked to R4');
    await page.goto(`${url}/admin/ui/review?system=emr&state=matched&at=L4`);
    await click(/^Break this match/);
    const broken = await store.getCrosswalk('emr', 'L4');
    t.equal(broken?.state, 'match-broken', 'the match broken');

    // the registry closes R4: taking the break back would link L4 to a closed facility
    registry = registry.map((f) => (f.id === 'R4' ? { ...f, status: 'inactive' as const } : f));
    await page.goto(`${url}/admin/ui/review?system=emr`);
    t.notOk(await page.getByTestId('undo-link-closed').count(), 'no box before the refusal');
    await click(/^Undo last decision/);
    t.match(
      await page.locator('.flash').first().textContent(),
      /Not undone \(422\): registry facility R4 .* is closed in the registry.*tick the box beside Undo/s,
      "the refusal's reason, and the console's way to mean it",
    );
    t.same(await store.getCrosswalk('emr', 'L4'), broken, 'the row unchanged');
    t.equal(
      await page.locator('input[name="undoAt"]').getAttribute('value'),
      broken?.decidedAt,
      'the undo still names the break, not the accept before it',
    );

    await page.getByTestId('undo-link-closed').check();
    await click(/^Undo last decision/);
    t.match(await page.locator('.flash').first().textContent(), /Undone: break on L4/);
    const back = await store.getCrosswalk('emr', 'L4');
    t.equal(back?.state, 'manual-match', 'the box ticked: the link put back');
    t.equal(back?.registryId, 'R4');
    t.notOk(await page.getByTestId('undo-link-closed').count(), 'the box gone with the decision');
  },
);
