/**
 * OpenHIM transaction updates not sent are visible: counted by the store (the jobs' own debts and
 * reruns'), at /metrics (owed, refused, abandoned, the oldest owed one's age), in the admin job
 * detail (the reruns' debts beside the job's own) and as one line on the console's outbox page.
 * Before, an update owed for hours, or refused for good, showed nowhere but in the logs. SQLite
 * and (with TEST_DATABASE_URL) PostgreSQL.
 */
import Fastify from 'fastify';
import t from 'tap';
import { Registry } from 'prom-client';
import { registerTransactionUpdateMetrics } from '../../../src/openhim/update-metrics.js';
import { outboxAdminRoutes } from '../../../src/outbox/admin-routes.js';
import { showOutboxJob } from '../../../src/outbox/operator.js';
import { outboxBody, type OutboxData } from '../../../src/admin/ui/outbox-page.js';
import type { WriteResult } from '../../../src/routing/ports.js';
import { newJob } from '../../support/new-job.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';

const RESULT: WriteResult = { system: 'openlmis', ids: { requisition: 'r' } };
const MINUTE = 60_000;

const inFlight = (id: string) =>
  newJob(id, {
    status: 'in-flight',
    attempts: 1,
    leaseOwner: 'A',
    leaseUntil: Date.now() + MINUTE,
    transactionId: `tx-${id}`,
  });

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    const { store } = await freshStore(engine, t);
    const now = Date.now();
    await store.recordWrites(['OWED1', 'OWED2', 'REFUSED', 'GONE', 'SENT'].map(inFlight), []);
    await store.recordWrites([newJob('QUEUED', { status: 'pending', transactionId: 'tx-QUEUED' })], []);
    // ended 12 and 3 minutes ago, owing their updates
    const end = (id: string, at: number) =>
      store.finishJob(id, 'A', { status: 'done', result: RESULT, transactionUpdateDue: at }, at);
    await end('OWED1', now - 12 * MINUTE);
    await end('OWED2', now - 3 * MINUTE);
    await end('REFUSED', now);
    await end('GONE', now);
    await end('SENT', now);
    await store.settleTransactionUpdate('REFUSED', { state: 'refused', error: 'OpenHIM answered 404' });
    await store.settleTransactionUpdate('GONE', { state: 'abandoned', error: 'OpenHIM answered 500' });
    await store.settleTransactionUpdate('SENT', { state: 'sent' });
    // a rerun answered 202 from a job still queued: owed too, once that job settles
    t.equal(await store.oweRerunUpdate('QUEUED', 'tx-rerun', now, 20), 'owed');

    const counts = await store.countTransactionUpdates();
    t.match(counts, { owed: 3, refused: 1, abandoned: 1 }, 'owed (two own, one rerun), refused, abandoned');
    t.equal(counts.oldestOwedEndedAt, now - 12 * MINUTE, 'the oldest owed: the job that ended first');

    const registry = new Registry();
    registerTransactionUpdateMetrics(registry, store);
    const text = await registry.metrics();
    t.match(text, /mediator_openhim_transaction_updates\{state="owed"\} 3/);
    t.match(text, /mediator_openhim_transaction_updates\{state="refused"\} 1/);
    t.match(text, /mediator_openhim_transaction_updates\{state="abandoned"\} 1/);
    const age = Number(/^mediator_openhim_transaction_update_oldest_owed_age_seconds (\S+)$/m.exec(text)?.[1]);
    t.ok(age >= 12 * 60, `the oldest owed update's age, in seconds (${age})`);

    const detail = await showOutboxJob(store, 'QUEUED');
    t.match(
      detail?.rerunUpdates,
      [{ transactionId: 'tx-rerun', state: 'owed', attempts: 0 }],
      "a rerun's debt in the job detail",
    );

    // the admin API gives the oldest owed one's end as ISO 8601, as every admin instant
    const app = Fastify();
    await app.register(outboxAdminRoutes, { prefix: '/admin', store, adminToken: () => 'tok' });
    t.teardown(() => app.close());
    const answered = await app.inject({
      method: 'GET',
      url: '/admin/outbox/counts',
      headers: { authorization: 'Bearer tok' },
    });
    const openhimUpdates = answered.json().openhimUpdates;
    t.same(
      openhimUpdates,
      { owed: 3, refused: 1, abandoned: 1, oldestOwedEndedAt: new Date(now - 12 * MINUTE).toISOString() },
      '/admin/outbox/counts: the counts, the oldest owed end ISO 8601',
    );

    const data: OutboxData = {
      counts: {},
      bySystem: new Map(),
      openhimUpdates,
      dead: [],
      listed: [],
      page: { offset: 0, size: 100, more: false },
      filters: {},
      now,
    };
    t.match(
      String(outboxBody(data)),
      /data-testid="openhim-updates">3 OpenHIM transaction updates owed, oldest 12 min; 1 refused, 1 abandoned/,
      'one line on the console',
    );
    t.notMatch(
      String(outboxBody({ ...data, openhimUpdates: { owed: 0, refused: 0, abandoned: 0, oldestOwedEndedAt: null } })),
      /openhim-updates/,
      'and none when everything was sent',
    );
  });
}
