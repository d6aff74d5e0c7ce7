import type { StepJournal } from '../../../../src/routing/ports.js';

/** A StepJournal in memory: a step that completed returns its stored result on a rerun. */
export function memoryJournal(key = 'test-key'): StepJournal & { steps: Map<string, unknown> } {
  const steps = new Map<string, unknown>();
  return {
    idempotencyKey: key,
    steps,
    async run<T>(step: string, action: () => Promise<T>): Promise<T> {
      if (steps.has(step)) return steps.get(step) as T;
      const result = await action();
      steps.set(step, result);
      return result;
    },
  };
}
