import type { DeliveryHandler } from './types.js';

/** Delivery handlers by flow and system; connectors register theirs at start-up. */
export class HandlerRegistry {
  private readonly handlers = new Map<string, Map<string, DeliveryHandler>>();

  register(flow: string, system: string, handler: DeliveryHandler): void {
    let bySystem = this.handlers.get(system);
    if (!bySystem) this.handlers.set(system, (bySystem = new Map()));
    bySystem.set(flow, handler);
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
}
