import { STOP_LIMIT_MS } from './stop-limit.js';

/** A SIGINT/SIGTERM that came while `serve` was starting, kept for the stop once it has started. */
export interface StartUpSignal {
  /**
   * The start is over: the early handlers go, and a signal that came meanwhile stops the server
   * now (`stop`, serve's shutdown: exit 0), as it would have once it was running.
   */
  started(stop: (signal: string) => void): void;
  /** The start failed: the early handlers go (the failure ends the process as before). */
  dispose(): void;
}

/**
 * serve's handlers for SIGINT and SIGTERM from its first line, before the store opens. Without
 * them a signal during start-up (migrations, the store's connect, OpenHIM's registration) ended
 * the process at once, exit 130/143, where a running server stopped so exits 0 (serve.ts): a
 * supervisor stopping a server that was still starting read a crash. The signal is now kept and
 * the server stopped as soon as it has started, so a migration or a write under way ends as it
 * would have, never cut between two statements. A start still going STOP_LIMIT_MS after the
 * signal (the database silent) exits 1, as a stop that overstays does. A second signal is ignored
 * (Ctrl-C reaches npm, tsx and node: it comes twice).
 */
export function holdSignalsDuringStartUp(err: NodeJS.WritableStream = process.stderr): StartUpSignal {
  let signal: string | undefined;
  let limit: NodeJS.Timeout | undefined;
  const onSignal = (s: NodeJS.Signals) => {
    if (signal) return;
    signal = s;
    err.write(`${s} during start-up: the server stops as soon as it has started\n`);
    limit = setTimeout(() => {
      err.write(`the start was not over within ${STOP_LIMIT_MS} ms of ${s}: exiting without it\n`);
      process.exit(1);
    }, STOP_LIMIT_MS).unref();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const dispose = () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    clearTimeout(limit);
  };
  return {
    started(stop) {
      dispose();
      if (signal) stop(signal);
    },
    dispose,
  };
}
