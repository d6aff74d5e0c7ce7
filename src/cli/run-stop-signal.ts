import os from 'node:os';
import type { Scheduler } from '../jobs/index.js';
import { STOP_LIMIT_MS } from './stop-limit.js';

export interface RunStopOnSignal {
  /** The signal that stopped the run, once one came. */
  readonly signal: string | undefined;
  /** The command's exit code once a signal came: a shell's for a command that signal ended. */
  readonly exitCode: number | undefined;
  /**
   * The code to exit with once the run answered `runCode`, undefined when no signal came (the
   * command ends as usual). Only a failed run (1) is the signal's doing: a run that ended ok, or
   * did not run (2), before the stop reached it says so, or a wrapper retrying on 130/143 would run
   * again a manual run that had done it all.
   */
  exitAfter(runCode: number): number | undefined;
  /** Removes the handlers: the command ended without a signal. */
  dispose(): void;
}

/**
 * `jobs run`'s SIGINT (Ctrl-C) and SIGTERM, handled as serve's: the run is asked to stop before its
 * next write and, still going after the scheduler's grace (held in an upstream call), cut; either
 * way it is recorded failed, `interrupted: … (SIGINT) …`, with its counts so far, and the command
 * exits 128 + the signal's number (130, 143), as a shell reports a command the signal ended, so a
 * script tells a stopped run from a failed one (1). A server exits 0 on these (serve.ts): stopping
 * is how it ends, where a run stopped is a run not done. Without this the process died on the signal and its run stayed "running" until a
 * server's start or the job's next run called it abandoned. A second signal is ignored (Ctrl-C
 * reaches npm, tsx and node: it comes twice). A stop not over within STOP_LIMIT_MS (the database
 * silent) exits 1 without it: the job's lock goes with the process.
 */
export function stopRunOnSignal(scheduler: Scheduler, err: NodeJS.WritableStream = process.stderr): RunStopOnSignal {
  let signal: string | undefined;
  const onSignal = (s: NodeJS.Signals) => {
    if (signal) return;
    signal = s;
    err.write(`${s}: stopping the run; it is recorded as interrupted\n`);
    setTimeout(() => {
      err.write(`the stop was not done within ${STOP_LIMIT_MS} ms: exiting without it\n`);
      process.exit(1);
    }, STOP_LIMIT_MS).unref();
    void scheduler.stop(s);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    get signal() {
      return signal;
    },
    get exitCode() {
      return signal ? signalExitCode(signal) : undefined;
    },
    exitAfter(runCode: number) {
      if (!signal) return undefined;
      return runCode === 1 ? signalExitCode(signal) : runCode;
    },
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

/** A shell's exit status for a command a signal ended: 128 + its number (SIGINT 130, SIGTERM 143). */
export function signalExitCode(signal: string): number {
  return 128 + (os.constants.signals[signal as NodeJS.Signals] ?? 0);
}
