/**
 * Migration v43 (SQLite): a job's payload id is kept in outbox_jobs.resource_id, written with the
 * job, and the per-resource indexes (v22's waiting jobs, v23's later-write test) are on that column
 * rather than on `json_extract(payload, '$.id')`, which every index write of a job evaluated by
 * parsing the whole payload (issue 18). What must not change, on both engines (PostgreSQL's v43
 * changes nothing): jobs accepted before the upgrade are still found by their payload id, by the
 * delivery order check and by an operator's retry, and an id that is no string is matched as
 * before (json_extract's value). Also v43: the index of unsent OpenHIM updates is partial on an
 * OR, not on an `IN` list SQLite built a temporary index of at every end of a job.
 */
import Database from 'better-sqlite3';
import t from 'tap';
import { engineCases } from '../../support/outbox-engines.js';
import { storeMigratedFrom } from '../../support/old-database.js';
import { newJob } from '../../support/new-job.js';

const AUDIT = { actor: 'Ama', action: 'outbox.retry', subject: 'j', details: {} };

/** Jobs of loc-a written before v43, without an order key (as jobs of flows not delivered in order). */
const OLD_ROWS = [
  `('old-dead', 'facility', 'openlmis', 'k-1', 'h', '{"id":"loc-a"}', 'dead', 1, 0, 1000, 1000)`,
  `('old-wait', 'facility', 'openlmis', 'k-2', 'h', '{"id":"loc-b"}', 'pending', 1, 0, 1500, 1500)`,
  `('old-num', 'facility', 'openlmis', 'k-3', 'h', '{"id":7}', 'dead', 1, 0, 1700, 1700)`,
];
const INSERT_OLD = `INSERT INTO outbox_jobs (id, flow, system, idempotency_key, payload_hash,
  payload, status, attempts, next_attempt_at, created_at, updated_at) VALUES ${OLD_ROWS.join(', ')}`;

const later = (id: string, payload: unknown) =>
  newJob(id, { flow: 'facility', payload, createdAt: 3000, nextAttemptAt: 3000 });

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    const { store, databaseUrl } = await storeMigratedFrom(t, engine, 43, INSERT_OLD);
    t.ok((await store.migrationVersions()).includes(43), 'v43 applied');

    await store.recordWrite(later('new-a', { id: 'loc-a' }));
    await store.recordWrite(later('new-b', { id: 'loc-b' }));
    await store.recordWrite(later('new-num', { id: 7 }));
    await store.recordWrite(later('new-c', { id: 'loc-c' }));
    t.ok(await store.waitsBehind('new-b'), 'a new write of loc-b waits for the one accepted before the upgrade');
    t.notOk(await store.waitsBehind('new-c'), 'nothing of loc-c waits before it');
    t.notOk(
      await store.requeueJob('old-dead', AUDIT, 9_000, 'dead'),
      'a later write of loc-a exists: the old dead one is not retried',
    );
    t.notOk(await store.requeueJob('old-num', AUDIT, 9_000, 'dead'), 'an id that is a number matches a later one');

    if (engine.name !== 'sqlite') return;
    const file = new Database(databaseUrl.slice('sqlite:'.length), { readonly: true });
    t.teardown(() => file.close());
    t.same(
      file.prepare('SELECT id, resource_id FROM outbox_jobs ORDER BY id').all(),
      [
        { id: 'new-a', resource_id: 'loc-a' },
        { id: 'new-b', resource_id: 'loc-b' },
        { id: 'new-c', resource_id: 'loc-c' },
        { id: 'new-num', resource_id: 7 },
        { id: 'old-dead', resource_id: 'loc-a' },
        { id: 'old-num', resource_id: 7 },
        { id: 'old-wait', resource_id: 'loc-b' },
      ],
      'old rows filled by the migration, new ones by the insert',
    );
    const indexes = file
      .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'outbox_jobs'")
      .all() as { name: string; sql: string | null }[];
    t.same(
      indexes.filter((i) => /json_extract/.test(i.sql ?? '')).map((i) => i.name),
      [],
      'no index of a job parses its payload',
    );
    // an end of a job (status, end time, OpenHIM debt) tests each partial index's condition on
    // the row before and after: none of them builds a temporary index of a list to do so
    const end = file.prepare(`EXPLAIN UPDATE outbox_jobs SET status = ?, updated_at = ?, openhim_update = ?
      WHERE id = ? AND status = 'in-flight' AND lease_owner = ?`);
    const opcodes = (end.all('done', 1, 'owed', 'new-a', 'A') as { opcode: string }[]).map((r) => r.opcode);
    t.notOk(opcodes.includes('OpenEphemeral'), 'no temporary index per end of a job');
  });
}
