import { UpstreamError } from '../../src/domain/errors.js';
import { describeError } from '../../src/outbox/errors.js';
import { noteUpstreamCall } from '../../src/upstream/attempt-scope.js';
import type { DeliveryHandler } from '../../src/outbox/types.js';
import type { WriteResult } from '../../src/routing/ports.js';

/**
 * Outbox delivery handlers for the faulty upstream: the shape a real connector's write takes.
 * The upstream has no idempotency keys, so on any attempt after the first the handler looks the
 * business key up before writing again: the first attempt may have been applied with its answer
 * lost. Steps go through the journal, so a resumed 2-step write never initiates twice.
 */
export interface FaultyUpstreamHandlers {
  /** One step: POST /writes. */
  write: DeliveryHandler;
  /** Two steps: POST /drafts, then POST /drafts/:id/submit. */
  twoStep: DeliveryHandler;
}

interface WritePayload {
  reject?: boolean;
  data?: unknown;
}

export function faultyUpstreamHandlers(baseUrl: string, system = 'faulty'): FaultyUpstreamHandlers {
  async function call(
    method: string,
    path: string,
    body: unknown,
    signal: AbortSignal,
  ): Promise<{ status: number; json: Record<string, unknown> }> {
    let res: Response;
    // as a connector's exchange does (upstream/http.ts): the attempt called its system
    noteUpstreamCall(system);
    try {
      res = await fetch(new URL(path, baseUrl), {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
      });
    } catch (err) {
      const timedOut = signal.aborted;
      throw new UpstreamError({
        system,
        transient: true,
        code: timedOut ? 'timeout' : 'transient',
        diagnostics: `${method} ${path}: ${timedOut ? 'timed out' : describeError(err)}`,
      });
    }
    let json: Record<string, unknown> = {};
    try {
      json = (await res.json()) as Record<string, unknown>;
    } catch {
      if (res.ok)
        throw new UpstreamError({ system, transient: true, diagnostics: `${method} ${path}: unreadable answer` });
    }
    if (res.status >= 500 || res.status === 429) {
      throw new UpstreamError({
        system,
        transient: true,
        upstreamStatus: res.status,
        diagnostics: `${method} ${path}: HTTP ${res.status}`,
      });
    }
    return { status: res.status, json };
  }

  function permanent(path: string, status: number, json: Record<string, unknown>): UpstreamError {
    return new UpstreamError({
      system,
      transient: false,
      upstreamStatus: status,
      diagnostics: `${path}: ${String(json.error ?? `HTTP ${status}`)}`,
    });
  }

  /** The id under which the upstream already holds this key, if it does. */
  async function lookup(key: string, signal: AbortSignal): Promise<string | undefined> {
    const { status, json } = await call('GET', `/writes/${encodeURIComponent(key)}`, undefined, signal);
    if (status === 404) return undefined;
    if (status !== 200) throw permanent('lookup', status, json);
    return String(json.id);
  }

  const write: DeliveryHandler = async (job, journal, ctx) =>
    journal.run('write', async (): Promise<WriteResult> => {
      const key = job.idempotencyKey;
      if (ctx.attempt > 1) {
        const existing = await lookup(key, ctx.signal);
        if (existing) return { system, ids: { write: existing }, status: 'applied' };
      }
      const p = (job.payload ?? {}) as WritePayload;
      const { status, json } = await call('POST', '/writes', { key, reject: p.reject, payload: p.data }, ctx.signal);
      if (status !== 201) throw permanent('write', status, json);
      return { system, ids: { write: String(json.id) }, status: 'applied' };
    });

  const twoStep: DeliveryHandler = async (job, journal, ctx) => {
    const key = job.idempotencyKey;
    const p = (job.payload ?? {}) as WritePayload;
    const draft = await journal.run('initiate', async () => {
      const { status, json } = await call('POST', '/drafts', { key, reject: p.reject, payload: p.data }, ctx.signal);
      if (status !== 201) throw permanent('initiate', status, json);
      return { draftId: String(json.draftId) };
    });
    return journal.run('submit', async (): Promise<WriteResult> => {
      if (ctx.attempt > 1) {
        const existing = await lookup(key, ctx.signal);
        if (existing) return { system, ids: { draft: draft.draftId, write: existing }, status: 'applied' };
      }
      const { status, json } = await call(
        'POST',
        `/drafts/${encodeURIComponent(draft.draftId)}/submit`,
        {},
        ctx.signal,
      );
      if (status !== 200) throw permanent('submit', status, json);
      return { system, ids: { draft: draft.draftId, write: String(json.id) }, status: 'applied' };
    });
  };

  return { write, twoStep };
}
