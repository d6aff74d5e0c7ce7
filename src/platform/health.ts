import type { FastifyInstance } from 'fastify';

export interface ReadinessCheck {
  name: string;
  check(): Promise<void>;
  /**
   * Reported, but the mediator stays ready when it fails ('degraded'): OpenHIM being away delays
   * registration and transaction updates, while FHIR requests are still served.
   */
  advisory?: boolean;
}

/**
 * Not compressed: the bodies are far below the compression threshold, and the compression hook's
 * first run reads the global `Response` (@fastify/compress lib/utils.js isFetchResponse), which
 * makes Node load its fetch implementation: ~50 ms of CPU before the first /health (issue 18).
 */
const UNCOMPRESSED = { compress: false } as const;

/** /health: the process answers. /ready: the store and every configured upstream answer. */
export function registerHealthRoutes(app: FastifyInstance, checks: () => ReadinessCheck[], timeoutMs = 3000): void {
  app.get('/health', UNCOMPRESSED, async () => ({ status: 'ok' }));
  app.get('/ready', UNCOMPRESSED, async (_request, reply) => {
    const results = await Promise.all(
      checks().map(async (c) => {
        try {
          await Promise.race([
            c.check(),
            new Promise((_, reject) =>
              setTimeout(() => reject(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs).unref(),
            ),
          ]);
          return { name: c.name, status: 'ok' };
        } catch (err) {
          return { name: c.name, status: c.advisory ? 'degraded' : 'down', reason: (err as Error).message };
        }
      }),
    );
    const ready = results.every((r) => r.status !== 'down');
    reply.code(ready ? 200 : 503);
    return { status: ready ? 'ready' : 'not ready', checks: results };
  });
}
