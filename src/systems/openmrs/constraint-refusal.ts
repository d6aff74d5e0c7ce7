import { asRecord } from '../../upstream/errors.js';

/**
 * A 500 whose cause is a database constraint (SQLState class 23): the REST module answers any
 * exception it has no status for as a 500 (BaseRestController handleException), and since
 * RestUtil.wrapErrorResponse joins the cause chain into `message` (" => "), the JDBC driver's
 * sentence is there (older versions: in `detail`). On MySQL (OpenMRS's default) and PostgreSQL:
 * - not null: `Column 'x' cannot be null` / `null value in column "x" ... violates not-null constraint`
 * - foreign key: `a foreign key constraint fails (..., CONSTRAINT `fk` FOREIGN KEY (`x`) ...` /
 *   `violates foreign key constraint "fk"`
 * - check: `Check constraint 'c' is violated` / `violates check constraint "c"`
 * - duplicate key (23505, MySQL 1062): `Duplicate entry '...' for key 'k'` /
 *   `duplicate key value violates unique constraint "k"` (with the values in its Detail line)
 * Only the column, constraint or key name is kept: the drivers quote the values sent (a duplicate
 * entry, a Detail line), which stay out of every outcome and log.
 *
 * A deadlock or lock wait (SQLState 40001, MySQL 1213/1205, Hibernate LockAcquisitionException)
 * is not a constraint: the same write may pass on a retry, so it is left to the transient path.
 */
export type ConstraintKind = 'not-null' | 'foreign-key' | 'check' | 'duplicate-key' | 'constraint';

export interface ConstraintRefusal {
  kind: ConstraintKind;
  /** The driver's sentence without the values: what refused the data, and where. */
  sentence: string;
  /** The unique key or constraint named, for a duplicate key. */
  key?: string;
}

const LOCK = /Deadlock found|deadlock detected|LockAcquisitionException|CannotAcquireLockException|Lock wait timeout/i;
const CLASS_23 =
  /ConstraintViolationException|SQLIntegrityConstraintViolation|SQLState: 23|Duplicate entry|violates (?:not-null|foreign key|unique|check) constraint|cannot be null|foreign key constraint fails|Check constraint '/i;

type Reader = (said: string) => ConstraintRefusal | undefined;

const readers: Reader[] = [
  (said) => {
    const m = /Column '([^']+)' cannot be null|null value in column "([^"]+)"/i.exec(said);
    const column = m?.[1] ?? m?.[2];
    return column ? { kind: 'not-null', sentence: `column '${column}' cannot be null` } : undefined;
  },
  (said) => {
    const my =
      /foreign key constraint fails \((?:`[^`]*`\.)?`([^`]+)`, CONSTRAINT `([^`]+)` FOREIGN KEY \(`([^`]+)`\)/i.exec(
        said,
      );
    if (my) return { kind: 'foreign-key', sentence: `foreign key '${my[2]}' on column '${my[3]}' of ${my[1]}` };
    const pg = /on table "([^"]+)" violates foreign key constraint "([^"]+)"/i.exec(said);
    if (pg) return { kind: 'foreign-key', sentence: `foreign key '${pg[2]}' of ${pg[1]}` };
    return /foreign key constraint/i.test(said) ? { kind: 'foreign-key', sentence: 'a foreign key' } : undefined;
  },
  (said) => {
    const m = /Check constraint '([^']+)' is violated|violates check constraint "([^"]+)"/i.exec(said);
    const name = m?.[1] ?? m?.[2];
    return name ? { kind: 'check', sentence: `check constraint '${name}'` } : undefined;
  },
  (said) => {
    // the entry's value is skipped, not kept: it runs to the last "' for key '" within the length
    // MySQL prints of it (ER_DUP_ENTRY "Duplicate entry '%-.192s' for key '%-.192s'", with room
    // to spare); unbounded, a long body of entries no key closes takes minutes to read
    const m = /Duplicate entry '[\s\S]{0,256}' for key '([^']+)'|violates unique constraint "([^"]+)"/i.exec(said);
    const key = m?.[1] ?? m?.[2];
    if (key) return { kind: 'duplicate-key', sentence: `duplicate key '${key}'`, key };
    return /SQLState: 23505|Duplicate entry|duplicate key/i.test(said)
      ? { kind: 'duplicate-key', sentence: 'a duplicate key' }
      : undefined;
  },
];

/**
 * A receipt's new batch is unique by item, number and expiry (stockmgmt_stock_batch
 * stock_item_batch_no_expiration); the module looks for the batch before it makes one
 * (StockManagementServiceImpl findStockBatch), so this key is only hit when another write made the
 * same batch at the same moment, and the retry finds it.
 */
export const RACED_KEYS = /stock_item_batch_no_expiration/;

/** The constraint a 500 names as its cause; undefined for any other 500 (a deadlock, a bug). */
export function constraintRefusal(status: number, body: unknown): ConstraintRefusal | undefined {
  if (status !== 500) return undefined;
  const e = asRecord(asRecord(body)?.error);
  const said = [e?.message, e?.detail].filter((x): x is string => typeof x === 'string').join('\n');
  if (LOCK.test(said) || !CLASS_23.test(said)) return undefined;
  for (const read of readers) {
    const found = read(said);
    if (found) return found;
  }
  return { kind: 'constraint', sentence: "a constraint of OpenMRS's database" };
}
