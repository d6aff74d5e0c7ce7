/**
 * Store.othersFailingTogether (others-failing.ts) is asked at a held write's bound, on a table of
 * millions of done jobs: the system's latest delivery is read from v64's partial index of done
 * jobs by system and end (the plan names it), the other failing jobs from v65's index of the jobs
 * not ended by system and own-outage failure, newest first, a range bounded by the failure time; no
 * read of every job. Plans, not timings. SQLite and (with TEST_DATABASE_URL) PostgreSQL.
 */
import t from 'tap';
import {
  PG_OTHERS_FAILING_TOGETHER_SQL,
  SQLITE_OTHERS_FAILING_TOGETHER_SQL,
} from '../../../src/store/others-failing.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';
import { queryPlan } from '../../support/query-plan.js';

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    const { databaseUrl } = await freshStore(engine, t);
    // the statement's parameters (othersFailingTogetherValues' order) as literals, for EXPLAIN
    const literals = ["'lmis'", '0', "'job-1'", "'lmis'"];
    let next = 0;
    const sql =
      engine.name === 'sqlite'
        ? SQLITE_OTHERS_FAILING_TOGETHER_SQL.replace(/\?/g, () => literals[next++])
        : PG_OTHERS_FAILING_TOGETHER_SQL.replace(/\$([0-9])/g, (_, n: string) => literals[Number(n) - 1]);
    const plan = await queryPlan(databaseUrl, sql);
    t.match(plan, /outbox_jobs_done_by_system/, `the latest delivery from the done jobs' index:\n${plan}`);
    // a range of v65's index of the jobs not ended by system and own-outage failure
    t.match(plan, /outbox_jobs_outage_failed/, `the failing jobs from v65's index:\n${plan}`);
    t.notMatch(plan, /SCAN (TABLE )?outbox_jobs\b(?! USING)|Seq Scan on outbox_jobs/, 'no read of every job');
  });
}
