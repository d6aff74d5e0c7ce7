/**
 * The review and undo routes over a propagation rig's store, each decision releasing the held
 * registry changes as the server's does (main.ts onDecision), and a wait for the outbox jobs of
 * a propagation key: for the tests of what a review decision does to propagation.
 */
import Fastify from 'fastify';
import { reviewRoutes } from '../../src/registry/review-routes.js';
import { reviewUndoRoutes } from '../../src/admin/review-undo-routes.js';
import type { OutboxJob } from '../../src/store/types.js';
import type { PropagationRig } from './propagation-rig.js';

const TOKEN = 'review-decisions-token';

/** `decide(systemId, op)`: a data manager's (amina's) decision, or undo, on one record of `system`. */
export async function reviewDecisions(t: { teardown(fn: () => unknown): void }, rig: PropagationRig, system: string) {
  const app = Fastify();
  const onDecision = (s: string) => rig.side.propagator.releaseHeld(s);
  await app.register(reviewRoutes, { prefix: '/admin', store: rig.store, adminToken: TOKEN, onDecision });
  await app.register(reviewUndoRoutes, { prefix: '/admin', store: rig.store, adminToken: TOKEN, onDecision });
  t.teardown(() => app.close());
  return (systemId: string, op: string, payload: object = {}) =>
    app.inject({
      method: 'POST',
      url: `/admin/reconcile/${system}/${systemId}/${op}`,
      headers: { authorization: `Bearer ${TOKEN}`, 'x-actor': 'amina' },
      payload,
    });
}

/** The jobs of a propagation `key` once none is pending or in flight (the worker runs in the background). */
export async function jobsEnd(rig: PropagationRig, key: string): Promise<OutboxJob[]> {
  const until = Date.now() + 30_000;
  for (;;) {
    const jobs = await rig.store.findJobsByKey(key);
    if (jobs.length && jobs.every((j) => j.status !== 'pending' && j.status !== 'in-flight')) return jobs;
    if (Date.now() > until) throw new Error(`jobs of ${key}: ${jobs.map((j) => j.status).join(', ')}, still waiting`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
