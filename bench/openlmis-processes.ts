/**
 * The processes of the OpenLMIS benchmarks (issue 18: measured as an outside engineer would): the
 * sandbox (bench/openlmis-sandbox.ts) and the mediator in its production configuration
 * (`cli serve`: pino at info, SQLite outbox), each in its own process, plus the CPU time /proc
 * says a process spent.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { openLmisEnv } from '../test/support/openlmis-e2e.js';

export const BENCH_PASSWORD = 'bench-secret-Lm1';
const PASSWORD = BENCH_PASSWORD;
const root = path.resolve(import.meta.dirname, '..');

export async function json(res: Response): Promise<any> {
  const text = await res.text();
  if (!res.ok) throw new Error(`${res.url}: ${res.status} ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : undefined;
}

/** utime + stime in ms of a /proc stat file (clock ticks are 100 per second there). */
function statCpuMs(file: string): number {
  const fields = readFileSync(file, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** utime + stime of a process (every thread) in ms (Linux /proc). */
export function cpuMs(pid: number | undefined): number {
  return pid ? statCpuMs(`/proc/${pid}/stat`) : 0;
}

/**
 * The CPU of a process's main thread alone (its JavaScript, the event loop, SQLite's statements),
 * in ms. The rest of cpuMs is V8's and libuv's helper threads: TurboFan compiling in the
 * background (17-26 % of the mediator's CPU in this benchmark, still compiling functions for the
 * first time after 1,500 orders: issue 18, session 13), GC helpers and the store's fsyncs.
 */
export function mainThreadCpuMs(pid: number | undefined): number {
  return pid ? statCpuMs(`/proc/${pid}/task/${pid}/stat`) : 0;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

// BENCH_DIST names another build directory (e.g. one of your own, so a shared dist/ is left alone)
const COMPILED_CLI = `${process.env.BENCH_DIST ?? 'dist'}/src/cli/index.js`;

/**
 * BENCH_PROFILE_DIR=dir: the mediator writes a V8 CPU profile there when it stops (the whole run,
 * start-up included); read its self and inclusive times with any .cpuprofile viewer.
 */
function profileArgs(dir = process.env.BENCH_PROFILE_DIR): string[] {
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-interval', '200'] : [];
}

/**
 * BENCH_NODE_FLAGS / BENCH_BASE_NODE_FLAGS (space-separated): V8 or Node flags for the mediator
 * and for the BENCH_BASE_DIST side, to measure a runtime setting side by side (e.g. the young
 * generation's size) with the same build on both sides.
 */
function nodeFlags(dist: string | undefined): string[] {
  const flags = dist === undefined ? process.env.BENCH_NODE_FLAGS : process.env.BENCH_BASE_NODE_FLAGS;
  return flags ? flags.split(/\s+/).filter(Boolean) : [];
}

function node(script: string, args: string[], env: NodeJS.ProcessEnv = {}, flags: string[] = []): ChildProcess {
  return spawn(process.execPath, [...flags, script, ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

function tsx(script: string, args: string[], env: NodeJS.ProcessEnv = {}, flags: string[] = []): ChildProcess {
  return spawn(process.execPath, [...flags, '--import', 'tsx', script, ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

export async function startSandbox(healthPosts: number): Promise<{ url: string; proc: ChildProcess }> {
  // BENCH_SANDBOX_PROFILE_DIR=dir: the sandbox's own CPU profile (its CPU shares the machine's cores)
  const proc = tsx(
    'bench/openlmis-sandbox.ts',
    [String(healthPosts)],
    {},
    profileArgs(process.env.BENCH_SANDBOX_PROFILE_DIR),
  );
  const first = await new Promise<string>((resolve, reject) => {
    createInterface({ input: proc.stdout! }).once('line', resolve);
    proc.once('exit', (code) => reject(new Error(`sandbox exited (${code})`)));
  });
  return { url: (JSON.parse(first) as { url: string }).url, proc };
}

export async function startMediatorProcess(
  sandboxUrl: string,
  dir: string,
  /** Another build directory than BENCH_DIST's (a baseline run side by side); compiled only. */
  dist?: string,
): Promise<{ url: string; proc: ChildProcess }> {
  const port = await freePort();
  const cli = dist ? `${dist}/src/cli/index.js` : COMPILED_CLI;
  if (dist && !existsSync(path.resolve(root, cli))) throw new Error(`no build at ${dist} (${cli})`);
  // BENCH_COMPILED=1 runs the build (`npm run build` first), as `npm start` does in production
  const compiled = dist !== undefined || (process.env.BENCH_COMPILED === '1' && existsSync(path.resolve(root, cli)));
  const proc = (compiled ? node : tsx)(
    compiled ? cli : 'src/cli/index.ts',
    ['serve'],
    {
      HOST: '127.0.0.1',
      PORT: String(port),
      DATA_DIR: dir,
      LOG_LEVEL: 'info',
      AUTH_PASSWORD: PASSWORD,
      DATABASE_URL: '',
      ...openLmisEnv(sandboxUrl),
      OUTBOX_DEADLINE_MS: '30000',
    },
    [...profileArgs(), ...nodeFlags(dist)],
  );
  // the mediator's info logs go where a deployment's would: written, then not read here
  // BENCH_MEDIATOR_STDOUT=file keeps them (with what V8 flags such as --trace-deopt print)
  if (process.env.BENCH_MEDIATOR_STDOUT && dist === undefined)
    proc.stdout!.pipe(createWriteStream(process.env.BENCH_MEDIATOR_STDOUT));
  else proc.stdout!.resume();
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    if (proc.exitCode !== null) throw new Error(`mediator exited (${proc.exitCode})`);
    if (
      await fetch(`${url}/health`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return { url, proc };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('mediator did not answer /health within 30 s');
}

/** SIGTERM, then wait for the exit (a CPU profile is written as the process ends), at most 10 s. */
export async function stopProcess(proc: ChildProcess | undefined): Promise<void> {
  if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  proc.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
}
