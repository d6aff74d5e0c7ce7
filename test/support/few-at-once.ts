/**
 * Runs `work` over `items` a few at a time (each CLI run is its own node process: one after
 * another, a file of them spent minutes starting node; all at once, on a busy 2-core CI host,
 * one could outlast its own timeout). The answers come back in the order of `items`, so the
 * checks that follow run in the same order as before.
 */
export async function fewAtOnce<I, O>(items: readonly I[], work: (item: I) => Promise<O>, atOnce = 4): Promise<O[]> {
  const out: O[] = new Array(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await work(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(atOnce, items.length) }, lane));
  return out;
}
