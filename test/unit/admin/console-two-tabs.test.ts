/**
 * Two tabs of one console session posting at once, through fastify.inject on both store engines
 * with the sessions kept in the store. Each request reads the session row when it starts and
 * writes it back when answered; the second whole write dropped what the first wrote in between,
 * so one of two decisions made at once could not be undone. A request still running when its
 * session was signed out in another tab brought the session back. The reads are held at a gate
 * so both requests have read before either writes: the order the race needs, every run.
 */
import t from 'tap';
import Fastify from 'fastify';
import formbody from '@fastify/formbody';
import { fhirErrorHandler } from '../../../src/fhir/outcome.js';
import { reviewRoutes } from '../../../src/registry/review-routes.js';
import { reviewUndoRoutes } from '../../../src/admin/review-undo-routes.js';
import { reconcileIntoStore } from '../../../src/registry/reconcile-run.js';
import { operatorConsole } from '../../../src/admin/ui/index.js';
import { storeSessions, type SessionBackend } from '../../../src/admin/ui/session.js';
import { consoleClient, formFields } from '../../support/console-client.js';
import { consoleOptions } from '../../support/console-options.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';
import { REVIEW_REGISTRY, reviewFacility } from '../../support/review-facilities.js';

const TOKEN = 'two-tabs-token';
const fac = reviewFacility;
const registry = REVIEW_REGISTRY;
const records = [fac('L4', 'Kasikeu'), fac('L6', 'Kasikeu Annex Post')];

/**
 * Session reads held until `count` requests have read (then all go on together), once armed;
 * `reached` resolves when they have. Later reads pass.
 */
function gatedReads(backend: SessionBackend) {
  let gate: { count: number; arrived: number; open: () => void; opened: Promise<void> } | undefined;
  let clearingWaits: { written: () => void; done: Promise<void> } | undefined;
  return {
    sessions: {
      ...backend,
      swap: async (row: Parameters<SessionBackend['swap']>[0], was: Record<string, unknown>) => {
        const hold = clearingWaits;
        if (hold && row.data.flash === undefined) {
          await hold.done;
        } else if (hold) {
          clearingWaits = undefined;
          const wrote = await backend.swap(row, was);
          hold.written();
          return wrote;
        }
        return backend.swap(row, was);
      },
      get: async (idDigest: string) => {
        const row = await backend.get(idDigest);
        const g = gate;
        if (g) {
          g.arrived += 1;
          if (g.arrived === g.count) {
            gate = undefined;
            g.open();
          }
          await g.opened;
        }
        return row;
      },
    } satisfies SessionBackend,
    /** The next write clearing the flash waits until another write is done. */
    holdClearing(): void {
      let written = () => {};
      const done = new Promise<void>((resolve) => (written = resolve));
      clearingWaits = { written, done };
    },
    /** The next `count` session reads wait for one another. */
    arm(count: number): void {
      let open = () => {};
      const opened = new Promise<void>((resolve) => (open = resolve));
      gate = { count, arrived: 0, open, opened };
    },
  };
}

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    const { store } = await freshStore(engine, t);
    await reconcileIntoStore(store, 'emr', records, registry);
    const reads = gatedReads(storeSessions(store));
    const app = Fastify();
    app.setErrorHandler(fhirErrorHandler);
    await app.register(formbody);
    await app.register(reviewRoutes, { prefix: '/admin', store, adminToken: () => TOKEN });
    await app.register(reviewUndoRoutes, { prefix: '/admin', store, adminToken: () => TOKEN });
    await app.register(
      operatorConsole,
      consoleOptions({
        adminToken: () => TOKEN,
        sessions: reads.sessions,
        directory: {
          registry: async () => new Map(registry.map((f) => [f.id!, f])),
          system: async () => new Map(records.map((f) => [f.id!, f])),
          systems: () => ['emr'],
        },
      }),
    );
    t.teardown(() => app.close());
    const { signIn, get, post } = consoleClient(app, TOKEN, t);
    /** The review page's decide form for a record, as a tab shows it. */
    const decideForm = async (cookie: string, systemId: string, op: string) => {
      const page = await get(`/admin/ui/review?system=emr&at=${systemId}`, cookie);
      const form = formFields(page.body, /\/review\/decide$/);
      t.equal(form.fields.get('systemId'), systemId);
      form.fields.set('op', op);
      return form;
    };
    const undoOnce = async (cookie: string) => {
      const page = await get('/admin/ui/review?system=emr', cookie);
      const { url, fields } = formFields(page.body, /\/review\/undo$/);
      return post(url, cookie, fields);
    };

    await t.test('two decisions posted at once from two tabs can both be undone', async (t) => {
      const cookie = await signIn('Ann Reviewer');
      const first = await decideForm(cookie, 'L4', 'no-match');
      const second = await decideForm(cookie, 'L6', 'no-match');
      reads.arm(2);
      const answers = await Promise.all([
        post(first.url, cookie, first.fields),
        post(second.url, cookie, second.fields),
      ]);
      t.same(
        answers.map((a) => a.statusCode),
        [303, 303],
      );
      t.match(await store.getCrosswalk('emr', 'L4'), { state: 'no-match', decidedBy: 'Ann Reviewer' });
      t.match(await store.getCrosswalk('emr', 'L6'), { state: 'no-match', decidedBy: 'Ann Reviewer' });

      for (let i = 0; i < 2; i++) t.equal((await undoOnce(cookie)).statusCode, 303, `undo ${i + 1}`);
      t.equal((await store.getCrosswalk('emr', 'L4'))?.state, 'review', 'the decision on L4 is undone');
      t.equal((await store.getCrosswalk('emr', 'L6'))?.state, 'review', 'the decision on L6 is undone');
      const undone = (await store.listAudit({})).filter((e) => e.action === 'review.undo').map((e) => e.subject);
      t.same(undone.sort(), ['emr/L4', 'emr/L6'], 'one undo each, audited');
      const page = await get('/admin/ui/review?system=emr', cookie);
      t.match(page.body, /data-key="u" disabled/, 'nothing more to undo');
    });

    await t.test("a page shown while another tab decides does not clear that decision's message", async (t) => {
      const cookie = await signIn('Cy Reviewer');
      const first = await decideForm(cookie, 'L4', 'no-match');
      const second = await decideForm(cookie, 'L6', 'no-match');
      t.equal((await post(first.url, cookie, first.fields)).statusCode, 303, 'its message waits for the next page');
      // both read the first message; the page shows and clears it, and writes after the decision
      reads.arm(2);
      reads.holdClearing();
      const [shown, decided] = await Promise.all([
        get('/admin/ui/systems', cookie),
        post(second.url, cookie, second.fields),
      ]);
      t.match(shown.body, /No match: L4/, 'the page shows the first message');
      t.equal(decided.statusCode, 303);
      const next = await get('/admin/ui/systems', cookie);
      t.match(next.body, /No match: L6/, "the second decision's message is shown next");
      for (let i = 0; i < 2; i++) await undoOnce(cookie);
    });

    await t.test('a double click sends the form twice at once: one decision, no "Not decided"', async (t) => {
      const cookie = await signIn('Dee Reviewer');
      const form = await decideForm(cookie, 'L6', 'no-match');
      reads.arm(2); // both sends read the session before either is answered, as a double click's do
      const answers = await Promise.all([post(form.url, cookie, form.fields), post(form.url, cookie, form.fields)]);
      t.same(
        answers.map((a) => a.headers.location),
        ['/admin/ui/review?system=emr', '/admin/ui/review?system=emr'],
        'both go on to the queue, neither back to the record as refused',
      );
      t.match(await store.getCrosswalk('emr', 'L6'), { state: 'no-match', decidedBy: 'Dee Reviewer' });
      const decided = (await store.listAudit({ subject: 'emr/L6' })).filter((e) => e.actor === 'Dee Reviewer');
      t.equal(decided.length, 1, 'decided once');
      const shown = await get('/admin/ui/systems', cookie);
      t.notMatch(shown.body, /Not decided/);
      t.match(shown.body, /No match: L6|Sent twice: your first send decided L6/);
      await undoOnce(cookie);
      t.equal((await store.getCrosswalk('emr', 'L6'))?.state, 'review', 'and it can be undone');
    });

    await t.test('another tab\'s other choice on the same record is "Not decided", not "Sent twice"', async (t) => {
      // both tabs show L4 as it is; one accepts R4, then the other, still showing it, accepts R5
      // or flags it: the record is not what that form asked for, though decided by the same name
      const cookie = await signIn('Eve Reviewer');
      const first = await decideForm(cookie, 'L4', 'accept');
      first.fields.set('registryId', 'R4');
      const other = await decideForm(cookie, 'L4', 'accept');
      other.fields.set('registryId', 'R5');
      const flagged = await decideForm(cookie, 'L4', 'flag');
      flagged.fields.set('comment', 'check the county');
      t.equal((await post(first.url, cookie, first.fields)).headers.location, '/admin/ui/review?system=emr');
      for (const form of [other, flagged]) {
        const answer = await post(form.url, cookie, form.fields);
        t.equal(answer.headers.location, '/admin/ui/review?system=emr&at=L4', 'back to the record as it is');
        const shown = await get('/admin/ui/systems', cookie);
        t.match(shown.body, /Not decided \(409\): emr\/L4 changed since it was shown: now &#39;manual-match&#39;/);
        t.notMatch(shown.body, /Sent twice/);
      }
      t.match(await store.getCrosswalk('emr', 'L4'), { state: 'manual-match', registryId: 'R4' });
      await undoOnce(cookie);
      t.equal((await store.getCrosswalk('emr', 'L4'))?.state, 'review');
    });

    await t.test('a decision still running when another tab signs out does not sign back in', async (t) => {
      const cookie = await signIn('Bea Reviewer');
      const form = await decideForm(cookie, 'L4', 'flag');
      form.fields.set('comment', 'check the county');
      const page = await get('/admin/ui/systems', cookie);
      const signOut = formFields(page.body, /\/logout$/);
      reads.arm(2);
      const [decided, signedOut] = await Promise.all([
        post(form.url, cookie, form.fields),
        post(signOut.url, cookie, signOut.fields),
      ]);
      t.equal(signedOut.statusCode, 303);
      t.equal(signedOut.headers.location, '/admin/ui/login');
      t.equal(decided.statusCode, 303, 'the decision read its session before the sign-out');
      t.match(await store.getCrosswalk('emr', 'L4'), { state: 'flagged', decidedBy: 'Bea Reviewer' });
      const after = await get('/admin/ui/systems', cookie);
      t.equal(after.statusCode, 303, 'signed out stays signed out');
      t.match(String(after.headers.location), /^\/admin\/ui\/login/);
    });
  });
}
