/**
 * The demo's database bookkeeping (src/cli/demo-data.ts): which database the operator CLI picks
 * beside a demo, and what a fresh start deletes.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import {
  clearDemoDatabase,
  removeDemoMarker,
  runningDemoDataDir,
  writeDemoMarker,
} from '../../../src/cli/demo-data.js';

t.test('the marker names a running demo only', async (t) => {
  const cwd = mkdtempSync(path.join(tmpdir(), 'demo-data-'));
  t.teardown(() => rmSync(cwd, { recursive: true, force: true }));
  t.equal(runningDemoDataDir(cwd), undefined, 'no marker: no demo');
  writeDemoMarker(
    { pid: process.pid, dataDir: '/x/data/demo', url: 'http://127.0.0.1:1', startedAt: new Date().toISOString() },
    cwd,
  );
  t.equal(runningDemoDataDir(cwd), '/x/data/demo', 'a live demo process: its database');
  removeDemoMarker(cwd, process.pid + 1);
  t.equal(
    runningDemoDataDir(cwd),
    '/x/data/demo',
    "another process's exit leaves the marker of the demo that wrote it",
  );

  // a demo killed with SIGKILL leaves its marker behind: its pid is no longer alive
  const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
  writeDemoMarker(
    { pid: Number(gone), dataDir: '/x/data/demo', url: 'http://127.0.0.1:1', startedAt: new Date().toISOString() },
    cwd,
  );
  t.equal(runningDemoDataDir(cwd), undefined, 'a dead demo: the CLI falls back to ./data');

  writeFileSync(path.join(cwd, 'data', 'demo-running.json'), '{not json');
  t.equal(runningDemoDataDir(cwd), undefined, 'an unreadable marker is no demo');
  writeDemoMarker({ pid: process.pid, dataDir: '/y', url: 'u', startedAt: 's' }, cwd);
  removeDemoMarker(cwd, process.pid);
  t.notOk(existsSync(path.join(cwd, 'data', 'demo-running.json')), 'the demo removes its own marker');
});

t.test('a fresh start deletes the SQLite files only', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'demo-db-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  t.equal(clearDemoDatabase(path.join(dir, 'missing')), false, 'nothing to delete');
  for (const f of ['mediator.db', 'mediator.db-wal', 'mediator.db-shm', 'notes.txt'])
    writeFileSync(path.join(dir, f), 'x');
  mkdirSync(path.join(dir, 'exports'));
  t.equal(clearDemoDatabase(dir), true);
  t.same(
    ['mediator.db', 'mediator.db-wal', 'mediator.db-shm', 'notes.txt', 'exports'].filter((f) =>
      existsSync(path.join(dir, f)),
    ),
    ['notes.txt', 'exports'],
  );
});
