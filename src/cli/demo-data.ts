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
import type { Settings } from '../config/settings.js';

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

/** No store configured: neither DATABASE_URL nor a data directory other than serve's default. */
export function storeUnconfigured(settings: Settings): boolean {
  return !settings['store.databaseUrl'] && !process.env.DATA_DIR && settings['store.dataDir'] === './data';
}

/**
 * `jobs run` and the bridges run by hand are not pointed at the demo's database: they would run
 * with this shell's connectors and registry, not the demo's sandboxes. Nor do they run on ./data
 * instead, where no server keeps anything (refused there as no database, or a run nobody reads):
 * with a demo running here and no store named they run nothing, exit 2, and say how to run the
 * demo's job. `storeNamedBy`: how this command is given a database. True when it refused.
 */
export function refusedBesideDemo(
  settings: Settings,
  name: string,
  cwd?: string,
  storeNamedBy = '--data-dir or --database-url',
  /** A dry run: the demo's job is no stand-in for it (that POST sends for real), so it is not offered as one. */
  dryRun = false,
): boolean {
  const demo = storeUnconfigured(settings) ? runningDemo(cwd) : undefined;
  if (demo)
    process.stderr.write(
      `not run: a demo runs from this directory, and this command runs with this shell's settings, not the demo's; ${
        dryRun
          ? `a dry run needs this shell set up for the systems to preview (a database with ${storeNamedBy}, and their connectors); POST ${demo.url}/admin/jobs/${name}/run is no dry run: it runs the demo's job for real`
          : `run the demo's job with POST ${demo.url}/admin/jobs/${name}/run, or name a database with ${storeNamedBy}`
      }\n`,
    );
  return demo !== undefined;
}
