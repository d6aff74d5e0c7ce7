/** Review API through fastify.inject: auth, every transition audited, 404/409 outcomes, re-runs keep decisions. */
import t from 'tap';
import Fastify from 'fastify';
import { openStore } from '../../../src/store/index.js';
import { reviewRoutes } from '../../../src/registry/review-routes.js';
import { reconcileIntoStore } from '../../../src/registry/reconcile-run.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';
import { countyFacility as fac } from '../../support/match-facilities.js';

const TOKEN = 'review-secret-token';

const registry = [
  fac('R1', 'Abdisamad Dispensary', 'Wajir East', 'Wajir'),
  fac('R2', 'Kiambu District Hospital', 'Kiambu Town', 'Kiambu'),
  fac('R3', 'Mutomo Health Centre', 'Kitui South', 'Kitui'),
  fac('R4', 'Kasikeu Dispensary', 'Kilome', 'Makueni'),
  fac('R5', 'Kasikeu Health Centre', 'Kilome', 'Makueni'),
];
const left = [
  fac('L1', 'Abdisamad Disp.', 'Wajir East', 'Wajir'),
  fac('L2', 'Kiambu District Hospital', 'Kiambu', 'Kiambu'),
  fac('L3', 'Mutomo H/C', 'Mutomo', 'Kitui'),
  fac('L4', 'Kasikeu', 'Kilome', 'Makueni'),
  fac('L5', 'Unrelated Place', 'Nowhere', 'Elsewhere'),
];

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    const { store } = await freshStore(engine, t);
    await reconcileIntoStore(store, 'emr', left, registry);
    const app = Fastify();
    await app.register(reviewRoutes, {
      prefix: '/admin',
      store,
      adminToken: TOKEN,
      registry: async () => registry,
      identifierBase: 'https://example.org/sys',
    });
    t.teardown(() => app.close());
    const auth = { authorization: `Bearer ${TOKEN}`, 'x-actor': 'alice' };
    const post = (path: string, payload: object = {}, headers: Record<string, string> = auth) =>
      app.inject({ method: 'POST', url: `/admin/reconcile/emr/${path}`, headers, payload });

    t.test('no token or a wrong one: 401 OperationOutcome, nothing changes', async (t) => {
      for (const headers of [{}, { authorization: 'Bearer wrong-token-xxxxxxxxx' }, { authorization: TOKEN }]) {
        const r = await app.inject({ method: 'GET', url: '/admin/reconcile/emr/review', headers });
        t.equal(r.statusCode, 401);
        t.equal(r.headers['www-authenticate'], 'Bearer');
        t.equal(r.json().resourceType, 'OperationOutcome');
        t.notMatch(r.body, TOKEN, 'the token is never echoed');
      }
      const before = await store.getCrosswalk('emr', 'L1');
      const r = await post('L1/break', {}, { authorization: 'Bearer nope', 'x-actor': 'mallory' });
      t.equal(r.statusCode, 401);
      t.same(await store.getCrosswalk('emr', 'L1'), before);
    });

    t.test('review queue and crosswalk', async (t) => {
      const q = await app.inject({ method: 'GET', url: '/admin/reconcile/emr/review', headers: auth });
      t.equal(q.statusCode, 200);
      const body = q.json();
      const l4 = body.items.find((i: { systemId: string }) => i.systemId === 'L4');
      t.ok(l4, 'the ambiguous record waits for review');
      t.ok(l4.suggestions.length >= 2, 'with ranked suggestions');
      t.same(
        l4.suggestions.map((s: { rank: number }) => s.rank),
        l4.suggestions.map((_: unknown, i: number) => i + 1),
      );
      t.ok(
        l4.suggestions.every(
          (s: { reasons: unknown[]; registryName: string }) => s.reasons.length > 0 && s.registryName,
        ),
        'each with reasons and the registry name',
      );
      t.ok(l4.suggestions[0].score >= l4.suggestions[1].score, 'best first');
      const cw = (await app.inject({ method: 'GET', url: '/admin/reconcile/emr/crosswalk', headers: auth })).json();
      t.equal(cw.rows.length, 5);
    });

    t.test('each transition is written with its audit entry', async (t) => {
      const steps: [string, object, string][] = [
        ['L4/accept', { registryId: 'R4' }, 'manual-match'],
        ['L4/flag', { comment: 'two Kasikeu facilities: check on site' }, 'flagged'],
        ['L4/reject', { registryId: 'R4' }, 'review'],
        ['L4/no-match', {}, 'no-match'],
        ['L1/break', {}, 'match-broken'],
        ['L2/flag', { comment: 'renamed?' }, 'flagged'],
      ];
      for (const [path, payload, state] of steps) {
        const r = await post(path, payload);
        t.equal(r.statusCode, 200, `${path} ${r.body.slice(0, 200)}`);
        t.equal(r.json().row.state, state);
        const stored = await store.getCrosswalk('emr', path.split('/')[0]);
        t.match(stored, { state, decidedBy: 'alice' }, `${path} persisted`);
      }
      const audit = await store.listAudit({ subject: 'emr/L4' });
      t.same(audit.map((a) => a.action).reverse(), [
        'review.accept',
        'review.flag',
        'review.reject',
        'review.no-match',
      ]);
      t.ok(audit.every((a) => a.actor === 'alice'));
      t.match(audit.at(-1)?.details, { from: 'review', to: 'manual-match', registryId: 'R4' });
      const bodyActor = await app.inject({
        method: 'POST',
        url: '/admin/reconcile/emr/L3/flag',
        headers: { authorization: `Bearer ${TOKEN}` },
        payload: { comment: 'x', actor: 'bob' },
      });
      t.equal(bodyActor.statusCode, 200);
      t.equal(
        (await store.listAudit({ subject: 'emr/L3' }))[0].actor,
        'bob',
        'actor from the body when no X-Actor header',
      );
    });

    t.test('a system nobody configured and nothing stored under: 404 naming the known ones', async (t) => {
      const known = Fastify();
      await known.register(reviewRoutes, {
        prefix: '/admin',
        store,
        adminToken: TOKEN,
        registry: async () => registry,
        systems: () => ['openlmis', 'msupply'],
      });
      t.teardown(() => known.close());
      const ask = (method: 'GET' | 'POST', url: string) =>
        known.inject({
          method,
          url: `/admin/reconcile/${url}`,
          headers: auth,
          payload: method === 'POST' ? {} : undefined,
        });
      for (const [method, url] of [
        ['GET', 'nosuch/review'],
        ['POST', 'nosuch/review/_search'],
        ['GET', 'nosuch/crosswalk'],
        ['GET', 'nosuch/export.csv'],
        ['GET', 'nosuch/export.json'],
      ] as const) {
        const r = await ask(method, url);
        t.equal(r.statusCode, 404, `${method} ${url}`);
        t.match(r.json(), {
          resourceType: 'OperationOutcome',
          issue: [
            {
              code: 'not-found',
              expression: ['system'],
              diagnostics:
                /no system 'nosuch' to reconcile: configured: openlmis, msupply; no crosswalk is stored under that name/,
            },
          ],
        });
      }
      const empty = await ask('GET', 'openlmis/review');
      t.equal(empty.statusCode, 200, 'a configured system with nothing reconciled yet: an empty queue');
      t.equal(empty.json().total, 0);
      // `reconcile --store` keeps a list under any name (here 'emr', from a file): it is found
      const stored = await ask('GET', 'emr/review');
      t.equal(stored.statusCode, 200, 'a system reconciled from a file, not configured');
      t.ok(stored.json().total > 0, 'its queue');
      t.equal((await ask('GET', 'emr/export.csv')).statusCode, 200);
    });

    t.test('bad requests: 400, 404, 409 as OperationOutcome; nothing audited', async (t) => {
      const auditBefore = (await store.listAudit({ limit: 1000 })).length;
      const noActor = await app.inject({
        method: 'POST',
        url: '/admin/reconcile/emr/L5/no-match',
        headers: { authorization: `Bearer ${TOKEN}` },
        payload: {},
      });
      t.equal(noActor.statusCode, 400);
      t.equal(
        (await post('L5/no-match', {}, { authorization: `Bearer ${TOKEN}`, 'x-actor': 'auto' })).statusCode,
        400,
        '"auto" is not a reviewer',
      );
      t.equal((await post('L5/accept', {})).statusCode, 400, 'accept needs a registryId');
      t.equal((await post('L5/flag', {})).statusCode, 400, 'flag needs a comment');
      const missing = await post('NOPE/accept', { registryId: 'R1' });
      t.equal(missing.statusCode, 404);
      t.match(missing.json(), { resourceType: 'OperationOutcome', issue: [{ code: 'not-found' }] });
      const conflict = await post('L4/break', {});
      t.equal(conflict.statusCode, 409, 'a no-match row cannot be broken');
      t.match(conflict.json(), { resourceType: 'OperationOutcome', issue: [{ code: 'conflict' }] });
      const typo = await post('L5/accept', { registryId: 'R33' });
      t.equal(typo.statusCode, 400, 'a registry id nobody knows links nothing');
      t.match(typo.json(), {
        resourceType: 'OperationOutcome',
        issue: [
          {
            expression: ['registryId'],
            diagnostics: /registryId "R33" is neither a candidate of emr\/L5 nor a facility the registry lists/,
          },
        ],
      });
      const taken = await post('L5/accept', { registryId: 'R3' });
      t.equal(taken.statusCode, 409, 'a registry record already linked to another record');
      t.equal((await store.listAudit({ limit: 1000 })).length, auditBefore);
    });

    t.test('a reject of a registry id nobody knows is a 400, the record untouched', async (t) => {
      // its own system: the other subtests have decided every record of emr by now
      await reconcileIntoStore(store, 'lab', left, registry);
      const open = (await store.listCrosswalk('lab')).find((r) => ['review', 'auto-match'].includes(r.state));
      t.ok(open, 'a record a reject applies to');
      // before, the typo was recorded as rejected (200, audited) while the candidate meant stayed proposed
      const r = await app.inject({
        method: 'POST',
        url: `/admin/reconcile/lab/${open!.systemId}/reject`,
        headers: auth,
        payload: { registryId: 'R44' },
      });
      t.equal(r.statusCode, 400, r.body);
      t.match(r.json().issue[0], {
        expression: ['registryId'],
        diagnostics: /registryId "R44" is neither a candidate of lab\/L\d nor a facility the registry lists/,
      });
      t.same(await store.getCrosswalk('lab', open!.systemId), open, 'the record is as it was');
    });

    t.test('a re-run after human decisions keeps them', async (t) => {
      const before = await store.listCrosswalk('emr');
      await reconcileIntoStore(store, 'emr', left, registry, { full: true });
      await reconcileIntoStore(store, 'emr', left, registry);
      const after = await store.listCrosswalk('emr');
      for (const id of ['L1', 'L2', 'L3', 'L4']) {
        t.same(
          after.find((r) => r.systemId === id),
          before.find((r) => r.systemId === id),
          `${id} unchanged`,
        );
      }
      t.notOk(
        after.some((r) => r.registryId === 'R1' && r.state === 'auto-match'),
        'the broken pair is not auto-matched again',
      );
    });

    t.test('exports', async (t) => {
      t.equal((await post('L4/accept', { registryId: 'R4' })).statusCode, 200);
      const csv = await app.inject({ method: 'GET', url: '/admin/reconcile/emr/export.csv', headers: auth });
      t.equal(csv.statusCode, 200);
      t.match(csv.headers['content-type'], /text\/csv/);
      t.match(csv.body, /^system,system_id,registry_id,state/);
      t.match(csv.body, /^emr,L1,,match-broken,/m);
      const json = await app.inject({ method: 'GET', url: '/admin/reconcile/emr/export.json', headers: auth });
      t.equal(json.statusCode, 200);
      const bundle = json.json();
      t.equal(bundle.resourceType, 'Bundle');
      const r4 = bundle.entry.find((e: { resource: { id: string } }) => e.resource.id === 'R4');
      t.match(r4.resource, { resourceType: 'Location', name: 'Kasikeu Dispensary' });
      t.same(
        r4.resource.identifier,
        [{ system: 'https://example.org/sys/emr', value: 'L4' }],
        'one identifier per system',
      );
      t.same(
        bundle.entry.map((e: { resource: { id: string } }) => e.resource.id),
        ['R4'],
        'broken and flagged links are not exported',
      );
    });
  });
}

t.test('registering without a token throws', async (t) => {
  const store = await openStore({ databaseUrl: 'sqlite::memory:' });
  t.teardown(() => store.close());
  const app = Fastify();
  await t.rejects(async () => {
    await app.register(reviewRoutes, { store, adminToken: '' });
    await app.ready();
  }, /adminToken/);
});
