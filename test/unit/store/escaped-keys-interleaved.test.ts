/**
 * Migration v68 (store/escaped-keys.ts) while an instance of an older release is still writing:
 * PostgreSQL runs each of v68's statements on a snapshot of its own (READ COMMITTED), so such an
 * instance commits a write (its job and its idempotency_keys row together, keyed unescaped)
 * between any two of them. Modelled here by running the statements one by one and committing one
 * such write before each, on both engines: the retry of every one of them after the upgrade (keyed
 * as routing's keyHeld keys it: its escaped key, or its former key where a job of that very write
 * stands) finds its job and records nothing new. With the rows parked before the jobs were rekeyed,
 * the write committed between the two had its job rekeyed and its row left unescaped: its retry
 * found no row under either key, and the write was recorded (and sent) a second time.
 */
import t from 'tap';
import Database from 'better-sqlite3';
import pg from 'pg';
import { DELIVERIES, ORDERS, STOCK, heldAsWriteOf, keysOfWrite, type FlowSpec } from '../../../src/routing/flows.js';
import { ESCAPED_KEYS_VERSION, escapedKeysSteps } from '../../../src/store/escaped-keys.js';
import { openStore, type Store } from '../../../src/store/index.js';
import { engineCases, type EngineCase } from '../../support/outbox-engines.js';
import { databaseBefore } from '../../support/old-database.js';

const APP = 'https://app.example.org/deliveries';

interface OldWrite {
  id: string;
  flow: string;
  spec: Pick<FlowSpec<unknown>, 'key' | 'formerKey'>;
  payload: Record<string, unknown>;
}

/** The writes an older instance commits before statement `n`, one of each flow: keyed unescaped, as it keys them. */
function oldWrites(n: number): OldWrite[] {
  const value = `W-${n}|x`;
  return [
    {
      id: `d${n}`,
      flow: 'delivery',
      spec: DELIVERIES as never,
      payload: { identifier: { system: APP, value }, status: 'in-progress', destination: { id: 'fac-1' }, lines: [] },
    },
    {
      id: `o${n}`,
      flow: 'order',
      spec: ORDERS as never,
      payload: { orderNumber: { system: APP, value }, revision: 2 },
    },
    { id: `s${n}`, flow: 'stock', spec: STOCK as never, payload: { identifier: { system: APP, value } } },
  ];
}

const quoted = (text: string) => `'${text.replace(/'/g, "''")}'`;

function insertSql(w: OldWrite): string {
  const key = w.spec.formerKey!(w.payload)!;
  return `INSERT INTO outbox_jobs (id, flow, system, idempotency_key, payload_hash, payload, status, attempts,
  next_attempt_at, created_at, updated_at)
  VALUES ('${w.id}', '${w.flow}', 'openlmis', ${quoted(key)}, 'h-${w.id}', ${quoted(JSON.stringify(w.payload))}, 'pending', 1, 9000000000000, 1000, 1000);
INSERT INTO idempotency_keys (flow, system, key, payload_hash, job_id, created_at)
  VALUES ('${w.flow}', 'openlmis', ${quoted(key)}, 'h-${w.id}', '${w.id}', 1000);`;
}

interface Connection {
  /** Runs `sql` as a statement of its own (committed before the next). */
  run(sql: string): Promise<void>;
  rows(sql: string): Promise<Record<string, unknown>[]>;
  end(): Promise<void>;
}

/** A connection of its own to the database, outside any store. */
async function connect(engine: EngineCase, databaseUrl: string): Promise<Connection> {
  if (engine.name === 'sqlite') {
    const db = new Database(databaseUrl.slice('sqlite:'.length));
    return {
      run: async (sql) => void db.exec(sql),
      rows: async (sql) => db.prepare(sql).all() as Record<string, unknown>[],
      end: async () => void db.close(),
    };
  }
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  return {
    run: async (sql) => void (await c.query(sql)),
    rows: async (sql) => (await c.query(sql)).rows as Record<string, unknown>[],
    end: () => c.end(),
  };
}

/** The key a retry after the upgrade is recorded under (routing/routed-flow.ts keyHeld). */
async function keyHeld(store: Store, w: OldWrite): Promise<string> {
  const [key, former] = keysOfWrite(w.spec, w.payload);
  if (!former) return key!;
  const held = await store.findJobsByKey(former);
  return held.some((j) => j.flow === w.flow && heldAsWriteOf(w.spec, j, w.payload)) ? former : key!;
}

for (const engine of engineCases()) {
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    const db = await engine.freshDatabase();
    t.teardown(db.drop);
    await databaseBefore(engine, db.databaseUrl, ESCAPED_KEYS_VERSION, '');
    const steps = escapedKeysSteps(engine.name);
    const writes: OldWrite[] = [];
    const c = await connect(engine, db.databaseUrl);
    for (const [n, step] of [...steps, ''].entries()) {
      for (const w of oldWrites(n)) {
        writes.push(w);
        await c.run(insertSql(w));
      }
      if (step) await c.run(step);
    }
    await c.run(
      `INSERT INTO schema_migrations (version, name, applied_at) VALUES (${ESCAPED_KEYS_VERSION}, 'v68 run above', 0)`,
    );
    await c.end();
    const store = await openStore({ databaseUrl: db.databaseUrl });
    t.teardown(() => store.close());
    for (const w of writes) {
      const again = await store.recordWrite({
        id: `retry-${w.id}`,
        flow: w.flow,
        system: 'openlmis',
        idempotencyKey: await keyHeld(store, w),
        payloadHash: `h-${w.id}`,
        payload: w.payload,
        status: 'pending',
        attempts: 0,
        nextAttemptAt: 2000,
        createdAt: 2000,
      });
      t.match(again, { created: false, job: { id: w.id } }, `${w.id} (${w.flow}): its retry finds its job`);
    }
  });
}

/**
 * A payload that names no identifier (SQLite: text that is no JSON, an operator's hand edit;
 * JSON that is no object, or an identifier that is none) is left as it is, and v68 runs: on
 * SQLite, json_extract failed the migration, and so every start, on one such row.
 */
const ODD: { id: string; payload: string; sqliteOnly?: boolean }[] = [
  { id: 'no-json', payload: 'not json {', sqliteOnly: true },
  { id: 'scalar', payload: '"a|b"' },
  { id: 'array', payload: '[1, 2]' },
  { id: 'identifier-text', payload: '{"identifier": "a|b"}' },
];

for (const engine of engineCases()) {
  t.test(`${engine.name}: payloads naming no identifier`, { skip: engine.skip }, async (t) => {
    const rows = ODD.filter((r) => engine.name === 'sqlite' || !r.sqliteOnly);
    const key = `delivery|${APP}|a|b`;
    const sql = rows
      .map(
        (r) => `INSERT INTO outbox_jobs (id, flow, system, idempotency_key, payload_hash, payload, status, attempts,
  next_attempt_at, created_at, updated_at)
  VALUES ('${r.id}', 'delivery', '${r.id}', ${quoted(key)}, 'h', ${quoted(r.payload)}, 'pending', 1, 9000000000000, 1000, 1000);
INSERT INTO idempotency_keys (flow, system, key, payload_hash, job_id, created_at)
  VALUES ('delivery', '${r.id}', ${quoted(key)}, 'h', '${r.id}', 1000);`,
      )
      .join('\n');
    const db = await engine.freshDatabase();
    t.teardown(db.drop);
    await databaseBefore(engine, db.databaseUrl, ESCAPED_KEYS_VERSION, sql);
    const store = await openStore({ databaseUrl: db.databaseUrl });
    t.ok((await store.migrationVersions()).includes(ESCAPED_KEYS_VERSION), 'v68 applied');
    await store.close();
    const c = await connect(engine, db.databaseUrl);
    t.teardown(() => c.end());
    const ids = rows.map((r) => r.id).sort();
    const jobs = await c.rows(`SELECT id FROM outbox_jobs WHERE idempotency_key = ${quoted(key)} ORDER BY id`);
    t.same(
      jobs.map((r) => r.id),
      ids,
      'each job left under its key',
    );
    const keys = await c.rows(`SELECT job_id FROM idempotency_keys WHERE key = ${quoted(key)} ORDER BY job_id`);
    t.same(
      keys.map((r) => r.job_id),
      ids,
      'and its row',
    );
  });
}
