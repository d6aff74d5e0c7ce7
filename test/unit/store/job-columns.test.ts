/**
 * A job is read with a list of outbox_jobs' columns (job-columns.ts) that leaves out the final calls
 * of v46 and the columns only SQL compares: a column a migration adds must be added to one or the
 * other, or every read of a job would drop it. Compared with the table the migrations leave, on
 * both engines (their tables differ: resource_id on SQLite, accept_seq on PostgreSQL).
 */
import t from 'tap';
import Database from 'better-sqlite3';
import pg from 'pg';
import { JOB_COLUMNS, NOT_READ } from '../../../src/store/job-columns.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';

async function tableColumns(databaseUrl: string): Promise<string[]> {
  if (databaseUrl.startsWith('sqlite:')) {
    const db = new Database(databaseUrl.slice('sqlite:'.length), { readonly: true });
    try {
      return (db.prepare('PRAGMA table_info(outbox_jobs)').all() as { name: string }[]).map((r) => r.name);
    } finally {
      db.close();
    }
  }
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    const { rows } = await c.query<{ column_name: string }>(
      "SELECT column_name FROM information_schema.columns WHERE table_name = 'outbox_jobs' AND table_schema = current_schema()",
    );
    return rows.map((r) => r.column_name);
  } finally {
    await c.end();
  }
}

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    const { databaseUrl } = await freshStore(engine, t);
    const listed = JOB_COLUMNS.split(', ');
    const columns = await tableColumns(databaseUrl);
    t.same(
      listed.sort(),
      columns.filter((c) => !(NOT_READ as readonly string[]).includes(c)).sort(),
      'every column of outbox_jobs is read with a job, but those named not read',
    );
    t.ok(columns.includes('openhim_final_calls'), 'the final calls among those not read');
    t.equal(new Set(listed).size, listed.length, 'each once');
  });
}
