/**
 * Migration v68 (store/escaped-keys.ts) on a store written before it: business keys joined an
 * identifier's system and value unescaped, new writes key them escaped (domain/business-key.ts).
 * Each job whose identifier holds '|' or '%' is rekeyed from its own payload, with its
 * idempotency_keys row, so the retry of a write accepted before the upgrade finds its job (no
 * second send); a job whose identifier holds neither keeps its key, even one spelled like another's
 * (DL-1's copy for DHIS2 and delivery `DL-1|dhis2` both `delivery|…|DL-1|dhis2`); a key of
 * another form (a bridge's) is left. Both engines.
 */
import t from 'tap';
import { DELIVERIES, ORDERS, STOCK, secondaryKey } from '../../../src/routing/flows.js';
import type { Store } from '../../../src/store/types.js';
import { ESCAPED_KEYS_VERSION } from '../../../src/store/escaped-keys.js';
import { engineCases } from '../../support/outbox-engines.js';
import { storeMigratedFrom } from '../../support/old-database.js';

const APP = 'https://app.example.org/deliveries';
const WARD = 'https://app.example.org/orders|ward-3';

interface OldJob {
  id: string;
  flow: string;
  system: string;
  key: string;
  payload: Record<string, unknown>;
}

const delivery = (value: string, status = 'completed', draft?: number) => ({
  identifier: { system: APP, value },
  status,
  destination: { id: 'fac-1' },
  lines: [],
  ...(draft ? { draft } : {}),
});

const OLD: OldJob[] = [
  {
    id: 'bar',
    flow: 'delivery',
    system: 'openlmis',
    key: `delivery|${APP}|DL-1|dhis2`,
    payload: delivery('DL-1|dhis2'),
  },
  { id: 'dl-1', flow: 'delivery', system: 'openlmis', key: `delivery|${APP}|DL-1`, payload: delivery('DL-1') },
  { id: 'dl-1-copy', flow: 'delivery', system: 'dhis2', key: `delivery|${APP}|DL-1|dhis2`, payload: delivery('DL-1') },
  {
    id: 'draft',
    flow: 'delivery',
    system: 'openlmis',
    key: `delivery|${APP}|DL-2|x|in-progress:3`,
    payload: delivery('DL-2|x', 'in-progress', 3),
  },
  {
    id: 'draft-copy',
    flow: 'delivery',
    system: 'dhis2',
    key: `delivery|${APP}|DL-2|x|in-progress:3|dhis2`,
    payload: delivery('DL-2|x', 'in-progress', 3),
  },
  { id: 'percent', flow: 'delivery', system: 'openlmis', key: `delivery|${APP}|50%7Cz`, payload: delivery('50%7Cz') },
  { id: 'bar-z', flow: 'delivery', system: 'openlmis', key: `delivery|${APP}|50|z`, payload: delivery('50|z') },
  {
    id: 'order',
    flow: 'order',
    system: 'openlmis',
    key: `order|${WARD}|ORD-7|rev:2`,
    payload: { orderNumber: { system: WARD, value: 'ORD-7' }, revision: 2 },
  },
  {
    id: 'stock',
    flow: 'stock',
    system: 'openlmis',
    key: `stock|${APP}|SR|1`,
    payload: { identifier: { system: APP, value: 'SR|1' } },
  },
  {
    id: 'fulfil',
    flow: 'order',
    system: 'msupply',
    key: 'fulfil|rts|A|B',
    payload: { orderNumber: { system: 'rts', value: 'A|B' } },
  },
];

const quoted = (text: string) => `'${text.replace(/'/g, "''")}'`;

const SQL = OLD.map(
  (j) => `
INSERT INTO outbox_jobs (id, flow, system, idempotency_key, payload_hash, payload, status, attempts,
  next_attempt_at, created_at, updated_at)
  VALUES (${quoted(j.id)}, '${j.flow}', '${j.system}', ${quoted(j.key)}, 'h-${j.id}', ${quoted(JSON.stringify(j.payload))}, 'pending', 1, 9000000000000, 1000, 1000);
INSERT INTO idempotency_keys (flow, system, key, payload_hash, job_id, created_at)
  VALUES ('${j.flow}', '${j.system}', ${quoted(j.key)}, 'h-${j.id}', ${quoted(j.id)}, 1000);`,
).join('\n');

/** The key a write of `job`'s payload has now (routing/flows.ts), as a retry after the upgrade computes it. */
function keyNow(job: OldJob): string {
  if (job.id === 'fulfil') return job.key;
  const copy = (key: string) => (job.id.endsWith('-copy') ? secondaryKey(key, job.system) : key);
  if (job.flow === 'order') return ORDERS.key(job.payload as never)!;
  if (job.flow === 'stock') return STOCK.key(job.payload as never)!;
  return copy(DELIVERIES.key(job.payload as never)!);
}

/** The same write recorded again under `key`: the job holding the key, if any. */
async function retried(store: Store, job: OldJob, key: string) {
  return store.recordWrite({
    id: `retry-${job.id}`,
    flow: job.flow,
    system: job.system,
    idempotencyKey: key,
    payloadHash: `h-${job.id}`,
    payload: job.payload,
    status: 'pending',
    attempts: 0,
    nextAttemptAt: 2000,
    createdAt: 2000,
  });
}

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    const { store } = await storeMigratedFrom(t, engine, ESCAPED_KEYS_VERSION, SQL);
    t.ok((await store.migrationVersions()).includes(ESCAPED_KEYS_VERSION), 'v68 applied');
    const rekeyed = ['bar', 'draft', 'draft-copy', 'percent', 'bar-z', 'order', 'stock'];
    for (const job of OLD) {
      const key = keyNow(job);
      t.equal((await store.getJob(job.id))?.idempotencyKey, key, `${job.id}: keyed as its write is now`);
      t.equal(key !== job.key, rekeyed.includes(job.id), `${job.id}: ${rekeyed.includes(job.id) ? 'rekeyed' : 'kept'}`);
      const again = await retried(store, job, key);
      t.match(again, { created: false, job: { id: job.id } }, `${job.id}: its retry after the upgrade finds its job`);
    }
    t.equal(
      (await store.findJobsByKey(`delivery|${APP}|DL-1|dhis2`)).map((j) => j.id).join(),
      'dl-1-copy',
      "the old spelling is DL-1's copy alone",
    );
  });
}
