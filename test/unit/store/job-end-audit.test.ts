/**
 * A job's end carries its audit entry (a dead letter's): written in the end's own transaction,
 * only when the lease still held the job, and a refused audit row undoes the end with it. Run
 * against SQLite and (with TEST_DATABASE_URL) PostgreSQL, alone and batched with other ends.
 */
import t from 'tap';
import type { AuditInput, Store, StoredError } from '../../../src/store/index.js';
import type { PostgresStore } from '../../../src/store/postgres.js';
import { refuseAudits } from '../../support/audit-refusal.js';
import { newJob } from '../../support/new-job.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';

const ERROR: StoredError = { name: 'UpstreamError', status: 502, issues: [{ code: 'transient', diagnostics: 'down' }] };

/** A job a worker has claimed (lease owner A), ready to end. */
const inFlight = (id: string) => newJob(id, { status: 'in-flight', attempts: 1, leaseOwner: 'A', leaseUntil: 99_000 });

const deadLetter = (id: string): AuditInput => ({
  actor: 'outbox',
  action: 'outbox.dead-letter',
  subject: id,
  details: { attempts: 1, reason: 'down' },
});

/** Statements PostgreSQL's batcher of job ends has sent; undefined on SQLite. */
function endStatements(store: Store): number | undefined {
  return store.engine === 'postgres' ? (store as PostgresStore).batchStats().jobEnds.statements : undefined;
}

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    t.test('the audit is written with the end, and only when the lease held', async (t) => {
      const { store } = await freshStore(engine, t);
      await store.recordWrites([inFlight('J1'), inFlight('J2')], []);
      t.equal(await store.finishJob('J1', 'A', { status: 'dead', error: ERROR, audit: deadLetter('J1') }, 5_000), true);
      t.match(await store.listAudit({ subject: 'J1' }), [
        { at: 5_000, actor: 'outbox', action: 'outbox.dead-letter', details: { attempts: 1, reason: 'down' } },
      ]);
      t.equal(
        await store.finishJob('J2', 'B', { status: 'dead', error: ERROR, audit: deadLetter('J2') }, 5_000),
        false,
        'a lost lease ends nothing',
      );
      t.same(await store.listAudit({ subject: 'J2' }), [], 'and audits nothing');
      t.equal((await store.getJob('J2'))?.status, 'in-flight');
    });

    t.test('ends of one turn: each audit with its own end, none for the lost lease', async (t) => {
      const { store } = await freshStore(engine, t);
      const ids = Array.from({ length: 8 }, (_, i) => `B${i}`);
      await store.recordWrites(ids.map(inFlight), []);
      const before = endStatements(store);
      const finished = await Promise.all(
        ids.map((id, i) =>
          i % 2 === 0
            ? store.finishJob(id, 'A', { status: 'done', result: { system: 'openlmis', ids: { r: id } } }, 6_000)
            : store.finishJob(id, i === 3 ? 'B' : 'A', { status: 'dead', error: ERROR, audit: deadLetter(id) }, 6_000),
        ),
      );
      t.same(
        finished,
        ids.map((_, i) => i !== 3),
      );
      // PostgreSQL: one batch statement (a failed one would be rerun alone: 1 + 8)
      if (before !== undefined) t.ok(endStatements(store)! - before < ids.length, 'batched');
      const audited = (await store.listAudit({ limit: 100 })).map((a) => a.subject).sort();
      t.same(audited, ['B1', 'B5', 'B7'], 'the dead ends whose lease held, once each');
      t.equal((await store.getJob('B3'))?.status, 'in-flight');
    });

    t.test('an audit row the database refuses undoes the end too', async (t) => {
      const { store, databaseUrl } = await freshStore(engine, t);
      await store.recordWrites([inFlight('R1'), inFlight('R2')], []);
      const lift = await refuseAudits(databaseUrl, 'outbox.dead-letter');
      const [refused, other] = await Promise.allSettled([
        store.finishJob('R1', 'A', { status: 'dead', error: ERROR, audit: deadLetter('R1') }, 7_000),
        store.finishJob('R2', 'A', { status: 'done', result: { system: 'openlmis', ids: { r: 'R2' } } }, 7_000),
      ]);
      t.match(refused, { status: 'rejected', reason: { message: /audit refused by the test/ } });
      t.match(await store.getJob('R1'), { status: 'in-flight', leaseOwner: 'A', error: undefined });
      t.same(await store.listAudit({ subject: 'R1' }), []);
      t.match(other, { status: 'fulfilled', value: true }, 'an end of the same turn is not held back');
      t.equal((await store.getJob('R2'))?.status, 'done');
      await lift();
      t.equal(await store.finishJob('R1', 'A', { status: 'dead', error: ERROR, audit: deadLetter('R1') }, 8_000), true);
      t.equal((await store.getJob('R1'))?.status, 'dead');
      t.match(await store.listAudit({ subject: 'R1' }), [{ at: 8_000, action: 'outbox.dead-letter' }]);
    });
  });
}
