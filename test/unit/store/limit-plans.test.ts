/**
 * SQLite statements with `LIMIT ?` are prepared once (sqlite-limits.ts): SQLite 3.53 plans with a
 * LIMIT that is a bare parameter and compiles the statement again at every run that binds it, so
 * the connection hands SQLite `LIMIT CAST(? AS INTEGER)` instead. What a caller sees is unchanged:
 * the same rows, each limit honoured as bound at that run, on a statement reused across runs.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { acquireConnection, releaseConnection } from '../../../src/store/sqlite-connection.js';
import { limitsPlannedOnce } from '../../../src/store/sqlite-limits.js';
import { SqliteStore } from '../../../src/store/sqlite.js';

t.test('the statement SQLite prepares has no bare parameter as its LIMIT', async (t) => {
  const conn = acquireConnection(':memory:');
  t.teardown(() => releaseConnection(conn));
  const listed = conn.statement('SELECT 1 AS one LIMIT ?');
  t.equal(listed.source, 'SELECT 1 AS one LIMIT CAST(? AS INTEGER)');
  // the claim query's subqueries, numbered parameters, and OFFSET (which SQLite does not plan on)
  t.equal(
    limitsPlannedOnce('SELECT x FROM (SELECT x FROM t ORDER BY x LIMIT ?) ORDER BY x limit ?2 OFFSET ?'),
    'SELECT x FROM (SELECT x FROM t ORDER BY x LIMIT CAST(? AS INTEGER)) ORDER BY x LIMIT CAST(?2 AS INTEGER) OFFSET ?',
  );
  t.equal(
    limitsPlannedOnce('SELECT * FROM audit ORDER BY id DESC LIMIT 5'),
    'SELECT * FROM audit ORDER BY id DESC LIMIT 5',
  );
  // the same statement object is reused, and each run honours the limit bound to it
  t.equal(conn.statement('SELECT 1 AS one LIMIT ?'), listed);
  t.same(listed.all(0), []);
  t.same(listed.all(1), [{ one: 1 }]);
  t.same(listed.all(-1), [{ one: 1 }], 'a negative LIMIT is no limit, as before');
});

t.test('the store lists audit entries and claims jobs by the limit of each call', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'limit-plans-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const store = new SqliteStore(path.join(dir, 'mediator.db'));
  t.teardown(() => store.close());
  store.migrate();
  for (let i = 0; i < 5; i++)
    await store.appendAudit({ actor: 'test', action: 'note', subject: 'key-a', details: { i } }, 1000 + i);
  for (const limit of [3, 1, 5, 2]) {
    const listed = await store.listAudit({ subject: 'key-a', limit });
    t.same(
      listed.map((e) => (e.details as { i: number }).i),
      [4, 3, 2, 1, 0].slice(0, limit),
      `newest first, ${limit} of them`,
    );
  }
  const now = Date.now();
  await store.recordWrites(
    Array.from({ length: 4 }, (_, i) => ({
      id: `job-${i}`,
      flow: 'order',
      system: 'openlmis',
      idempotencyKey: `key-${i}`,
      payloadHash: `h${i}`,
      payload: { i },
      status: 'pending' as const,
      attempts: 0,
      nextAttemptAt: now - 100 + i,
      createdAt: now,
    })),
    [],
  );
  const claim = (limit: number) =>
    store.claimJobs({ system: 'openlmis', flows: ['order'], limit, leaseOwner: 'me', leaseMs: 60_000, now });
  t.same(
    (await claim(1)).map((j) => j.id),
    ['job-0'],
  );
  t.same(
    (await claim(2)).map((j) => j.id),
    ['job-1', 'job-2'],
  );
  t.same(
    (await claim(3)).map((j) => j.id),
    ['job-3'],
  );
});
