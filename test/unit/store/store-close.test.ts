/**
 * Closing a store twice, on both engines. SQLite's second close() returned at once while
 * PostgreSQL's was refused by pg ("Called end on pool more than once"), so a caller closing on two
 * paths (a stop signal and the end of a run) failed on one engine only. Now a second close()
 * shares the first: it resolves once the first is done, whether called during it or after it.
 */
import t from 'tap';
import { openStore } from '../../../src/store/index.js';
import { engineCases } from '../../support/outbox-engines.js';

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    const db = await engine.freshDatabase();
    t.teardown(db.drop);

    t.test('two closes at once: both resolve', async (t) => {
      const store = await openStore({ databaseUrl: db.databaseUrl });
      const outcomes = await Promise.allSettled([store.close(), store.close()]);
      t.same(
        outcomes.map((o) => o.status),
        ['fulfilled', 'fulfilled'],
        'neither close refused',
      );
    });

    t.test('a close after a close: resolves', async (t) => {
      const store = await openStore({ databaseUrl: db.databaseUrl });
      await store.close();
      await t.resolves(store.close(), 'the second close resolves');
    });

    t.test('a close during a close resolves only once the first is done', async (t) => {
      const store = await openStore({ databaseUrl: db.databaseUrl });
      let firstDone = false;
      const first = store.close().then(() => {
        firstDone = true;
      });
      await store.close();
      t.ok(firstDone, 'the first close had ended when the second resolved');
      await first;
    });
  });
}
