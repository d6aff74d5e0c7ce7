import { Counter, type Registry } from 'prom-client';
import { REPLANS } from './plan-write.js';

/** Where propagation says what an operator must see (pino's signature subset, so tests can pass nothing). */
export interface PropagationLogger {
  warn(obj: object, msg: string): void;
}

/** A plan of one registry version for one system given up: each of its REPLANS writes met another. */
export interface PlanGivenUp {
  registryId: string;
  version: string;
  system: string;
  /**
   * What plans the change now: its job, made anyway, plans it at delivery from what it reads then
   * (`delivery`); or a hold of this very version written meanwhile, which a decision or the next
   * pull plans again as any hold (`held`).
   */
  next: 'delivery' | 'held';
}

/**
 * Said as a warning naming the registry facility, its version and the system, and counted (when the
 * server gives a counter): a storm of writes on one row (several instances, decisions, deliveries)
 * that never lets a plan through must not pass unseen, even though the change is not lost.
 */
export function reportPlanGivenUp(
  given: PlanGivenUp,
  logger: PropagationLogger | undefined,
  count: ((system: string) => void) | undefined,
): void {
  count?.(given.system);
  logger?.warn(
    { registryId: given.registryId, version: given.version, system: given.system, replans: REPLANS },
    `propagation: the plan of registry facility ${given.registryId} version ${given.version} for ${given.system} ` +
      `met another write of its row ${REPLANS} times in a row; ` +
      (given.next === 'delivery'
        ? 'its job is queued and plans it again when delivered'
        : 'the hold written meanwhile stands until a decision or the next pull plans it again'),
  );
}

/** `mediator_propagation_plans_given_up_total` by system: an operator alerts on it rising. */
export function plansGivenUpCounter(registry: Registry, prefix = 'mediator_'): (system: string) => void {
  const counter = new Counter({
    name: `${prefix}propagation_plans_given_up_total`,
    help: `Registry changes whose plan for a system met another write of its propagation row ${REPLANS} times in a row (the change's job plans it again at delivery, or a hold written meanwhile stands), by system`,
    labelNames: ['system'],
    registers: [registry],
  });
  return (system) => counter.inc({ system });
}
