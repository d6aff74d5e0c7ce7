/**
 * The per-resource delivery order is looked up in an index (migration v22), not by reading every
 * waiting job: SQLite's plan of the claim searches outbox_jobs_resource_waiting for each candidate,
 * and PostgreSQL can answer the same lookup from it. Plans, not timings.
 */
import t from 'tap';
import { SqliteStore } from '../../../src/store/sqlite.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';
import { queryPlan, sqlitePlanner } from '../../support/query-plan.js';

t.test('SQLite: the claim of a flow delivered in order searches the resource index', async (t) => {
  const range = ['openlmis', 'facility', 1, 'facility', 20];
  const plan = (await sqlitePlanner(t))(SqliteStore.claimCandidatesSql(1, 1), ...range, ...range, 20);
  const lookups = plan.filter((d) => d.startsWith('SEARCH e '));
  t.ok(lookups.length >= 1, plan.join('\n'));
  for (const d of lookups)
    // since v25 beside the lookup by order key (order-key-plan.test.ts)
    t.match(
      d,
      /USING INDEX outbox_jobs_(resource_id_waiting|order_waiting) \(system=\? AND flow=\? AND (resource_id|order_key)=\?/,
    );
});

const pgCase = engineCases().find((e) => e.name === 'postgres')!;
t.test('PostgreSQL: the waiting jobs of a resource can be read from the index', { skip: pgCase.skip }, async (t) => {
  const { databaseUrl } = await freshStore(pgCase, t);
  const plan = await queryPlan(
    databaseUrl,
    `SELECT 1 FROM outbox_jobs e WHERE e.system = 'openlmis' AND e.flow = 'facility'
       AND e.status IN ('pending', 'in-flight') AND e.payload->>'id' = 'loc-1'`,
  );
  t.match(plan, /outbox_jobs_resource_waiting/);
});
