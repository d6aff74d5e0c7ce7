import type { Store } from '../store/types.js';

/**
 * A bridge run by hand holding its scheduled job's lock (`schedule:<job>`, as the scheduler takes
 * it: PostgreSQL's advisory lock, SQLite's lock file every process on the file sees), so it never
 * runs beside the server's run of that job or another run by hand: two runs reading upstreams at
 * different times would queue their writes in either order and move the job's marks both ways.
 * Found held, nothing runs: the reason goes to `err` and the exit code is 2.
 */
export async function holdingJobLock(
  store: Store,
  job: string,
  command: string,
  err: NodeJS.WritableStream,
  run: () => Promise<number>,
): Promise<number> {
  const locked = await store.withAdvisoryLock(`schedule:${job}`, run);
  if (locked.ran) return locked.value;
  err.write(
    `${job} is running elsewhere (a server's scheduled run or another ${command}): nothing sent; run it again once that run is over (npm run cli -- jobs list)\n`,
  );
  return 2;
}
