import type { FastifyInstance } from 'fastify';
import type { SandboxContext } from '../context.js';
import type { FaultRuleInput } from '../faults.js';
import type { SandboxStateApi } from '../state-api.js';

/** Test-only admin API under /_sandbox (no auth, never faulted). Mirrors the SandboxStateApi. */
export function registerAdminRoutes(app: FastifyInstance, ctx: SandboxContext, state: SandboxStateApi): void {
  app.get('/_sandbox/faults', async () => ctx.faults.list());
  app.post('/_sandbox/faults', async (req, reply) => {
    try {
      return reply.code(201).send(ctx.faults.add(req.body as FaultRuleInput));
    } catch (err) {
      return reply.code(400).send({ error: (err as Error).message });
    }
  });
  app.delete('/_sandbox/faults', async (_req, reply) => {
    ctx.faults.clear();
    return reply.code(204).send();
  });
  app.delete<{ Params: { id: string } }>('/_sandbox/faults/:id', async (req, reply) =>
    reply.code(ctx.faults.remove(req.params.id) ? 204 : 404).send(),
  );

  app.get('/_sandbox/state', async () => state.counts());
  // the API requests received (method, path), from index ?from=; counts upstream calls per order
  app.get<{ Querystring: { from?: string } }>('/_sandbox/requests', async (req) => ({
    count: state.requestCount(),
    requests: state.requestLog(Number(req.query.from ?? 0)),
  }));
  app.get('/_sandbox/seed', async () => state.seedSummary());
  app.post<{ Params: { id: string } }>('/_sandbox/orders/:id/ship', async (req, reply) => {
    const body = (req.body ?? {}) as { lines?: Parameters<SandboxStateApi['shipOrder']>[1] };
    try {
      return reply.code(201).send(state.shipOrder(req.params.id, body.lines));
    } catch (err) {
      const e = err as { statusCode?: number; body?: unknown };
      return reply.code(e.statusCode ?? 500).send(e.body ?? { error: String(err) });
    }
  });
  app.get<{ Querystring: { status?: string } }>('/_sandbox/requisitions', async (req) =>
    state.requisitionSummaries(req.query.status as Parameters<SandboxStateApi['requisitionSummaries']>[0]),
  );
  app.post<{ Params: { id: string } }>('/_sandbox/requisitions/:id/release', async (req, reply) => {
    try {
      return reply.code(201).send(state.releaseRequisition(req.params.id));
    } catch (err) {
      const e = err as { statusCode?: number; body?: unknown };
      return reply.code(e.statusCode ?? 500).send(e.body ?? { error: String(err) });
    }
  });
  app.post('/_sandbox/tokens/expire', async () => ({ expired: state.expireTokens() }));
  app.post<{ Body: { seconds?: number } }>('/_sandbox/clock/advance', async (req) => {
    state.advanceTime(Number(req.body?.seconds ?? 0));
    return { now: new Date(ctx.tokens.now()).toISOString() };
  });
}
