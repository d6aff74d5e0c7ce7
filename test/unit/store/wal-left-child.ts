/**
 * A process that records one outbox write in the SQLite store DATABASE_URL names and dies by
 * SIGKILL: its commit stays in the WAL beside the database (wal-after-restore.test.ts).
 */
import { openStore } from '../../../src/store/index.js';

const store = await openStore({ databaseUrl: process.env.DATABASE_URL! });
const now = Date.now();
await store.recordWrite({
  id: 'job-after-backup',
  flow: 'stock',
  system: 'dhis2',
  idempotencyKey: 'stock|after-backup',
  payloadHash: 'h',
  payload: { after: 'backup' },
  status: 'pending',
  attempts: 0,
  nextAttemptAt: now,
  createdAt: now,
});
await store.durable();
process.kill(process.pid, 'SIGKILL');
