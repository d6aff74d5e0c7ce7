import { misspeltSettings } from '../config/misspelt-env.js';
import { registryFileProblem } from '../registry/registry-file-check.js';
import type { Settings } from '../config/settings.js';
import { startMediator, type RunningMediator } from '../main.js';
import { ownSqliteStore, type StoreOwnership } from '../store/sqlite-owner.js';
import { releaseStartUpMemoryLater } from './start-up-memory.js';
import { holdSignalsDuringStartUp } from './start-up-signal.js';
import { STOP_LIMIT_MS } from './stop-limit.js';

export { STOP_LIMIT_MS } from './stop-limit.js';

/**
 * Exit 1, saying what the stop still waited for, once STOP_LIMIT_MS has passed since the signal
 * (`leftMs` of it left: less for a signal that came during start-up).
 */
function exitIfStopOverstays(mediator: RunningMediator, signal: string, leftMs = STOP_LIMIT_MS): void {
  const limitMs = STOP_LIMIT_MS;
  setTimeout(() => {
    mediator.app.log.error(
      { signal, limitMs, waitingFor: mediator.stopStage },
      `stop not done within ${limitMs} ms of the signal, still waiting for ${mediator.stopStage ?? 'its first step'}: exiting without it (what was under way is taken over when its lease ends)`,
    );
    process.exit(1);
  }, leftMs).unref();
}

/**
 * Runs until SIGINT/SIGTERM, then stops cleanly (in-flight requests finish, the worker drains).
 * Its handlers are added beside any already there (tsx's, which tell the tsx parent the signal
 * was handled): a caller must not remove them, or tsx SIGKILLs the process mid-stop.
 * `owned`: the SQLite file's ownership, already taken by a caller that had to hold it before
 * touching the file (the demo, which deletes the previous run's database first).
 */
export async function serve(
  settings: Settings,
  owned?: StoreOwnership,
  /** Run after the mediator stopped on a signal, before the process exits (the demo's sandboxes). */
  afterStop?: () => Promise<void>,
): Promise<RunningMediator> {
  const startUp = holdSignalsDuringStartUp();
  let ownership: StoreOwnership;
  let mediator: RunningMediator;
  try {
    // before the store opens: a second server on one SQLite file is refused, not started beside it
    ownership =
      owned ??
      ownSqliteStore({
        databaseUrl: settings['store.databaseUrl'] as string | undefined,
        dataDir: String(settings['store.dataDir']),
      });
  } catch (err) {
    startUp.dispose();
    throw err;
  }
  try {
    mediator = await startMediator(settings, { stopAsked: () => startUp.signalled });
  } catch (err) {
    startUp.dispose();
    ownership.release();
    throw err;
  }
  const stop = mediator.stop.bind(mediator);
  mediator.stop = async (reason?: string) => {
    try {
      await stop(reason);
    } finally {
      ownership.release();
    }
  };
  const release = releaseStartUpMemoryLater(); // start-up's garbage, once it listens: give it back
  // a typo in a variable's name leaves its setting at the default, silently: say so (names only)
  for (const { given, meant } of misspeltSettings(process.env))
    mediator.app.log.warn(
      { variable: given, meant },
      `environment variable ${given} is not a setting and is ignored: did you mean ${meant}?`,
    );
  const registryFile = registryFileProblem(settings);
  if (registryFile) mediator.app.log.warn({ setting: 'registry.file' }, registryFile);
  let stopping = false;
  const shutdown = async (signal: string, leftMs?: number) => {
    if (stopping) return;
    stopping = true;
    release.cancel();
    mediator.app.log.info({ signal }, 'shutting down');
    exitIfStopOverstays(mediator, signal, leftMs);
    await mediator.stop(signal);
    await afterStop?.();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  // a signal during start-up: stopped now, never returned to a caller that would go on (the demo's
  // reconcile and banner); the process exits at the stop's end
  const pending = startUp.started();
  if (pending) await shutdown(pending.signal, pending.leftMs);
  return mediator;
}
