import { createHash, randomUUID } from 'node:crypto';
import pg from 'pg';
import { openStore } from '../../src/store/index.js';
import { POSTGRES_MIGRATIONS } from '../../src/store/migrations.js';

/**
 * A PostgreSQL database the store has migrated, made once per server and migration set and copied
 * (`CREATE DATABASE … TEMPLATE`) for each test that opens a store on a fresh database: migrating
 * an empty database through every step took ~0.5 s of every such test (a copy ~0.1 s). Named by a
 * hash of the migrations, so a changed or added migration makes a new one and a stale copy is never
 * handed out. The migrations themselves still run: once here per run, in full, and from empty or
 * old schemas in the store's migration tests (freshDatabase() stays empty).
 */
const templateName = `outbox_tpl_${createHash('sha256')
  .update(JSON.stringify(POSTGRES_MIGRATIONS, (_k, v: unknown) => (typeof v === 'function' ? String(v) : v)))
  .digest('hex')
  .slice(0, 16)}`;

/** Advisory lock (in the server's base database) held while one test process builds the template. */
const BUILD_LOCK = 'outbox-engines migrated template';

const built = new Map<string, Promise<string>>();

/** The migrated template's name on the server at `baseUrl`, built by the first process to ask. */
export function migratedTemplate(baseUrl: string): Promise<string> {
  let name = built.get(baseUrl);
  if (!name) {
    name = buildOnce(baseUrl);
    built.set(baseUrl, name);
    // a failed build is tried again by the next test, not remembered
    name.catch(() => built.delete(baseUrl));
  }
  return name;
}

export function databaseUrlOf(baseUrl: string, database: string): string {
  const url = new URL(baseUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

async function buildOnce(baseUrl: string): Promise<string> {
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  try {
    // parallel test files ask at once: one builds, the others wait here and then find it
    await admin.query('SELECT pg_advisory_lock(hashtext($1))', [BUILD_LOCK]);
    const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [templateName]);
    if (found.rowCount === 0) {
      // built under another name and renamed when complete: a process dying midway leaves no half template
      const building = `${templateName}_b_${randomUUID().replace(/-/g, '').slice(0, 8)}`;
      await admin.query(`CREATE DATABASE ${building}`);
      const store = await openStore({ databaseUrl: databaseUrlOf(baseUrl, building) });
      await store.close();
      await admin.query(`ALTER DATABASE ${building} RENAME TO ${templateName}`);
    }
    return templateName;
  } finally {
    await admin.end();
  }
}
