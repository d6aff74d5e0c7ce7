/**
 * Where the demo keeps its database, and how the operator CLI finds it.
 *
 * The demo's sandboxes live in memory and start from their seed on every run, so a database kept
 * from an earlier run answers with jobs and links to requisitions the new sandboxes never had:
 * the demo starts from an empty database unless asked to keep it (--keep-data). While it runs it
 * records where that database is in ./data/demo-running.json, so `npm run cli -- outbox list`
 * started in the same directory reads the demo's jobs instead of the empty ./data default.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const DEMO_DATA_DIR = './data/demo';
const MARKER = path.join('data', 'demo-running.json');
const SQLITE_FILES = ['mediator.db', 'mediator.db-wal', 'mediator.db-shm'];

export interface DemoMarker {
  pid: number;
  dataDir: string;
  url: string;
  startedAt: string;
}

/** Deletes the demo's SQLite database (and its WAL files); nothing else in the directory. */
export function clearDemoDatabase(dataDir: string): boolean {
  let removed = false;
  for (const name of SQLITE_FILES) {
    const file = path.join(dataDir, name);
    if (existsSync(file)) {
      rmSync(file);
      removed = true;
    }
  }
  return removed;
}

export function writeDemoMarker(marker: DemoMarker, cwd = process.cwd()): void {
  mkdirSync(path.join(cwd, 'data'), { recursive: true });
  writeFileSync(path.join(cwd, MARKER), JSON.stringify(marker, null, 2) + '\n');
}

/** Removes the marker only if it is this process's (a second demo may have taken over). */
export function removeDemoMarker(cwd = process.cwd(), pid = process.pid): void {
  const marker = readDemoMarker(cwd);
  if (marker?.pid === pid) rmSync(path.join(cwd, MARKER), { force: true });
}

function readDemoMarker(cwd: string): DemoMarker | undefined {
  try {
    return JSON.parse(readFileSync(path.join(cwd, MARKER), 'utf8')) as DemoMarker;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The demo running from `cwd`, or undefined (none, or its process is gone). */
export function runningDemo(cwd = process.cwd()): DemoMarker | undefined {
  const marker = readDemoMarker(cwd);
  return marker && Number.isInteger(marker.pid) && isAlive(marker.pid) ? marker : undefined;
}

/** The data directory of a demo running from `cwd`, or undefined (none, or its process is gone). */
export function runningDemoDataDir(cwd = process.cwd()): string | undefined {
  return runningDemo(cwd)?.dataDir;
}

/**
 * The database an operator command reads when none is configured: the running demo's, said on
 * stderr so the operator knows which database is shown. Undefined: no demo runs from here.
 */
export function demoDataDirNoted(cwd = process.cwd()): string | undefined {
  const demo = runningDemoDataDir(cwd);
  if (demo) process.stderr.write(`(the running demo's database: ${demo}; pass --data-dir or DATA_DIR for another)\n`);
  return demo;
}
