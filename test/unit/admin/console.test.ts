/** The console's server side through fastify.inject: sign-in, sessions, CSRF, escaping, headers, settings sources, evidence words. */
import t from 'tap';
import Fastify from 'fastify';
import formbody from '@fastify/formbody';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Facility } from '../../../src/domain/facility.js';
import { reviewRoutes } from '../../../src/registry/review-routes.js';
import { reconcileIntoStore } from '../../../src/registry/reconcile-run.js';
import { reviewUndoRoutes } from '../../../src/admin/review-undo-routes.js';
import { operatorConsole } from '../../../src/admin/ui/index.js';
import { consoleOptions } from '../../support/console-options.js';
import { settingsInForce } from '../../../src/admin/settings-view.js';
import { evidenceOf, reasonInWords } from '../../../src/admin/ui/evidence.js';
import { defaultSettings } from '../../../src/config/load.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';

const fac = (id: string, name: string, sub: string, county: string): Facility => ({
  id,
  name,
  identifiers: [{ system: 'x', value: `${id}-code` }],
  status: 'active',
  kind: 'facility',
  areaPath: [sub, county],
});
const EVIL = '<script>alert("x")</script> Kasikeu';
const registry = [
  fac('R4', 'Kasikeu Dispensary', 'Kilome', 'Makueni'),
  fac('R5', 'Kasikeu Health Centre', 'Kilome', 'Makueni'),
];
const left = [fac('L4', 'Kasikeu', 'Kilome', 'Makueni')];
// what the directory shows for L4 (a system's list can hold anything): must be shown as text
const shown = [fac('L4', EVIL, 'Kilome', 'Makueni')];

const engine = engineCases()[0];
t.test('console over inject', async (t) => {
  const { store } = await freshStore(engine, t);
  await reconcileIntoStore(store, 'emr', left, registry);
  let token = 'console-token-one';
  const app = Fastify();
  await app.register(formbody);
  await app.register(reviewRoutes, { prefix: '/admin', store, adminToken: () => token });
  await app.register(reviewUndoRoutes, { prefix: '/admin', store, adminToken: () => token });
  await app.register(
    operatorConsole,
    consoleOptions({
      adminToken: () => token,
      directory: {
        registry: async () => new Map(registry.map((f) => [f.id!, f])),
        system: async () => new Map(shown.map((f) => [f.id!, f])),
        systems: () => ['emr'],
      },
    }),
  );
  t.teardown(() => app.close());
  const login = (user: string, tok: string, next = '') =>
    app.inject({
      method: 'POST',
      url: '/admin/ui/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ user, token: tok, next }).toString(),
    });

  await t.test('not signed in: the pages send you to sign in', async (t) => {
    const r = await app.inject({ method: 'GET', url: '/admin/ui/review?system=emr' });
    t.equal(r.statusCode, 303);
    t.equal(r.headers.location, '/admin/ui/login?next=%2Fadmin%2Fui%2Freview%3Fsystem%3Demr');
    const post = await app.inject({
      method: 'POST',
      url: '/admin/ui/review/decide',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'system=emr&systemId=L4&op=no-match',
    });
    t.equal(post.statusCode, 401);
    t.equal((await store.getCrosswalk('emr', 'L4'))?.state, 'review');
  });

  await t.test('sign-in: wrong token 401, bad name 400, never an open redirect', async (t) => {
    t.equal((await login('Ann', 'nope')).statusCode, 401);
    t.equal((await login('', token)).statusCode, 400);
    t.equal((await login('auto', token)).statusCode, 400);
    t.equal((await login('<b>x</b>', token)).statusCode, 400);
    for (const next of ['//evil.example/x', 'https://evil.example/', '/admin/ui/\\evil']) {
      t.equal((await login('Ann', token, next)).headers.location, '/admin/ui/review', `next=${next} is not followed`);
    }
    const ok = await login('Ann', token, '/admin/ui/outbox');
    t.equal(ok.statusCode, 303);
    t.equal(ok.headers.location, '/admin/ui/outbox');
    t.match(
      String(ok.headers['set-cookie']),
      /^console_session=[\w-]{40,}; Max-Age=\d+; Path=\/admin\/ui; HttpOnly; SameSite=Strict$/,
    );
    t.notMatch(String(ok.headers['set-cookie']), token, 'the cookie is not the token');
  });

  const signIn = async () => String((await login('Ann Reviewer', token)).headers['set-cookie']).split(';')[0];

  await t.test('the page escapes what the lists hold and carries a strict CSP', async (t) => {
    const cookie = await signIn();
    const r = await app.inject({ method: 'GET', url: '/admin/ui/review?system=emr', headers: { cookie } });
    t.equal(r.statusCode, 200);
    t.notOk(r.body.includes('<script>alert'), 'no markup from a facility name');
    t.ok(r.body.includes('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; Kasikeu'), 'the name is shown as text');
    t.match(r.headers['content-security-policy'], /default-src 'none'; script-src 'self'/);
    t.equal(r.headers['cache-control'], 'no-store');
    t.match(r.body, /L4-code/, 'the record codes');
    t.match(r.body, /Kilome › Makueni/, 'the area path, nearest first');
  });

  await t.test('a form post without the session CSRF field is refused and changes nothing', async (t) => {
    const cookie = await signIn();
    const r = await app.inject({
      method: 'POST',
      url: '/admin/ui/review/decide',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'system=emr&systemId=L4&op=no-match&_csrf=forged',
    });
    t.equal(r.statusCode, 403);
    t.equal((await store.getCrosswalk('emr', 'L4'))?.state, 'review');
  });

  await t.test(
    'a decision goes through the review API with the signed-in name; an unknown action does not',
    async (t) => {
      const cookie = await signIn();
      const page = await app.inject({ method: 'GET', url: '/admin/ui/review?system=emr', headers: { cookie } });
      const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)![1];
      const form = (fields: Record<string, string>) => ({
        method: 'POST' as const,
        url: '/admin/ui/review/decide',
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({ _csrf: csrf, system: 'emr', systemId: 'L4', ...fields }).toString(),
      });
      const bad = await app.inject(form({ op: 'ignore' }));
      t.equal(bad.statusCode, 303);
      t.equal((await store.getCrosswalk('emr', 'L4'))?.state, 'review', 'ignore is not a console action');
      const ok = await app.inject(form({ op: 'no-match' }));
      t.equal(ok.statusCode, 303);
      const row = await store.getCrosswalk('emr', 'L4');
      t.equal(row?.state, 'no-match');
      t.equal(row?.decidedBy, 'Ann Reviewer');
      const undo = await app.inject({
        method: 'POST',
        url: '/admin/ui/review/undo',
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
        payload: `_csrf=${csrf}&system=emr`,
      });
      t.equal(undo.statusCode, 303);
      t.equal((await store.getCrosswalk('emr', 'L4'))?.state, 'review', 'undone');
    },
  );

  await t.test('u takes back your own last decision; one someone made on the record since stands', async (t) => {
    const cookie = await signIn();
    const page = await app.inject({ method: 'GET', url: '/admin/ui/review?system=emr', headers: { cookie } });
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)![1];
    const form = (url: string, fields: Record<string, string>) => ({
      method: 'POST' as const,
      url,
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ _csrf: csrf, system: 'emr', ...fields }).toString(),
    });
    t.equal((await app.inject(form('/admin/ui/review/decide', { systemId: 'L4', op: 'no-match' }))).statusCode, 303);
    // meanwhile a colleague, working from the API, flags the same record
    const flag = await app.inject({
      method: 'POST',
      url: '/admin/reconcile/emr/L4/flag',
      headers: { authorization: `Bearer ${token}`, 'x-actor': 'Bo Colleague' },
      payload: { comment: 'visit it first' },
    });
    t.equal(flag.statusCode, 200);
    const undo = await app.inject(form('/admin/ui/review/undo', {}));
    t.equal(undo.statusCode, 303);
    const row = await store.getCrosswalk('emr', 'L4');
    t.equal(row?.state, 'flagged', "the colleague's flag stands");
    t.equal(row?.decidedBy, 'Bo Colleague');
    const shown = await app.inject({ method: 'GET', url: undo.headers.location as string, headers: { cookie } });
    t.match(shown.body, /Not undone \(409\)/, 'the console says why');
    t.match(shown.body, /review\.flag by Bo Colleague/, 'and who decided since');
    const undoBo = await app.inject({
      method: 'POST',
      url: '/admin/reconcile/emr/L4/undo',
      headers: { authorization: `Bearer ${token}`, 'x-actor': 'Bo Colleague' },
      payload: { decidedBy: 'Bo Colleague' },
    });
    t.equal(undoBo.statusCode, 200, 'the colleague can take back their own');
    t.equal((await store.getCrosswalk('emr', 'L4'))?.state, 'no-match');
  });

  await t.test('exports: the review API CSV and mCSD bundle, as downloads', async (t) => {
    const cookie = await signIn();
    const json = await app.inject({
      method: 'GET',
      url: '/admin/ui/review/export.json?system=emr',
      headers: { cookie },
    });
    t.equal(json.statusCode, 200);
    t.equal(json.headers['content-disposition'], 'attachment; filename="crosswalk-emr.json"');
    t.equal(json.json().resourceType, 'Bundle');
    const csv = await app.inject({ method: 'GET', url: '/admin/ui/review/export.csv?system=emr', headers: { cookie } });
    t.match(csv.headers['content-type'], /^text\/csv/);
    t.match(csv.body, /^system,system_id,registry_id,state/);
    t.equal(
      (await app.inject({ method: 'GET', url: '/admin/ui/review/export.csv', headers: { cookie } })).statusCode,
      400,
      'which system: required',
    );
    t.equal(
      (await app.inject({ method: 'GET', url: '/admin/ui/review/export.csv?system=emr' })).statusCode,
      303,
      'not without a session',
    );
  });

  await t.test('a rotated admin token ends the sessions opened with the old one', async (t) => {
    const cookie = await signIn();
    t.equal(
      (await app.inject({ method: 'GET', url: '/admin/ui/review?system=emr', headers: { cookie } })).statusCode,
      200,
    );
    token = 'console-token-two';
    const r = await app.inject({ method: 'GET', url: '/admin/ui/review?system=emr', headers: { cookie } });
    t.equal(r.statusCode, 303);
    t.match(r.headers.location, /^\/admin\/ui\/login/);
  });
});

t.test('settings in force: value, source, secrets masked', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'settings-view-'));
  const file = path.join(dir, 'config.json');
  writeFileSync(file, JSON.stringify({ fhir: { maxCount: 150 } }));
  const current = {
    ...defaultSettings(),
    'fhir.maxCount': 150,
    'fhir.defaultCount': 10,
    'auth.password': 'hunter2-secret',
    'openlmis.timeoutMs': 5000,
    'outbox.maxAttempts': 3,
  };
  const rows = settingsInForce(current, {
    env: { CONFIG_FILE: file, FHIR_DEFAULT_COUNT: '10', AUTH_PASSWORD: 'hunter2-secret' },
    openhimKeys: ['openlmis.timeoutMs'],
  });
  const row = (key: string) => rows.find((r) => r.key === key)!;
  t.match(row('fhir.maxCount'), { value: '150', source: 'file' });
  t.match(row('fhir.defaultCount'), { value: '10', source: 'env' });
  t.match(row('openlmis.timeoutMs'), { value: '5000', source: 'OpenHIM' });
  t.match(row('auth.password'), { value: '**********', source: 'env', secret: true });
  t.match(row('outbox.maxAttempts'), { value: '3', source: 'overrides' });
  t.match(row('server.port'), { value: '3000', source: 'default', restart: true });
  t.match(row('openhim.password'), { value: '', source: 'unset' });
  t.notOk(JSON.stringify(rows).includes('hunter2'), 'the secret value appears nowhere');
});

t.test('evidence in words, strongest first', async (t) => {
  t.equal(reasonInWords({ field: 'identifier', weight: 13.2, detail: 'same' }), 'same facility code');
  t.equal(
    reasonInWords({
      field: 'name',
      weight: 6.7,
      detail: 'exact: similarity 1.000 ("Abdisamad Disp." vs "Abdisamad Dispensary")',
    }),
    "names match once abbreviations are expanded: 'Abdisamad Disp.' → 'Abdisamad Dispensary'",
  );
  t.equal(
    reasonInWords({
      field: 'name',
      weight: 1,
      detail: 'fuzzy: similarity 0.873 ("Mutomo H/C" vs "Mutomo Health Centre")',
    }),
    "names 87% alike: 'Mutomo H/C' → 'Mutomo Health Centre'",
  );
  t.equal(
    reasonInWords({ field: 'rarity', weight: -1.3, detail: 'exact:df3-10: rarest shared word in 3 records' }),
    'the shared word is common (found in 3 records)',
  );
  t.equal(
    reasonInWords({ field: 'area', weight: -2, detail: 'different: wajir vs kitui' }),
    'different area: wajir vs kitui',
  );
  t.equal(
    reasonInWords({ field: 'type', weight: 0.3, detail: 'core:adjacent: health-centre vs dispensary' }),
    'related facility types: health-centre vs dispensary',
  );
  t.equal(
    reasonInWords({ field: 'novel', weight: 1, detail: 'something new' }),
    'novel: something new',
    'an unknown reason is shown as it is',
  );
  t.equal(reasonInWords({ field: 'distance', weight: 1.2, detail: 'd2: 1.22 km' }), '1.22 km apart');
  const ev = evidenceOf([
    { field: 'status', weight: 0.02, detail: 'same' },
    { field: 'area', weight: -2, detail: 'different: a vs b' },
    { field: 'rejected', weight: 0, detail: '["R1"]' },
  ]);
  t.same(
    ev.map((e) => [e.text, e.for]),
    [
      ['different area: a vs b', false],
      ['same status', true],
    ],
    'sorted by weight, the storage marker left out',
  );
});
