/**
 * Runs tasks of one key one after the other, in the order they asked, within this process. A
 * difference report reads a period's totals and writes them back changed: two of one org unit and
 * period at once would both read the same total, and the later write would drop the other's
 * change. Their outbox order key cannot always prevent it: it is the facility as the client named
 * it (a Location id, a DHIS2 code), known before DHIS2 says which org unit that is.
 */
export function oneAtATime(): <T>(key: string, task: () => Promise<T>) => Promise<T> {
  const tails = new Map<string, Promise<unknown>>();
  return async <T>(key: string, task: () => Promise<T>): Promise<T> => {
    const before = tails.get(key) ?? Promise.resolve();
    const run = before.then(task, task);
    const tail = run.catch(() => undefined);
    tails.set(key, tail);
    try {
      return await run;
    } finally {
      // the last in line clears its key: the map holds only keys with work waiting or running
      if (tails.get(key) === tail) tails.delete(key);
    }
  };
}
