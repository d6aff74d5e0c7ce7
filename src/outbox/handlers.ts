import type { DeliveryHandler } from './types.js';

/** Delivery handlers by flow and system; connectors register theirs at start-up. */
export class HandlerRegistry {
  private readonly handlers = new Map<string, Map<string, DeliveryHandler>>();
  /** Flows (per system) whose jobs of one resource are delivered in the order accepted. */
  private readonly ordered = new Map<string, Set<string>>();

  register(flow: string, system: string, handler: DeliveryHandler, opts: { inOrder?: boolean } = {}): void {
    let bySystem = this.handlers.get(system);
    if (!bySystem) this.handlers.set(system, (bySystem = new Map()));
    bySystem.set(flow, handler);
    if (!this.ordered.has(system)) this.ordered.set(system, new Set());
    if (opts.inOrder) this.ordered.get(system)!.add(flow);
    else this.ordered.get(system)!.delete(flow);
  }

  get(flow: string, system: string): DeliveryHandler | undefined {
    return this.handlers.get(system)?.get(flow);
  }

  systems(): string[] {
    return [...this.handlers.keys()];
  }

  flows(system: string): string[] {
    return [...(this.handlers.get(system)?.keys() ?? [])];
  }

  /** Whether this flow delivers a resource's jobs to this system in the order accepted. */
  isInOrder(flow: string, system: string): boolean {
    return this.ordered.get(system)?.has(flow) ?? false;
  }

  /** ClaimRequest.inOrder: this system's flows registered to deliver a resource's jobs in order. */
  inOrder(system: string): string[] {
    return [...(this.ordered.get(system) ?? [])];
  }
}
