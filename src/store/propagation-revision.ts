import type { Migration } from './migrations.js';

/**
 * v70: how many times a propagation row was written (`propagations.revision`), so a plan is
 * written only over the row it was planned from. A plan reads the row and the facility's links,
 * decides, then writes; a person's decision landing in between (an undo that queued the change)
 * was written over by a plan made from the links before it: the change was held again, the
 * undo's job found it held and ended refused, and it waited for the next pull. Every write of
 * a row (plan, settle) adds one; a plan given the revision it read writes only if the row still
 * has it (PUT_PROPAGATION_IF_SQL), and plans again from fresh reads otherwise. Rows from before
 * v70 start at 0 (ADD COLUMN with a constant default rewrites nothing on either engine).
 */
export const PROPAGATION_REVISION: Migration = {
  version: 70,
  name: 'propagations: a revision each write adds one to (compare-and-set plans)',
  sql: 'ALTER TABLE propagations ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;',
};
