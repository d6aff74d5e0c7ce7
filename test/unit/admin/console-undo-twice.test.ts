/**
 * Undo sent twice, through fastify.inject on both store engines. The console's undo form names
 * the decision it takes back (the row's decidedAt as that decision left it): sent again (a double
 * click, or "Send again" after the session could not be saved), it says the decision was already
 * undone and never takes back the person's decision before it. The admin API does the same for a
 * caller naming the decision.
 */
import t from 'tap';
import Fastify from 'fastify';
import formbody from '@fastify/formbody';
import { fhirErrorHandler } from '../../../src/fhir/outcome.js';
import { reviewRoutes } from '../../../src/registry/review-routes.js';
import { reviewUndoRoutes } from '../../../src/admin/review-undo-routes.js';
import { reconcileIntoStore } from '../../../src/registry/reconcile-run.js';
import { operatorConsole } from '../../../src/admin/ui/index.js';
import { memorySessions } from '../../../src/admin/ui/session.js';
import { consoleClient, formFields } from '../../support/console-client.js';
import { consoleOptions } from '../../support/console-options.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';
import { REVIEW_REGISTRY, reviewFacility } from '../../support/review-facilities.js';

const TOKEN = 'undo-twice-token';
const fac = reviewFacility;
const registry = REVIEW_REGISTRY;
const records = [fac('L4', 'Kasikeu'), fac('L6', 'Kasikeu Annex Post')];

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    const { store } = await freshStore(engine, t);
    await reconcileIntoStore(store, 'emr', records, registry);
    // the session cannot be saved while `saveFails` (the mediator's database away right then)
    let saveFails = false;
    const memory = memorySessions();
    const sessions = {
      ...memory,
      put: async (row: Parameters<typeof memory.put>[0]) => {
        if (saveFails) throw Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
        return memory.put(row);
      },
      swap: async (...args: Parameters<typeof memory.swap>) => {
        if (saveFails) throw Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
        return memory.swap(...args);
      },
    };
    const app = Fastify();
    app.setErrorHandler(fhirErrorHandler);
    await app.register(formbody);
    await app.register(reviewRoutes, { prefix: '/admin', store, adminToken: () => TOKEN });
    await app.register(reviewUndoRoutes, { prefix: '/admin', store, adminToken: () => TOKEN });
    await app.register(
      operatorConsole,
      consoleOptions({
        adminToken: () => TOKEN,
        sessions,
        directory: {
          registry: async () => new Map(registry.map((f) => [f.id!, f])),
          system: async () => new Map(records.map((f) => [f.id!, f])),
          systems: () => ['emr'],
        },
      }),
    );
    t.teardown(() => app.close());
    const { signIn, get, post } = consoleClient(app, TOKEN);
    /** Decides a record from the review page's own form, as a person would. */
    const decide = async (cookie: string, systemId: string, op: string, comment?: string) => {
      const page = await get(`/admin/ui/review?system=emr&at=${systemId}`, cookie);
      const { url, fields } = formFields(page.body, /\/review\/decide$/);
      t.equal(fields.get('systemId'), systemId);
      fields.set('op', op);
      if (comment) fields.set('comment', comment);
      t.equal((await post(url, cookie, fields)).statusCode, 303);
    };
    const undos = async (subject: string) =>
      (await store.listAudit({ subject })).filter((e) => e.action === 'review.undo');

    await t.test('an undo sent twice takes back one decision, not the one before it', async (t) => {
      const cookie = await signIn('Ann Reviewer');
      await decide(cookie, 'L4', 'no-match');
      await decide(cookie, 'L6', 'no-match');
      const page = await get('/admin/ui/review?system=emr', cookie);
      const { url, fields } = formFields(page.body, /\/review\/undo$/);
      t.equal(fields.get('undoRecord'), 'L6', 'the form names the decision it takes back');
      t.equal(fields.get('undoAt'), (await store.getCrosswalk('emr', 'L6'))?.decidedAt);

      const first = await post(url, cookie, fields);
      const second = await post(url, cookie, fields); // the double click
      t.equal(first.statusCode, 303);
      t.equal(second.statusCode, 303);
      t.equal((await store.getCrosswalk('emr', 'L6'))?.state, 'review', 'the last decision is undone');
      t.match(
        await store.getCrosswalk('emr', 'L4'),
        { state: 'no-match', decidedBy: 'Ann Reviewer' },
        'the one before stands',
      );
      t.equal((await undos('emr/L4')).length, 0);
      t.equal((await undos('emr/L6')).length, 1, 'one undo audited');
      const shown = await get(second.headers.location as string, cookie);
      t.match(
        shown.body,
        /Already undone: the decision on emr\/L6 made at \S+ was already undone by Ann Reviewer at \d{4}-[^;]+; nothing more was undone/,
        'the second send says so',
      );
      t.notMatch(shown.body, /class="flash error"/, 'not as a failure');
    });

    await t.test('undo applied but the session not saved: sending again undoes nothing more', async (t) => {
      const cookie = await signIn('Bea Reviewer');
      await decide(cookie, 'L6', 'flag', 'check the county');
      await decide(cookie, 'L6', 'no-match');
      const page = await get('/admin/ui/review?system=emr', cookie);
      const { url, fields } = formFields(page.body, /\/review\/undo$/);
      saveFails = true;
      const failed = await post(url, cookie, fields);
      saveFails = false;
      // the undo was stored before the session write-back failed: said saved, no "Send again" (b78ebaa8)
      t.equal(failed.statusCode, 200, 'a page of its own, not the 503 page');
      t.match(failed.body, /What you sent was saved/, 'said saved: the undo was stored');
      t.match(await store.getCrosswalk('emr', 'L6'), { state: 'flagged' }, 'the undo itself was applied');
      const again = await post(url, cookie, fields); // sent again all the same (a browser's reload)
      t.equal(again.statusCode, 303);
      t.match(
        await store.getCrosswalk('emr', 'L6'),
        { state: 'flagged', decidedBy: 'Bea Reviewer' },
        'the flag stands',
      );
      t.equal((await undos('emr/L6')).filter((e) => e.actor === 'Bea Reviewer').length, 1, 'one undo audited');
      t.match((await get(again.headers.location as string, cookie)).body, /Already undone: /);
      // the list moved past the decision taken back: the next undo names the flag before it
      const next = formFields((await get('/admin/ui/review?system=emr', cookie)).body, /\/review\/undo$/);
      t.equal(next.fields.get('undoRecord'), 'L6');
      t.not(next.fields.get('undoAt'), fields.get('undoAt'), 'another decision than the one undone');
    });

    await t.test('the admin API: a named decision is undone once, and never another in its place', async (t) => {
      const call = (path: string, payload: object, actor = 'Cy Curl') =>
        app.inject({
          method: 'POST',
          url: `/admin/reconcile/emr/${path}`,
          headers: { authorization: `Bearer ${TOKEN}`, 'x-actor': actor },
          payload,
        });
      const first = await call('L6/accept', { registryId: 'R5' });
      t.equal(first.statusCode, 200);
      const firstAt = first.json().row.decidedAt as string;
      const second = await call('L6/flag', { comment: 'second look' });
      const secondAt = second.json().row.decidedAt as string;
      const older = await call('L6/undo', { decidedBy: 'Cy Curl', decidedAt: firstAt });
      t.equal(older.statusCode, 409, 'not the last decision: refused');
      t.match(older.json().issue[0].diagnostics, /made at .* is not the last one: review\.flag by Cy Curl/);
      t.equal((await store.getCrosswalk('emr', 'L6'))?.state, 'flagged', 'nothing undone');
      t.equal((await call('L6/undo', { decidedAt: secondAt })).statusCode, 200);
      const twice = await call('L6/undo', { decidedAt: secondAt });
      t.equal(twice.statusCode, 409);
      t.match(twice.json().issue[0].diagnostics, /was already undone by Cy Curl at/);
      t.match(await store.getCrosswalk('emr', 'L6'), { state: 'manual-match', registryId: 'R5' }, 'the accept stands');
    });
  });
}
