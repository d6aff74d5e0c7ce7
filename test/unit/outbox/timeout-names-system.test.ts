/**
 * An attempt that times out names the system its latest request went to (AttemptTimeoutError
 * .system), so a write whose delivery hangs on ANOTHER system (a facility's parent looked up in
 * OpenLMIS for a DHIS2 write) is held at its last attempt while THAT system fails its readiness
 * check (last-attempt-hold.ts). The timeout named no system, so the write's own system's check
 * was asked, passed, and the write was dead-lettered while the other system was down. Both
 * engines. The handler tells its calls as the upstream clients do (noteUpstreamCall).
 */
import t from 'tap';
import { Outbox } from '../../../src/outbox/outbox.js';
import { openStore } from '../../../src/store/index.js';
import { noteUpstreamCall } from '../../../src/upstream/attempt-scope.js';
import { engineCases } from '../../support/outbox-engines.js';

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    const db = await engine.freshDatabase();
    const store = await openStore({ databaseUrl: db.databaseUrl });
    const asked: string[] = [];
    const outbox = new Outbox({
      store,
      options: {
        pollMs: 60_000,
        leaseMs: 10_000,
        attemptTimeoutMs: 300,
        backoff: { baseMs: 60_000, capMs: 60_000, maxAttempts: 1 }, // its first attempt is its last
      },
      // DHIS2 answers its check; OpenLMIS, where the delivery hangs, does not
      systemAnswers: async (system) => {
        asked.push(system);
        return system === 'dhis2';
      },
    });
    const hung: Array<() => void> = [];
    outbox.register('facility', 'dhis2', async () => {
      noteUpstreamCall('dhis2'); // the write's own system read first, answered
      noteUpstreamCall('lmis'); // then the parent looked up in OpenLMIS: no answer
      await new Promise<void>((resolve) => hung.push(resolve));
      return { system: 'dhis2', ids: {} };
    });
    t.teardown(async () => {
      for (const end of hung) end();
      await outbox.stop();
      await store.close();
      await db.drop();
    });

    await outbox.acceptWrite({ flow: 'facility', system: 'dhis2', idempotencyKey: 'parent-hangs', payload: {} });
    await outbox.idle();
    const [job] = await store.findJobsByKey('parent-hangs');
    t.same(asked, ['lmis'], 'the check asked is the system the attempt was waiting on');
    t.equal(job?.status, 'pending', 'held while OpenLMIS does not answer, not dead-lettered');
    t.match(job?.lastError, /timed out after \d+ ms waiting on lmis/, 'the error says what it waited on');
  });
}
