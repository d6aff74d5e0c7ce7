/**
 * A draft and its completion both accepted before v25 (routing/delivery-overtaken.ts,
 * Store.acceptedAfter): on PostgreSQL v25 numbered only the jobs not yet done, so the draft still
 * queued has an accept_seq and the completion delivered before the upgrade has none; the two are
 * then compared by created_at, the order they had, not dropped from the comparison (a NULL
 * compared is no answer: the completion would never count as later). On SQLite the rowid, in the
 * order the one process took them, as the stamps say.
 */
import t from 'tap';
import pg from 'pg';
import { storeOrder } from '../../../src/routing/delivery-overtaken.js';
import { DELIVERIES } from '../../../src/routing/flows.js';
import type { Store } from '../../../src/store/types.js';
import { engineCases } from '../../support/outbox-engines.js';
import { storeMigratedFrom } from '../../support/old-database.js';

const APP = 'https://app.example.org/deliveries';
const KEY = `delivery|${APP}|DL-OLD`;
const payload = (status: string) => JSON.stringify({ status, identifier: { system: APP, value: 'DL-OLD' } });
const row = (id: string, key: string, status: string, jobStatus: string, at: number) =>
  `('${id}', 'delivery', 'dhis2', '${key}', 'h-${id}', '${payload(status)}', '${jobStatus}', 1, ${at}, ${at}, ${at})`;
/** Before v25, in the order accepted: a draft, the completion (delivered), a draft after it. */
const OLD_ROWS = `INSERT INTO outbox_jobs (id, flow, system, idempotency_key, payload_hash, payload, status, attempts,
  next_attempt_at, created_at, updated_at) VALUES
  ${row('draft-before', `${KEY}|in-progress`, 'in-progress', 'pending', 1_000)},
  ${row('completion', KEY, 'completed', 'done', 2_000)},
  ${row('draft-after', `${KEY}|in-progress:2`, 'in-progress', 'pending', 3_000)}`;

/** PostgreSQL: the accept_seq of jobs `ids`, as v25 left them. */
async function acceptSeqs(databaseUrl: string, ids: string[]): Promise<(number | null)[]> {
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  const { rows } = await c.query('SELECT id, accept_seq FROM outbox_jobs WHERE id = ANY($1::text[])', [ids]);
  await c.end();
  const seqOf = new Map(rows.map((r) => [r.id as string, r.accept_seq === null ? null : Number(r.accept_seq)]));
  return ids.map((id) => seqOf.get(id) ?? null);
}

async function overtaken(store: Store, id: string) {
  const draft = await store.getJob(id);
  return DELIVERIES.overtaken!(draft!, (key) => store.findJobsByKey(key), false, undefined, storeOrder(store));
}

for (const engine of engineCases()) {
  t.test(`a completion delivered before v25 (${engine.name})`, { skip: engine.skip }, async (t) => {
    const { store, databaseUrl } = await storeMigratedFrom(t, engine, 25, OLD_ROWS);
    if (engine.name === 'postgres') {
      const [before, completion, after] = await acceptSeqs(databaseUrl, ['draft-before', 'completion', 'draft-after']);
      t.ok(before && after && completion === null, 'the drafts numbered, the delivered completion not');
    }
    t.match(await overtaken(store, 'draft-before'), { system: 'dhis2', status: 'superseded' }, 'the earlier draft');
    t.equal(await overtaken(store, 'draft-after'), undefined, 'the later draft is left to its connector');
  });
}
