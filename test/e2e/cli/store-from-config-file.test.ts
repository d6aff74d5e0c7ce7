/**
 * The operator commands find the store where `serve` finds it: a deployment configured by its
 * CONFIG_FILE (`store.databaseUrl`, or `store.dataDir`) and no DATABASE_URL or DATA_DIR in the
 * shell. Before, `outbox list` and `propagation` looked in ./data (refused there: no mediator
 * database) and `reconcile --store` made a new database in ./data, which the server never reads,
 * while `jobs` read the file. The real CLI, run from a directory with no ./data, both engines.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import t, { type Test } from 'tap';
import { openStore } from '../../../src/store/index.js';
import { engineCases } from '../../support/outbox-engines.js';

const run = promisify(execFile);
const cliPath = path.resolve(import.meta.dirname, '../../../src/cli/index.ts');
const tsx = path.resolve(import.meta.dirname, '../../../node_modules/.bin/tsx');

async function cli(cwd: string, configFile: string, ...args: string[]) {
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', CONFIG_FILE: configFile };
  try {
    const { stdout, stderr } = await run(tsx, [cliPath, ...args], { cwd, env, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** A queued order, as a server's outbox holds it. */
const queuedOrder = {
  id: 'job-from-config',
  flow: 'order',
  system: 'openlmis',
  idempotencyKey: 'order|https://app.example.org/orders|CFG-1',
  payloadHash: 'h-cfg-1',
  payload: { order: 'CFG-1' },
  status: 'pending' as const,
  attempts: 0,
  nextAttemptAt: Date.now() + 3_600_000,
  createdAt: Date.now(),
};

function listsFrom(dir: string): { left: string; right: string } {
  const left = path.join(dir, 'system.csv');
  const right = path.join(dir, 'registry.csv');
  writeFileSync(left, 'id,name,district\nA1,Mberewa Health Centre,Mberewa\n');
  writeFileSync(right, 'id,name,district\nLK-HC-101,Mberewa Health Centre,Mberewa\n');
  return { left, right };
}

async function checkCommands(
  t: Test,
  cwd: string,
  configFile: string,
  readCrosswalk: () => Promise<number>,
): Promise<void> {
  const listed = await cli(cwd, configFile, 'outbox', 'list', '--json');
  t.equal(listed.code, 0, `outbox list: ${listed.stderr}`);
  t.same(
    (JSON.parse(listed.stdout || '[]') as { id: string }[]).map((j) => j.id),
    ['job-from-config'],
    "outbox list shows the server's queue",
  );
  const propagation = await cli(cwd, configFile, 'propagation', '--json');
  t.equal(propagation.code, 0, `propagation: ${propagation.stderr}`);

  const { left, right } = listsFrom(cwd);
  const out = path.join(cwd, 'out');
  const reconciled = await cli(
    cwd,
    configFile,
    'reconcile',
    '--left',
    left,
    '--right',
    right,
    '--out',
    out,
    '--store',
    '--system',
    'openlmis',
  );
  t.equal(reconciled.code, 0, `reconcile --store: ${reconciled.stderr}`);
  t.equal(await readCrosswalk(), 1, "the crosswalk row is in the server's database");
  t.notOk(existsSync(path.join(cwd, 'data')), 'nothing was made in ./data');
}

for (const engine of engineCases())
  t.test(`${engine.name}: CONFIG_FILE's store.databaseUrl`, { skip: engine.skip }, async (t) => {
    const db = await engine.freshDatabase();
    t.teardown(db.drop);
    const store = await openStore({ databaseUrl: db.databaseUrl });
    await store.recordWrite(queuedOrder);
    await store.close();
    const cwd = mkdtempSync(path.join(tmpdir(), 'store-config-'));
    t.teardown(() => rmSync(cwd, { recursive: true, force: true }));
    const configFile = path.join(cwd, 'mediator.json');
    writeFileSync(configFile, JSON.stringify({ store: { databaseUrl: db.databaseUrl } }));
    await checkCommands(t, cwd, configFile, async () => {
      const s = await openStore({ databaseUrl: db.databaseUrl });
      try {
        return (await s.listCrosswalk('openlmis')).length;
      } finally {
        await s.close();
      }
    });
  });

t.test("CONFIG_FILE's store.dataDir", async (t) => {
  const cwd = mkdtempSync(path.join(tmpdir(), 'store-config-dir-'));
  const dataDir = mkdtempSync(path.join(tmpdir(), 'store-config-data-'));
  t.teardown(() => {
    rmSync(cwd, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  });
  const store = await openStore({ dataDir });
  await store.recordWrite(queuedOrder);
  await store.close();
  const configFile = path.join(cwd, 'mediator.json');
  writeFileSync(configFile, JSON.stringify({ store: { dataDir } }));
  await checkCommands(t, cwd, configFile, async () => {
    const s = await openStore({ dataDir });
    try {
      return (await s.listCrosswalk('openlmis')).length;
    } finally {
      await s.close();
    }
  });
});
