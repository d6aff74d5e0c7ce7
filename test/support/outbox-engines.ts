import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { openStore, type Store } from '../../src/store/index.js';
import { databaseUrlOf, migratedTemplate } from './pg-migrated-template.js';

/**
 * The two store engines the outbox/store suites run against. SQLite always runs (a file in a
 * temp dir, so a "crashed" store can be reopened); PostgreSQL runs when TEST_DATABASE_URL is
 * set (scripts/pg-test-server.sh starts one), each test in its own fresh database.
 */
export interface EngineCase {
  name: 'sqlite' | 'postgres';
  skip?: string;
  /**
   * A fresh database for one test, and how to remove it: empty, or with `migrated` (PostgreSQL) a
   * copy of one the store has migrated (pg-migrated-template.ts), for a test that opens a store on
   * it at once. SQLite's is always an empty file (migrating one takes ~20 ms).
   */
  freshDatabase(options?: { migrated?: boolean }): Promise<{ databaseUrl: string; drop(): Promise<void> }>;
}

function sqliteCase(): EngineCase {
  return {
    name: 'sqlite',
    async freshDatabase() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'outbox-test-'));
      return {
        databaseUrl: `sqlite:${path.join(dir, 'mediator.db')}`,
        drop: async () => fs.rmSync(dir, { recursive: true, force: true }),
      };
    },
  };
}

function postgresCase(baseUrl: string | undefined): EngineCase {
  return {
    name: 'postgres',
    skip: baseUrl
      ? undefined
      : 'PostgreSQL tier skipped: TEST_DATABASE_URL is not set (start one with scripts/pg-test-server.sh)',
    async freshDatabase({ migrated = false } = {}) {
      const name = `outbox_t_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
      const template = migrated ? await migratedTemplate(baseUrl!) : undefined;
      const admin = new pg.Client({ connectionString: baseUrl });
      await admin.connect();
      try {
        await admin.query(`CREATE DATABASE ${name}${template ? ` TEMPLATE ${template}` : ''}`);
      } finally {
        await admin.end();
      }
      return {
        databaseUrl: databaseUrlOf(baseUrl!, name),
        async drop() {
          const c = new pg.Client({ connectionString: baseUrl });
          await c.connect();
          try {
            await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
          } finally {
            await c.end();
          }
        },
      };
    },
  };
}

export function engineCases(): EngineCase[] {
  return [sqliteCase(), postgresCase(process.env.TEST_DATABASE_URL)];
}

/** A store on a fresh database of this engine for one test, closed and dropped at its end. */
export async function freshStore(
  engine: EngineCase,
  t: { teardown(fn: () => unknown): void },
): Promise<{ store: Store; databaseUrl: string }> {
  const db = await engine.freshDatabase({ migrated: true });
  t.teardown(db.drop);
  const store = await openStore({ databaseUrl: db.databaseUrl });
  t.teardown(() => store.close());
  return { store, databaseUrl: db.databaseUrl };
}

/**
 * Two stores on one fresh database of this engine, as two mediator instances share it; closed and
 * the database dropped at the test's end.
 */
export async function twoStoresOn(
  engine: EngineCase,
  t: { teardown(fn: () => unknown): void },
): Promise<{ a: Store; b: Store; databaseUrl: string }> {
  const db = await engine.freshDatabase({ migrated: true });
  t.teardown(db.drop);
  const a = await openStore({ databaseUrl: db.databaseUrl });
  const b = await openStore({ databaseUrl: db.databaseUrl });
  t.teardown(async () => {
    await a.close();
    await b.close();
  });
  return { a, b, databaseUrl: db.databaseUrl };
}
