/**
 * The in-test second system of test/e2e/routing/fan-out.test.ts, as a connector a spawned
 * mediator loads with `node --import` (src/systems/index.ts registerConnectorFactory): orders and
 * stock reports are POSTed to the recorder HTTP server the test runs (ROUTING_TEST_SYSTEM_URL),
 * so what it was sent survives a SIGKILL of the mediator. Each write carries the outbox job's
 * idempotency key (Idempotency-Key header), so the test can tell the jobs' sends apart.
 */
import { UpstreamError } from '../../../src/domain/errors.js';
import type { Connector, StepJournal, WriteResult } from '../../../src/routing/ports.js';
import { registerConnectorFactory } from '../../../src/systems/index.js';

export const SECOND_SYSTEM = 'test';

async function send(
  base: string,
  kind: 'orders' | 'stock',
  payload: unknown,
  journal: StepJournal,
): Promise<WriteResult> {
  let res: Response;
  try {
    res = await fetch(`${base}/${kind}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': journal.idempotencyKey },
      body: JSON.stringify(payload),
    });
  } catch (err) {
    // the connection failed or was cut: the write may not have been applied, ask again later
    throw new UpstreamError({
      system: SECOND_SYSTEM,
      transient: true,
      diagnostics: `no answer (${(err as Error).message})`,
    });
  }
  if (!res.ok)
    throw new UpstreamError({
      system: SECOND_SYSTEM,
      transient: res.status >= 500,
      diagnostics: `answered ${res.status}`,
      upstreamStatus: res.status,
    });
  const { id } = (await res.json()) as { id: string };
  return { system: SECOND_SYSTEM, ids: { [kind]: id } };
}

export function secondSystem(base: string): Connector {
  return {
    system: SECOND_SYSTEM,
    orders: {
      get: async () => undefined,
      search: async () => ({ items: [] }),
      submit: (o, j) => send(base, 'orders', o, j),
    },
    stock: { search: async () => ({ items: [] }), report: (r, j) => send(base, 'stock', r, j) },
  };
}

const url = process.env.ROUTING_TEST_SYSTEM_URL;
if (url) registerConnectorFactory({ system: SECOND_SYSTEM, enabled: () => true, create: () => secondSystem(url) });
