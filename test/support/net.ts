import { createServer } from 'node:net';

/** A port free on 127.0.0.1 right now, for a process the test starts (a mediator, a sandbox). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
    srv.once('error', reject);
  });
}

/**
 * Polls `probe` (a failing probe counts as "not yet": the process may still be starting) until it
 * gives a value other than undefined or false; throws naming `what` after `ms`.
 */
export async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined && v !== false) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}
