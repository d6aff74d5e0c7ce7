/**
 * An instance on SQLite never loads the PostgreSQL driver (issue 18: start-up time and memory);
 * checked in a fresh process, where nothing else has loaded it.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';

const root = path.resolve(import.meta.dirname, '../../..');

const probe = (databaseUrl: string) => `
import { createRequire } from 'node:module';
import { openStore } from './src/store/index.ts';
const store = await openStore({ databaseUrl: ${JSON.stringify(databaseUrl)} }).catch(() => undefined);
await store?.close();
const loaded = Object.keys(createRequire(import.meta.url).cache).some((k) => /[\\\\/]node_modules[\\\\/]pg[\\\\/]/.test(k));
process.stdout.write(String(loaded));
`;

async function pgLoaded(databaseUrl: string): Promise<string> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', probe(databaseUrl)],
    { cwd: root },
  );
  return stdout.trim();
}

t.test('SQLite does not load the pg driver; a postgres:// URL does', async (t) => {
  t.equal(await pgLoaded('sqlite::memory:'), 'false');
  // nothing listens on port 1: the store fails to connect, but the driver was loaded to try
  t.equal(await pgLoaded('postgres://nobody@127.0.0.1:1/none'), 'true');
});
