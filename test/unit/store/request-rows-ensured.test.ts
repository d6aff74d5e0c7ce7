/**
 * Migration v52 (transaction-requests.ts): a development database migrated by an early build of
 * v50 (commit 1ccacd1, never released) has v50 recorded but no openhim_request_rows (that build
 * altered v47's table in place). Opened by this release, the table is made, and a request answered
 * 202 under a transaction id through the real plugin keeps its row again; a database migrated by
 * this release's v50 keeps its rows through v52. On SQLite and (with TEST_DATABASE_URL) PostgreSQL.
 */
import Fastify from 'fastify';
import t, { type Test } from 'tap';
import openhimPlugin from '../../../src/openhim/plugin.js';
import { noteTransactionJobs, noteWriteAccepted } from '../../../src/platform/call-recording.js';
import type { Store } from '../../../src/store/index.js';
import { REQUEST_ROWS_ENSURED_VERSION } from '../../../src/store/transaction-requests.js';
import { engineCases } from '../../support/outbox-engines.js';
import { storeMigratedFrom } from '../../support/old-database.js';

const TX = '65a0c0ffee0000000000c052';
const JOB = '0190c0de-0001-7000-8000-0000000c0052';

/** v50 as commit 1ccacd1 ran it (its transaction-requests.ts), recorded as applied. */
const EARLY_V50 = {
  sqlite: `
CREATE TABLE openhim_transaction_requests_v50 (
  transaction_id TEXT NOT NULL,
  writes TEXT NOT NULL,
  request_key TEXT NOT NULL DEFAULT '',
  content_type TEXT,
  entries INTEGER,
  recorded_at INTEGER NOT NULL,
  PRIMARY KEY (transaction_id, writes, request_key)
);
INSERT INTO openhim_transaction_requests_v50 (transaction_id, writes, request_key, content_type, entries, recorded_at)
  SELECT transaction_id, writes, COALESCE(request_key, ''), content_type, entries, recorded_at
  FROM openhim_transaction_requests;
DROP TABLE openhim_transaction_requests;
ALTER TABLE openhim_transaction_requests_v50 RENAME TO openhim_transaction_requests;
INSERT INTO schema_migrations (version, name, applied_at) VALUES (50, 'early build', 0);
`,
  postgres: `
UPDATE openhim_transaction_requests SET request_key = '' WHERE request_key IS NULL;
ALTER TABLE openhim_transaction_requests ALTER COLUMN request_key SET DEFAULT '';
ALTER TABLE openhim_transaction_requests ALTER COLUMN request_key SET NOT NULL;
ALTER TABLE openhim_transaction_requests DROP CONSTRAINT openhim_transaction_requests_pkey;
ALTER TABLE openhim_transaction_requests ADD PRIMARY KEY (transaction_id, writes, request_key);
INSERT INTO schema_migrations (version, name, applied_at) VALUES (50, 'early build', 0);
`,
};

/** One request under TX answered 202 through the plugin on `store`; the key its envelope names, the warnings. */
async function answeredUnder(t: Test, store: Store): Promise<{ key: string; warnings: string[] }> {
  const warnings: string[] = [];
  const app = Fastify({ logger: { level: 'warn', stream: { write: (line: string) => void warnings.push(line) } } });
  await app.register(openhimPlugin, {
    urn: 'urn:mediator:test',
    recordRequest: (r) => store.recordTransactionRequest(r),
  });
  app.post('/fhir', async (_request, reply) => {
    noteWriteAccepted();
    noteTransactionJobs([JOB]);
    return reply.code(202).type('application/fhir+json').send({ resourceType: 'OperationOutcome' });
  });
  t.teardown(() => app.close());
  const res = await app.inject({
    method: 'POST',
    url: '/fhir',
    headers: { 'x-openhim-transactionid': TX },
    payload: {},
  });
  const key = (JSON.parse(res.body) as { properties: Record<string, string> }).properties.awaitsUpdateOfRequest;
  return { key, warnings };
}

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    t.test('migrated by the early build of v50: the table made, requests kept again', async (t) => {
      const { store } = await storeMigratedFrom(t, engine, 50, EARLY_V50);
      t.ok((await store.migrationVersions()).includes(REQUEST_ROWS_ENSURED_VERSION), 'v52 applied');
      const { key, warnings } = await answeredUnder(t, store);
      // before: "no such table" / "does not exist", logged, and no row: the update judged without it
      t.same(warnings, [], 'kept without a warning');
      t.same(
        await store.requestsOfTransaction(TX),
        [
          {
            transactionId: TX,
            jobIds: [JOB],
            contentType: 'application/fhir+json; charset=utf-8',
            requestKey: key,
            apart: true,
          },
        ],
        'its row kept under its key',
      );
    });

    t.test("migrated by this release's v50: its rows stay through v52", async (t) => {
      const row = `INSERT INTO openhim_request_rows (transaction_id, writes, request_key, content_type, entries, recorded_at)
        VALUES ('${TX}', '${JOB}', 'k-before', NULL, NULL, 1)`;
      const { store } = await storeMigratedFrom(t, engine, REQUEST_ROWS_ENSURED_VERSION, row);
      const { key } = await answeredUnder(t, store);
      t.same(
        (await store.requestsOfTransaction(TX)).map((r) => r.requestKey),
        ['k-before', key],
        'the row of before and the new one',
      );
    });
  });
}
