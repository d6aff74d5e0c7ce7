/**
 * OpenLMIS's userId() (a requisition's initiate and undo ask who the integration user is) logs in
 * outside any call of the client when no call made the token yet: its token request is a request
 * of OpenLMIS the attempt waits on. Since an attempt waits on a client's calls only (1df84202:
 * client.ts send's noteAsking; the request itself tells only the breaker), that login, when it
 * hung, was waited on by nobody: a timed-out attempt named another system still unanswered (a
 * parent asked of every system at once, one of them hanging: routing/facility-parent.ts
 * Promise.any), whose readiness the last attempt's hold then asked, and the write was
 * dead-lettered while OpenLMIS itself hung. A real outbox and the OpenLMIS sandbox, its token
 * endpoint held until the test ends; both engines.
 */
import t from 'tap';
import { Outbox } from '../../../../src/outbox/outbox.js';
import { openStore } from '../../../../src/store/index.js';
import { noteAsking, noteUpstreamCall } from '../../../../src/upstream/attempt-scope.js';
import { LMIS } from '../../../../src/systems/openlmis/errors.js';
import { engineCases } from '../../../support/outbox-engines.js';
import { startClientHarness } from './client-harness.js';

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    // the login outlasts the attempt, never the client's own deadline
    const h = await startClientHarness({ timeoutMs: 60_000 });
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    h.sb.faults.add({ method: 'POST', path: '/api/oauth/token', action: { type: 'held', released } });
    const db = await engine.freshDatabase();
    const store = await openStore({ databaseUrl: db.databaseUrl });
    const asked: string[] = [];
    const outbox = new Outbox({
      store,
      options: {
        pollMs: 60_000,
        leaseMs: 10_000,
        attemptTimeoutMs: 2_000,
        backoff: { baseMs: 60_000, capMs: 60_000, maxAttempts: 1 }, // its first attempt is its last
      },
      systemAnswers: async (system) => {
        asked.push(system);
        return system !== LMIS; // OpenLMIS hangs; the other system answers its check
      },
    });
    outbox.register('requisition', LMIS, async () => {
      // a parent asked of another system too, still unanswered (found elsewhere first), as a client's call tells it
      noteAsking('dhis2');
      noteUpstreamCall('dhis2');
      await h.client.userId!(); // OpenLMIS's login, held
      return { system: LMIS, ids: {} };
    });
    t.teardown(async () => {
      release();
      await outbox.stop();
      await store.close();
      await db.drop();
      await h.close();
    });

    await outbox.acceptWrite({ flow: 'requisition', system: LMIS, idempotencyKey: 'user-login', payload: {} });
    await outbox.idle();
    const [job] = await store.findJobsByKey('user-login');
    t.same(asked, [LMIS], "the last attempt's hold asks OpenLMIS, whose login it waited on");
    t.equal(job?.status, 'pending', 'held while OpenLMIS does not answer, not dead-lettered');
    t.match(job?.lastError, new RegExp(`timed out after \\d+ ms waiting on ${LMIS}`), 'the error names OpenLMIS');
  });
}
