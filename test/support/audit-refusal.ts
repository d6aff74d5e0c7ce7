import pg from 'pg';
import { resolveStoreTarget } from '../../src/store/index.js';
import { acquireConnection, releaseConnection } from '../../src/store/sqlite-connection.js';

/**
 * Makes the database itself refuse audit rows of one action (a trigger), as a full disk or a
 * failing constraint would: what else the refused statement's transaction wrote must go with
 * it. Returns how to lift the refusal. Call it once the store on `databaseUrl` is open: on
 * SQLite the trigger goes through that store's own connection (a second one in this process
 * would block the event loop waiting for the group commit's lock).
 */
export async function refuseAudits(databaseUrl: string, action: string): Promise<() => Promise<void>> {
  const target = resolveStoreTarget({ databaseUrl });
  if (target.engine === 'sqlite') {
    const conn = acquireConnection(target.file);
    try {
      conn.db.exec(
        `CREATE TRIGGER refuse_audit BEFORE INSERT ON audit WHEN NEW.action = '${action}'
         BEGIN SELECT RAISE(ABORT, 'audit refused by the test'); END`,
      );
    } finally {
      releaseConnection(conn);
    }
    return async () => {
      const again = acquireConnection(target.file);
      try {
        again.db.exec('DROP TRIGGER refuse_audit');
      } finally {
        releaseConnection(again);
      }
    };
  }
  await onPostgres(
    databaseUrl,
    `CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION 'audit refused by the test'; END $$;
     CREATE TRIGGER refuse_audit BEFORE INSERT ON audit FOR EACH ROW
       WHEN (NEW.action = '${action}') EXECUTE FUNCTION refuse_audit()`,
  );
  return () => onPostgres(databaseUrl, 'DROP TRIGGER refuse_audit ON audit; DROP FUNCTION refuse_audit()');
}

async function onPostgres(databaseUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
