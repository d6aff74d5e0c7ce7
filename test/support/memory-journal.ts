import { randomUUID } from 'node:crypto';
import type { StepJournal } from '../../src/routing/ports.js';

/**
 * A StepJournal in memory that behaves as the outbox's (src/outbox/journal.ts): a completed step
 * returns its recorded result on a rerun, and a result is recorded, and handed on, as JSON, the
 * way the store keeps it. `steps` is open for a test to look at or to seed.
 */
export class MemoryJournal implements StepJournal {
  readonly steps = new Map<string, unknown>();
  constructor(readonly idempotencyKey: string = randomUUID()) {}
  async run<T>(step: string, action: () => Promise<T>): Promise<T> {
    if (this.steps.has(step)) return this.steps.get(step) as T;
    const result = await action();
    this.steps.set(step, JSON.parse(JSON.stringify(result ?? null)));
    return this.steps.get(step) as T;
  }
}
