/**
 * A person's name as who acts, over real HTTP: curl sends a header's UTF-8 bytes as they are and
 * Node reads them as Latin-1, so "Nguyễn" arrived as "Nguyá»\x85n". Since 0x85 reads as a control
 * character, checkedActor refused such names (most Arabic names, many Vietnamese and Polish ones)
 * as "holds a control character"; the others were stored garbled. They are now read as UTF-8 and
 * stored as written. A body's `actor` is counted in characters, as its schema counts them: a
 * name in an astral script is not refused at half its length. Both store engines.
 */
import t from 'tap';
import Fastify from 'fastify';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { fhirErrorHandler } from '../../../src/fhir/outcome.js';
import { reviewRoutes } from '../../../src/registry/review-routes.js';
import { reviewUndoRoutes } from '../../../src/admin/review-undo-routes.js';
import { outboxAdminRoutes } from '../../../src/outbox/admin-routes.js';
import { propagationRoutes } from '../../../src/registry/propagation/routes.js';
import type { Propagator } from '../../../src/registry/propagation/propagator.js';
import { reconcileIntoStore } from '../../../src/registry/reconcile-run.js';
import { deadJob } from '../../support/claimed-job.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';
import { countyFacility as fac } from '../../support/match-facilities.js';

const TOKEN = 'actor-name-utf8-token';
const VIETNAMESE = 'Nguyễn Văn An';
const ARABIC = 'محمد الأمين';
const POLISH = 'Łukasz Wójcik';

/** A header value carrying `name`'s UTF-8 bytes, as curl -H 'X-Actor: …' sends them from a UTF-8 terminal. */
const utf8Bytes = (name: string) => Buffer.from(name, 'utf8').toString('latin1');

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    const { store } = await freshStore(engine, t);
    await reconcileIntoStore(
      store,
      'emr',
      [fac('L4', 'Kasikeu', 'Kilome', 'Makueni')],
      [fac('R4', 'Kasikeu Dispensary', 'Kilome', 'Makueni'), fac('R5', 'Kasikeu Health Centre', 'Kilome', 'Makueni')],
    );
    await deadJob(store, 'A1');
    // the route is real; the propagator only counts (its planning has its own tests)
    let releases = 0;
    const propagator = { releaseHeld: async () => ((releases += 1), 0) } as unknown as Propagator;
    const app = Fastify();
    app.setErrorHandler(fhirErrorHandler);
    await app.register(reviewRoutes, { prefix: '/admin', store, adminToken: TOKEN });
    await app.register(reviewUndoRoutes, { prefix: '/admin', store, adminToken: TOKEN });
    await app.register(outboxAdminRoutes, { prefix: '/admin', store, adminToken: TOKEN });
    await app.register(propagationRoutes, { prefix: '/admin', store, propagator, adminToken: () => TOKEN });
    t.teardown(() => app.close());
    await app.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const send = async (method: 'POST', path: string, headers: Record<string, string>, body?: object) => {
      const r = await request(`${base}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${TOKEN}`,
          ...headers,
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      return { status: r.statusCode, json: (await r.body.json()) as Record<string, unknown> };
    };
    const said = (r: { json: Record<string, unknown> }) => JSON.stringify(r.json.issue ?? 'done');

    await t.test('a decision by a Vietnamese name in X-Actor is stored as written', async (t) => {
      const r = await send(
        'POST',
        '/admin/reconcile/emr/L4/flag',
        { 'x-actor': utf8Bytes(VIETNAMESE) },
        { comment: 'check' },
      );
      t.equal(r.status, 200, said(r));
      t.equal((await store.getCrosswalk('emr', 'L4'))?.decidedBy, VIETNAMESE);
      t.match(await store.listAudit({ subject: 'emr/L4' }), [{ actor: VIETNAMESE, action: 'review.flag' }]);
    });

    await t.test('its undo by the same name, given in X-Actor and as decidedBy', async (t) => {
      const r = await send(
        'POST',
        '/admin/reconcile/emr/L4/undo',
        { 'x-actor': utf8Bytes(VIETNAMESE) },
        { decidedBy: VIETNAMESE },
      );
      t.equal(r.status, 200, said(r));
      const undone = (await store.listAudit({ subject: 'emr/L4' })).filter((a) => a.action === 'review.undo');
      t.match(undone, [{ actor: VIETNAMESE }], 'the undo is audited by that name');
      t.equal((await store.getCrosswalk('emr', 'L4'))?.state, 'review', 'the flag is taken back');
    });

    await t.test('an outbox retry by an Arabic name in X-Admin-User', async (t) => {
      const r = await send('POST', '/admin/outbox/jobs/A1/retry', { 'x-admin-user': utf8Bytes(ARABIC) });
      t.equal(r.status, 200, said(r));
      t.match(await store.listAudit({ subject: 'A1' }), [{ actor: ARABIC, action: 'outbox.retry' }]);
    });

    await t.test('a release by a Polish name in X-Actor', async (t) => {
      const r = await send('POST', '/admin/propagation/release', { 'x-actor': utf8Bytes(POLISH) });
      t.equal(r.status, 200, said(r));
      t.match(await store.listAudit({ subject: 'propagation' }), [{ actor: POLISH }]);
    });

    await t.test('a release by a name with a tab or a line separator is refused, nothing audited', async (t) => {
      const audited = (await store.listAudit({ subject: 'propagation' })).length;
      const released = releases;
      for (const [label, actor] of [
        ['a tab', 'ann\tbob'],
        ['a line separator', 'ann\u2028bob'],
      ] as const) {
        const r = await send('POST', '/admin/propagation/release', { 'x-actor': utf8Bytes(actor) });
        t.equal(r.status, 400, label);
        t.match(r.json, { issue: [{ expression: ['actor'], diagnostics: /control character/ }] }, label);
      }
      t.equal((await store.listAudit({ subject: 'propagation' })).length, audited, 'no release audited');
      t.equal(releases, released, 'nothing released');
    });

    await t.test("a NEL (U+0085) in a body's actor is still a control character", async (t) => {
      const before = await store.getCrosswalk('emr', 'L4');
      const r = await send(
        'POST',
        '/admin/reconcile/emr/L4/flag',
        {},
        { comment: 'check', actor: `${VIETNAMESE}\u0085forged` },
      );
      t.equal(r.status, 400);
      t.match(r.json, { issue: [{ expression: ['actor'], diagnostics: /control character/ }] });
      t.same(await store.getCrosswalk('emr', 'L4'), before, 'nothing decided');
    });

    await t.test('a line or paragraph separator or a direction override is refused too', async (t) => {
      const before = await store.getCrosswalk('emr', 'L4');
      // labels, not the names, in the messages: a raw U+2028 would break the TAP stream's lines
      for (const [label, actor, header] of [
        ['a line separator in the body', 'ann\u2028review.accept by bob', false],
        ['a paragraph separator in X-Actor', 'ann\u2029bob', true],
        ['a right-to-left override in the body', '\u202Ebob', false],
        ['a left-to-right isolate in X-Actor', 'ann\u2066bob\u2069', true],
      ] as const) {
        const r = header
          ? await send('POST', '/admin/reconcile/emr/L4/flag', { 'x-actor': utf8Bytes(actor) }, { comment: 'check' })
          : await send('POST', '/admin/reconcile/emr/L4/flag', {}, { comment: 'check', actor });
        t.equal(r.status, 400, label);
        t.match(r.json, { issue: [{ expression: ['actor'], diagnostics: /control character/ }] }, label);
      }
      t.same(await store.getCrosswalk('emr', 'L4'), before, 'nothing decided');
    });

    // found by review S6: zero-width characters passed, so "bob" and "b<U+200B>ob" signed as two people
    await t.test('an invisible character is refused, naming which and where', async (t) => {
      const before = await store.getCrosswalk('emr', 'L4');
      const job = await store.getJob('A1');
      const audited = (await store.listAudit({})).length;
      for (const [label, actor, header, diagnostics] of [
        [
          'a zero width space in X-Actor',
          'b\u200Bob',
          true,
          /actor holds an invisible character \(U\+200B, zero width space\) at character 2/,
        ],
        [
          'a zero width joiner at the end of the body',
          'bob\u200D',
          false,
          /\(U\+200D, zero width joiner\) at character 4/,
        ],
        ['a non-joiner in a Latin name', 'An\u200Cn', true, /\(U\+200C, zero width non-joiner\) at character 3/],
        ['a word joiner in the body', 'ann\u2060', false, /\(U\+2060, word joiner\) at character 4/],
        [
          'a byte order mark inside X-Actor',
          'bo\uFEFFb',
          true,
          /\(U\+FEFF, zero width no-break space\) at character 3/,
        ],
        // found by review RG: the other characters that show nothing passed
        ['a soft hyphen in X-Actor', 'bo\u00ADb', true, /\(U\+00AD, soft hyphen\) at character 3/],
        ['a Hangul filler in the body', 'ann\u3164', false, /\(U\+3164, Hangul filler\) at character 4/],
        [
          'a tag character in X-Actor',
          'bob\u{E0041}',
          true,
          /\(U\+E0041, invisible formatting character\) at character 4/,
        ],
        [
          'an invisible separator in the body',
          'a\u2063nn',
          false,
          /\(U\+2063, invisible formatting character\) at character 2/,
        ],
      ] as const) {
        const r = header
          ? await send('POST', '/admin/reconcile/emr/L4/flag', { 'x-actor': utf8Bytes(actor) }, { comment: 'check' })
          : await send('POST', '/admin/reconcile/emr/L4/flag', {}, { comment: 'check', actor });
        t.equal(r.status, 400, label);
        t.match(r.json, { issue: [{ expression: ['actor'], diagnostics }] }, label);
      }
      const retry = await send('POST', '/admin/outbox/jobs/A1/retry', { 'x-admin-user': utf8Bytes('ann\u200B') });
      t.match(retry.json, { issue: [{ expression: ['X-Admin-User'], diagnostics: /U\+200B/ }] }, 'an outbox retry too');
      t.same(await store.getCrosswalk('emr', 'L4'), before, 'nothing decided');
      t.same(await store.getJob('A1'), job, 'nothing retried');
      t.equal((await store.listAudit({})).length, audited, 'nothing audited');
    });

    await t.test('a Persian name with its non-joiner and a Hindi name with a joiner act', async (t) => {
      for (const name of ['مهر\u200Cآفرین', 'क्\u200Dष']) {
        const r = await send('POST', '/admin/reconcile/emr/L4/flag', { 'x-actor': utf8Bytes(name) }, { comment: 'c' });
        t.equal(r.status, 200, said(r));
        t.equal((await store.getCrosswalk('emr', 'L4'))?.decidedBy, name, 'stored as written');
      }
    });

    await t.test("a body's actor of 150 astral characters is 150 long, not 300", async (t) => {
      const name = '𞤀'.repeat(150); // Adlam, written for Fula
      const r = await send('POST', '/admin/reconcile/emr/L4/flag', {}, { comment: 'check', actor: name });
      t.equal(r.status, 200, said(r));
      t.equal((await store.getCrosswalk('emr', 'L4'))?.decidedBy, name);
      const long = await send('POST', '/admin/reconcile/emr/L4/flag', {}, { comment: 'check', actor: '𞤀'.repeat(201) });
      t.equal(long.status, 400, 'past 200 characters it is refused');
    });

    // found by review S6: the console composes its names (NFC) since cb39bf63, the API did not, so
    // José typed decomposed (a Mac's or a form's way) was two people in the audit trail
    await t.test('a name sent decomposed is stored composed, as the console stores it', async (t) => {
      const composed = 'José Muñoz';
      const decomposed = composed.normalize('NFD');
      const r = await send(
        'POST',
        '/admin/reconcile/emr/L4/flag',
        { 'x-actor': utf8Bytes(decomposed) },
        { comment: 'c' },
      );
      t.equal(r.status, 200, said(r));
      t.equal((await store.getCrosswalk('emr', 'L4'))?.decidedBy, composed, 'one spelling for one person');
      const undo = await send(
        'POST',
        '/admin/reconcile/emr/L4/undo',
        { 'x-actor': utf8Bytes(composed) },
        { decidedBy: decomposed },
      );
      t.equal(undo.status, 200, `the undo names the same person, however spelt: ${said(undo)}`);
      t.match(await store.listAudit({ subject: 'emr/L4', limit: 1 }), [{ actor: composed, action: 'review.undo' }]);
    });
  });
}
