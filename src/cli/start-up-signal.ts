import { STOP_LIMIT_MS } from './stop-limit.js';

/**
 * How soon after the first a second signal is another's (an operator's second Ctrl-C), not the
 * same one come twice: Ctrl-C reaches npm, tsx and node, each passing it on within milliseconds.
 */
export const REPEAT_AFTER_MS = 1_000;

/** A SIGINT/SIGTERM that came while `serve` was starting, kept for the stop once it has started. */
export interface PendingSignal {
  signal: string;
  /** What is left of STOP_LIMIT_MS, counted from the signal: the stop's own limit. */
  leftMs: number;
}

export interface StartUpSignal {
  /** Whether a signal came so far: the start then starts no background work (main.ts stopAsked). */
  readonly signalled: boolean;
  /**
   * The start is over: the early handlers go, and a signal that came meanwhile is returned, for
   * the server to stop now (serve's shutdown: exit 0), as it would have once it was running.
   */
  started(): PendingSignal | undefined;
  /** The start failed: the early handlers go (the failure ends the process as before). */
  dispose(): void;
}

/** What holdSignalsDuringStartUp needs of its process (tests give their own). */
export interface StartUpProcess {
  on(signal: NodeJS.Signals, fn: (signal: NodeJS.Signals) => void): unknown;
  off(signal: NodeJS.Signals, fn: (signal: NodeJS.Signals) => void): unknown;
  exit(code: number): void;
}

/**
 * serve's handlers for SIGINT and SIGTERM from its first line, before the store opens. Without
 * them a signal during start-up (migrations, the store's connect, OpenHIM's registration) ended
 * the process at once, exit 130/143, where a running server stopped so exits 0 (serve.ts): a
 * supervisor stopping a server that was still starting read a crash. The signal is now kept and
 * the server stopped as soon as it has started, so a migration or a write under way ends as it
 * would have, never cut between two statements. One limit, STOP_LIMIT_MS, counts from the signal
 * for the start and the stop together (a fresh limit for the stop made it 50 s, past compose's
 * 30 s grace): a start still going then exits 1. A second signal more than REPEAT_AFTER_MS after
 * the first exits 1 at once (the operator insists); one sooner is the first come twice.
 */
export function holdSignalsDuringStartUp(
  err: NodeJS.WritableStream = process.stderr,
  proc: StartUpProcess = process,
  now: () => number = () => performance.now(),
): StartUpSignal {
  let pending: { signal: string; at: number } | undefined;
  let limit: NodeJS.Timeout | undefined;
  const onSignal = (s: NodeJS.Signals) => {
    if (pending) {
      if (now() - pending.at <= REPEAT_AFTER_MS) return;
      err.write(`${s} again during start-up: exiting at once, the start not finished\n`);
      proc.exit(1);
      return;
    }
    pending = { signal: s, at: now() };
    err.write(`${s} during start-up: the server stops as soon as it has started\n`);
    limit = setTimeout(() => {
      err.write(`the start was not over within ${STOP_LIMIT_MS} ms of ${s}: exiting without it\n`);
      proc.exit(1);
    }, STOP_LIMIT_MS).unref();
  };
  proc.on('SIGINT', onSignal);
  proc.on('SIGTERM', onSignal);
  const dispose = () => {
    proc.off('SIGINT', onSignal);
    proc.off('SIGTERM', onSignal);
    clearTimeout(limit);
  };
  return {
    get signalled() {
      return pending !== undefined;
    },
    started() {
      dispose();
      if (!pending) return undefined;
      return { signal: pending.signal, leftMs: Math.max(0, STOP_LIMIT_MS - (now() - pending.at)) };
    },
    dispose,
  };
}
