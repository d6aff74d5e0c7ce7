import type { ColumnMapping } from './facility-list.js';

/**
 * Which column gives a facility list's records their ids, when no mapping names one. The ids are
 * what the crosswalk keeps (a system's record id, a registry id) and what every review decision
 * is attached to, so they must survive the file being re-sorted, filtered or extended:
 *  1. a column the mapping names (`--mapping`, `id`);
 *  2. an id-like header (fhir-mappings/facility-columns.json `id`: id, uuid, facility_id …);
 *  3. the first code column (the same file's `identifiers`, in its order: code, kmhfl_id, dhis2_id,
 *     dhis2_code, mfl_code, facility_code …) with a value on every row, no two rows the same;
 *  4. else the row number (`row-7`), which moves with a re-sort: the CLI says so.
 * A stored crosswalk already keyed by row numbers keeps them (`rowIds`), so the decisions made on
 * it keep their meaning (cli/reconcile.ts, jobs/reconcile-job.ts).
 */
export function codeIdColumn(rows: Record<string, string>[], mapping: ColumnMapping): string | undefined {
  if (rows.length === 0) return undefined;
  for (const { column } of mapping.identifiers ?? []) {
    const seen = new Set<string>();
    const unique = rows.every((row) => {
      const value = (row[column] ?? '').toString().trim();
      if (!value || seen.has(value)) return false;
      seen.add(value);
      return true;
    });
    if (unique) return column;
  }
  return undefined;
}

/** Whether ids look like the row numbers a list without an id column was given (`row-12`). */
export const isRowNumberId = (id: string | undefined): boolean => id !== undefined && /^row-\d+$/.test(id);
