/**
 * A timed-out attempt names the system it was waiting on (AttemptTimeoutError.system) also when
 * its call of that system never went out: queued for one of the system's connections, all held
 * by requests the system does not answer (the usual shape of an outage under load). The queued
 * call was not told to the attempt until it was sent, so the attempt, its own system's read
 * answered, named no system: its own system's check was asked, passed, and the write was
 * dead-lettered while OpenLMIS, where its parent is looked up, was down. Both engines; a real
 * client (client.ts) of a real upstream, one connection.
 */
import t from 'tap';
import { Outbox } from '../../../src/outbox/outbox.js';
import { openStore } from '../../../src/store/index.js';
import { noteAsking, noteUpstreamCall } from '../../../src/upstream/attempt-scope.js';
import { staticTokenAuth } from '../../../src/upstream/auth/static-token.js';
import { engineCases } from '../../support/outbox-engines.js';
import { clientFor, startUpstream } from '../upstream/harness.js';

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    const hung: Array<() => void> = [];
    const u = await startUpstream((app) => {
      app.get('/hang', () => new Promise<{ ok: boolean }>((resolve) => hung.push(() => resolve({ ok: true }))));
      app.get('/parent', async () => ({ ok: true }));
    });
    const lmis = clientFor(
      { baseUrl: u.url, timeoutMs: 10_000, concurrency: 1, token: 'k' },
      () => staticTokenAuth({ token: () => 'k', scheme: 'Bearer' }),
      'lmis',
    );
    const db = await engine.freshDatabase();
    const store = await openStore({ databaseUrl: db.databaseUrl });
    const asked: string[] = [];
    const outbox = new Outbox({
      store,
      options: {
        pollMs: 60_000,
        leaseMs: 10_000,
        attemptTimeoutMs: 2_000, // a 300 ms one was deferred (half its time gone) by a slow accept under load
        backoff: { baseMs: 60_000, capMs: 60_000, maxAttempts: 1 }, // its first attempt is its last
      },
      // DHIS2 answers its check; OpenLMIS, whose only connection hangs, does not
      systemAnswers: async (system) => {
        asked.push(system);
        return system === 'dhis2';
      },
    });
    outbox.register('facility', 'dhis2', async () => {
      // the write's own system read first, answered (as a client's call tells it: client.ts send)
      const answered = noteAsking('dhis2');
      noteUpstreamCall('dhis2');
      answered();
      await lmis.call({ method: 'GET', path: '/parent' }); // queued behind the hung request
      return { system: 'dhis2', ids: {} };
    });
    // another caller's request holds OpenLMIS's only connection, unanswered
    const hog = lmis.call({ method: 'GET', path: '/hang' }).catch(() => undefined);
    t.teardown(async () => {
      for (const end of hung) end();
      await hog;
      await outbox.stop();
      await store.close();
      await db.drop();
      await lmis.close();
      await u.close();
    });
    // the hog's request is at the upstream (holding the connection) before the attempt asks
    while (hung.length === 0) await new Promise((r) => setTimeout(r, 5));

    await outbox.acceptWrite({ flow: 'facility', system: 'dhis2', idempotencyKey: 'queued', payload: {} });
    await outbox.idle();
    const [job] = await store.findJobsByKey('queued');
    t.same(asked, ['lmis'], 'the check asked is of the system the queued call waits on');
    t.equal(job?.status, 'pending', 'held while OpenLMIS does not answer, not dead-lettered');
    t.match(job?.lastError, /timed out after \d+ ms waiting on lmis/, 'the error says what it waited on');
    t.equal(u.hits('GET /parent'), 0, 'the queued call never went out');
  });
}
