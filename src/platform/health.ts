import type { FastifyInstance } from 'fastify';

export interface ReadinessCheck {
  name: string;
  check(): Promise<void>;
}

/** /health: the process answers. /ready: the store and every configured upstream answer. */
export function registerHealthRoutes(app: FastifyInstance, checks: () => ReadinessCheck[], timeoutMs = 3000): void {
  app.get('/health', async () => ({ status: 'ok' }));
  app.get('/ready', async (_request, reply) => {
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
          return { name: c.name, status: 'down', reason: (err as Error).message };
        }
      }),
    );
    const ready = results.every((r) => r.status === 'ok');
    reply.code(ready ? 200 : 503);
    return { status: ready ? 'ready' : 'not ready', checks: results };
  });
}
