import { MemoryJournal } from '../../../support/memory-journal.js';

/** A StepJournal in memory, as the outbox's; all of a test's share one key unless it names one. */
export const memoryJournal = (key = 'test-key') => new MemoryJournal(key);
