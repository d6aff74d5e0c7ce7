import type { StepJournal } from '../../routing/ports.js';

/**
 * Whether an earlier attempt of this write recorded `step`. Looked up through journal.run, whose
 * action runs only when the step was not recorded: it refuses, so looking records nothing.
 */
export async function recordedBefore(journal: StepJournal, step: string): Promise<boolean> {
  const notRecorded = new Error(`step ${step} not recorded`);
  try {
    await journal.run(step, () => Promise.reject(notRecorded));
    return true;
  } catch (err) {
    if (err === notRecorded) return false;
    throw err;
  }
}
