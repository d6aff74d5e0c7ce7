import type { Migration } from './migrations.js';

/**
 * v71: a registry version kept and not planned yet (`registry_records.unplanned`). A version is
 * kept, then planned for every system: a process killed in between (kill -9, power cut) left it
 * kept with no plan, and nothing planned it again when nothing read it again: a closure for
 * absence (`<v>+absent`) is skipped by the next full read as already closed, a reopening
 * (`+relisted`) as already open, a push nobody resends is never read again. Keeping a version
 * marks it; its plan for every system clears the mark; each pull (and start) plans what is still
 * marked (Propagator.planUnplanned), through the partial index: no scan of the table. Rows from
 * before v71 count as planned (a constant default rewrites nothing on either engine).
 */
export const REGISTRY_UNPLANNED: Migration = {
  version: 71,
  name: 'registry_records: a version kept and not planned yet (planned after a kill)',
  sql: 'ALTER TABLE registry_records ADD COLUMN unplanned INTEGER NOT NULL DEFAULT 0;',
  indexes: [{ name: 'registry_records_unplanned', on: 'registry_records (registry_id) WHERE unplanned = 1' }],
};
