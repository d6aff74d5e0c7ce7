/**
 * Migration v47 (transaction-requests.ts): the requests answered under an OpenHIM transaction id
 * awaiting our update, each with its writes, its answer's type and its Bundle's size. From a v46
 * database with a write in flight under such an id: it is kept, ends and owes its update as
 * before; a transaction none was kept for reads none (its update judged as before v47); a request
 * kept reads back as recorded, and a replay of it keeps the first.
 */
import t from 'tap';
import { engineCases } from '../../support/outbox-engines.js';
import { storeMigratedFrom } from '../../support/old-database.js';
import { inFlightJob } from '../../support/new-job.js';

const NOW = 1_700_000_000_000;
const OLD_TX = '65f0c0ffee0000000000b047';
const TX = '65f0c0ffee0000000000c047';
const OLD = `INSERT INTO outbox_jobs (id, flow, system, idempotency_key, payload_hash, payload, status, next_attempt_at,
  created_at, updated_at, transaction_id, lease_owner, lease_until, attempts)
  VALUES ('old', 'stock', 'dhis2', 'stock|old', 'h', '{"id":"old"}', 'in-flight', 0, 0, 0, '${OLD_TX}', 'w', ${NOW + 60_000}, 1)`;
const TYPE = 'application/fhir+json; fhirVersion=4.0; charset=utf-8';

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    const { store } = await storeMigratedFrom(t, engine, 47, OLD);
    t.ok((await store.migrationVersions()).includes(47), 'v47 applied');
    t.match(await store.getJob('old'), { status: 'in-flight', transactionId: OLD_TX }, 'the write in flight is kept');
    t.same(await store.requestsOfTransaction(OLD_TX), [], 'no request kept for it: its update is judged as before');
    await store.finishJob(
      'old',
      'w',
      { status: 'done', result: { system: 'dhis2', ids: {} }, transactionUpdateDue: NOW },
      NOW,
    );
    t.match(
      await store.getJob('old'),
      { status: 'done', transactionUpdate: { state: 'owed' } },
      'it ends owing its update',
    );

    await store.recordWrite({ ...inFlightJob('a', 'w', { now: NOW, leaseUntil: NOW + 60_000 }), transactionId: TX });
    await store.recordTransactionRequest({ transactionId: TX, jobIds: ['a', 'b'], contentType: TYPE, entries: 3 });
    await store.recordTransactionRequest({ transactionId: TX, jobIds: ['c'] });
    await store.recordTransactionRequest({ transactionId: TX, jobIds: ['a', 'b'], contentType: 'text/plain' });
    t.same(
      await store.requestsOfTransaction(TX),
      [
        { transactionId: TX, jobIds: ['a', 'b'], contentType: TYPE, entries: 3, apart: true },
        { transactionId: TX, jobIds: ['c'], apart: true },
      ],
      'each request as recorded, a replay keeping the first',
    );
    t.same(await store.requestsOfTransaction(OLD_TX), [], 'none under another id');
  });
}
