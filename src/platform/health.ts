import type { FastifyInstance } from 'fastify';

export interface ReadinessCheck {
  name: string;
  check(): Promise<void>;
  /**
   * Reported, but the mediator stays ready when it fails ('degraded'): OpenHIM being away delays
   * registration and transaction updates, while FHIR requests are still served.
   */
  advisory?: boolean;
  /**
   * The mediator cannot serve without it (its store): failing makes /ready 503, so a readiness
   * probe takes the instance out of service. Any other check down (an upstream) leaves /ready 200
   * and 'degraded': writes for that system are still accepted and queued, the other systems still
   * answer, and reads of the one down fail with its reason; pulling the instance would refuse all.
   */
  essential?: boolean;
}

/**
 * Not compressed: the bodies are far below the compression threshold, and the compression hook's
 * first run reads the global `Response` (@fastify/compress lib/utils.js isFetchResponse), which
 * makes Node load its fetch implementation: ~50 ms of CPU before the first /health (issue 18).
 */
const UNCOMPRESSED = { compress: false } as const;

/** /ready's overall status: 503 only when an essential check is down (a closing instance is 503 by closing.ts). */
function overall(results: { essential?: boolean; status: string }[]): { code: number; status: string } {
  const down = results.filter((r) => r.status === 'down');
  if (down.some((r) => r.essential)) return { code: 503, status: 'not ready' };
  return { code: 200, status: down.length > 0 ? 'degraded' : 'ready' };
}

/**
 * A check's outcome, or a rejection "no answer in N ms" once `timeoutMs` has passed: /ready, and
 * the outbox asking whether a system answers before it charges a held write (main.ts).
 */
export async function checkWithin(check: Promise<void>, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs);
    timer.unref();
  });
  try {
    await Promise.race([check, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * /health: the process answers. /ready: the store answers (else 503), and each configured upstream
 * (one down is reported 'down' with its reason, the whole 'degraded', still 200).
 */
export function registerHealthRoutes(app: FastifyInstance, checks: () => ReadinessCheck[], timeoutMs = 3000): void {
  app.get('/health', UNCOMPRESSED, async () => ({ status: 'ok' }));
  app.get('/ready', UNCOMPRESSED, async (_request, reply) => {
    const results = await Promise.all(
      checks().map(async (c) => {
        try {
          await checkWithin(c.check(), timeoutMs);
          return { result: { name: c.name, status: 'ok' }, essential: c.essential };
        } catch (err) {
          const status = c.advisory ? 'degraded' : 'down';
          return { result: { name: c.name, status, reason: (err as Error).message }, essential: c.essential };
        }
      }),
    );
    const { code, status } = overall(results.map((r) => ({ essential: r.essential, status: r.result.status })));
    reply.code(code);
    return { status, checks: results.map((r) => r.result) };
  });
}
