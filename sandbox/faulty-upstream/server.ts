import { pathToFileURL } from 'node:url';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { NO_FAULTS, drawFault, type FaultSettings } from './faults.js';
import { UpstreamState } from './state.js';

/**
 * A generic upstream for outbox tests: it records writes by business key and injects faults.
 *
 *   POST /writes {key, payload?, reject?}   apply a one-step write (422 without applying if reject)
 *   GET  /writes/:key                        look a key up (what a careful retry does first)
 *   POST /drafts {key, payload?, reject?}    2-step mode, step 1: initiate a draft
 *   POST /drafts/:id/submit                  2-step mode, step 2: apply the draft's key
 *   GET  /applied                            oracle: counts by key (never faulted)
 *   PUT  /faults {error5xx, hang, …}         change fault rates at run time (never faulted)
 *   POST /reset                              forget everything (never faulted)
 */
export interface FaultyUpstreamOptions {
  faults?: Partial<FaultSettings>;
  random?: () => number;
  logger?: boolean;
}

type Answer = { status: number; body: unknown };

export interface FaultyUpstream {
  app: FastifyInstance;
  state: UpstreamState;
  faults: FaultSettings;
  url: string;
  close(): Promise<void>;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function buildFaultyUpstream(opts: FaultyUpstreamOptions = {}): {
  app: FastifyInstance;
  state: UpstreamState;
  faults: FaultSettings;
} {
  const app = Fastify({ logger: opts.logger ?? false });
  const state = new UpstreamState();
  const faults: FaultSettings = { ...NO_FAULTS, ...opts.faults };
  const random = opts.random ?? Math.random;

  /** Run `operation` under a drawn fault. The operation is the state change plus its answer. */
  async function faulted(req: FastifyRequest, reply: FastifyReply, operation: () => Answer): Promise<unknown> {
    const fault = drawFault(faults, random);
    if (fault.kind === 'slow') await sleep(fault.ms);
    if (fault.kind === 'none' || fault.kind === 'slow') {
      const a = operation();
      return reply.code(a.status).send(a.body);
    }
    if (fault.afterApply) operation();
    if (fault.kind === 'error5xx') return reply.code(503).send({ error: 'injected: service unavailable' });
    reply.hijack();
    const socket = req.raw.socket;
    if (fault.kind === 'reset') {
      socket.destroy();
      return undefined;
    }
    // hang: keep the socket open without answering until the client gives up (or hangMs)
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, faults.hangMs);
      socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    socket.destroy();
    return undefined;
  }

  app.post(
    '/writes',
    {
      schema: {
        body: {
          type: 'object',
          required: ['key'],
          properties: { key: { type: 'string', minLength: 1 }, reject: { type: 'boolean' } },
        },
      },
    },
    async (req, reply) => {
      const body = req.body as { key: string; reject?: boolean };
      return faulted(req, reply, () => {
        if (body.reject)
          return { status: 422, body: { error: `write ${body.key} is invalid: quantity must be positive` } };
        const rec = state.apply(body.key);
        return { status: 201, body: { id: rec.id, key: body.key } };
      });
    },
  );

  app.get('/writes/:key', async (req, reply) => {
    const { key } = req.params as { key: string };
    return faulted(req, reply, () => {
      const rec = state.applied.get(key);
      return rec
        ? { status: 200, body: { id: rec.id, key, count: rec.count } }
        : { status: 404, body: { error: 'not found' } };
    });
  });

  app.post(
    '/drafts',
    {
      schema: {
        body: {
          type: 'object',
          required: ['key'],
          properties: { key: { type: 'string', minLength: 1 }, reject: { type: 'boolean' } },
        },
      },
    },
    async (req, reply) => {
      const body = req.body as { key: string; payload?: unknown; reject?: boolean };
      return faulted(req, reply, () => {
        if (body.reject) return { status: 422, body: { error: `draft ${body.key} is invalid: unknown product` } };
        const draft = state.initiate(body.key, body.payload);
        return { status: 201, body: { draftId: draft.id, key: body.key } };
      });
    },
  );

  app.post('/drafts/:id/submit', async (req, reply) => {
    const { id } = req.params as { id: string };
    return faulted(req, reply, () => {
      const draft = state.drafts.get(id);
      if (!draft) return { status: 404, body: { error: `no draft ${id}` } };
      draft.submitted += 1;
      const rec = state.apply(draft.key);
      return { status: 200, body: { id: rec.id, key: draft.key, draftId: id } };
    });
  });

  app.get('/applied', async () => state.snapshot());

  app.put('/faults', async (req) => {
    Object.assign(faults, req.body as Partial<FaultSettings>);
    return faults;
  });

  app.post('/reset', async () => {
    state.clear();
    return { ok: true };
  });

  return { app, state, faults };
}

export async function startFaultyUpstream(
  opts: FaultyUpstreamOptions & { port?: number } = {},
): Promise<FaultyUpstream> {
  const built = buildFaultyUpstream(opts);
  const address = await built.app.listen({ host: '127.0.0.1', port: opts.port ?? 0 });
  return { ...built, url: address, close: () => built.app.close() };
}

function faultsFromEnv(): Partial<FaultSettings> {
  const out: Partial<FaultSettings> = {};
  for (const k of ['error5xx', 'hang', 'reset', 'slow', 'afterApplyShare'] as const) {
    const v = process.env[`FAULT_${k.toUpperCase()}`];
    if (v !== undefined) out[k] = Number(v);
  }
  return out;
}

// `npx tsx sandbox/faulty-upstream/server.ts` (PORT, FAULT_ERROR5XX=0.1, FAULT_HANG, FAULT_RESET, FAULT_SLOW)
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const up = await startFaultyUpstream({ port: Number(process.env.PORT ?? 0), faults: faultsFromEnv(), logger: true });
  process.stdout.write(`faulty upstream listening on ${up.url}\n`);
}
