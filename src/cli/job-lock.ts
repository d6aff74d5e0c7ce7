import type { Store } from '../store/types.js';

/**
 * A bridge run by hand holding its scheduled job's lock (`schedule:<job>`, as the scheduler takes
 * it: PostgreSQL's advisory lock, SQLite's lock file every process on the file sees), so it never
 * runs beside the server's run of that job or another run by hand: two runs reading upstreams at
 * different times would queue their writes in either order and move the job's marks both ways.
 * Found held, nothing runs: the reason goes to `err` and the exit code is 2. `run` is handed the
 * lock's signal, aborted if the lock is lost mid-run (its PostgreSQL session died and another
 * instance took it): the run stops before its next write, as the scheduled run does, and the
 * exit code is 2 with why, never 0 for a run that did not finish.
 */
export async function holdingJobLock(
  store: Store,
  job: string,
  command: string,
  err: NodeJS.WritableStream,
  run: (signal: AbortSignal) => Promise<number>,
): Promise<number> {
  const locked = await store.withAdvisoryLock(`schedule:${job}`, async (signal) => {
    try {
      const code = await run(signal);
      // lost after its last write, as the scheduler records such a run (failed): the loss is heard
      // late, so those writes may have gone beside the instance that took the lock; never exit 0
      signal.throwIfAborted();
      return code;
    } catch (e) {
      if (!signal.aborted) throw e;
      err.write(`${command} stopped: ${reasonOf(signal)}; ${STOPPED}\n`);
      return 2;
    }
  });
  if (locked.ran) return locked.value;
  err.write(
    `${job} is running elsewhere (a server's scheduled run or another ${command}): nothing sent; run it again once that run is over (npm run cli -- jobs list)\n`,
  );
  return 2;
}

/** What a run stopped by its lost lock left, and what to do. */
const STOPPED =
  'what it sent or queued before stays, nothing more was sent; run it again once the other run is over (npm run cli -- jobs list)';

function reasonOf(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason.message : String(reason);
}
