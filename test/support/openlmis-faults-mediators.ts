/**
 * Real mediator processes for the OpenLMIS fault-and-crash test: `node --import tsx
 * src/cli/index.ts serve`, so a SIGKILL hits the mediator itself (the tsx CLI would run it in a
 * child and only the wrapper would die). Each keeps its port across restarts and appends its
 * log (LOG_LEVEL warn) to a file, for looking into a failed run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');

export { freePort } from './net.js';
import { killHard } from './net.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class MediatorProcess {
  private child?: ChildProcess;
  /** Set while the process is up and answered /health; cleared the moment it is killed. */
  url?: string;

  constructor(
    readonly name: string,
    private readonly env: Record<string, string>,
    private readonly port: number,
    private readonly logFile: string,
  ) {}

  async start(readyWithinMs = 60_000): Promise<void> {
    const log = openSync(this.logFile, 'a');
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'src/cli/index.ts'), 'serve'], {
      cwd: root,
      env: { ...process.env, ...this.env, HOST: '127.0.0.1', PORT: String(this.port) },
      stdio: ['ignore', log, log],
    });
    closeSync(log);
    this.child = child;
    const base = `http://127.0.0.1:${this.port}`;
    const end = Date.now() + readyWithinMs;
    while (Date.now() < end) {
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(
          `mediator ${this.name} exited (${child.exitCode ?? child.signalCode}) before it was ready; see ${this.logFile}`,
        );
      const up = await fetch(`${base}/health`, { signal: AbortSignal.timeout(1_000) }).then(
        (r) => r.ok,
        () => false,
      );
      if (up) {
        this.url = base;
        return;
      }
      await sleep(100);
    }
    throw new Error(`mediator ${this.name} not ready within ${readyWithinMs} ms; see ${this.logFile}`);
  }

  /** SIGKILL: no shutdown hook runs, in-flight requests and attempts die with the process. */
  async kill(): Promise<void> {
    this.url = undefined;
    await killHard(this.child);
  }

  /**
   * A graceful stop (SIGTERM, SIGINT: what an orchestrator or Ctrl-C sends), waiting up to
   * `withinMs` for the process to exit; its exit code, or 'still running' then (left running).
   */
  async stop(signal: NodeJS.Signals, withinMs = 60_000): Promise<number | string | 'still running'> {
    const child = this.child;
    this.url = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return child?.exitCode ?? 'not running';
    const exited = new Promise<number | string>((r) => child.once('exit', (code, sig) => r(code ?? String(sig))));
    child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'still running'>((r) => (timer = setTimeout(() => r('still running'), withinMs)));
    const ended = await Promise.race([exited, late]);
    clearTimeout(timer);
    return ended;
  }

  /** Still answering after its kill would mean the signal hit a wrapper, not the mediator. */
  async answersAt(base: string): Promise<boolean> {
    return fetch(`${base}/health`, { signal: AbortSignal.timeout(1_000) }).then(
      () => true,
      () => false,
    );
  }
}
