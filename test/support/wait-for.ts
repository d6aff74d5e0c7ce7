/**
 * Polls `probe` every 10 ms until it holds; throws naming `what` after `ms`. A loaded machine
 * decides how long a condition takes to come true, not a fixed sleep.
 */
export async function waitFor(what: string, probe: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
