import { keyPart } from '../domain/business-key.js';
import type { Migration } from './migrations.js';

/**
 * v49: outbox jobs by the value of their business key. A write's key is `kind|system|value` (an
 * app's delivery number: `delivery|https://app.example.org/deliveries|DL-1`), and FHIR reads a
 * search token without a system (`SupplyDelivery?identifier=DL-1`) as that value in any system
 * (search.html, token): a search by the app's number alone finds what it wrote, though the system
 * of record lists it under its own (routing/flows.ts writtenUnder). The value is what follows the
 * key's second bar (its system and value are escaped since v68, domain/business-key.ts: neither
 * holds one; the value is followed by the key's marks, if any). Indexed by that expression, the same
 * one the lookup is written with (each engine matches its index by the expression's text): a
 * suffix match on the key read every job.
 */
export const KEY_VALUES_VERSION = 49;

/** The key's value: what follows its second bar (each engine spells "find" its own way). */
function keyValue(find: 'instr' | 'strpos'): string {
  const rest = `substr(idempotency_key, ${find}(idempotency_key, '|') + 1)`;
  return `substr(${rest}, ${find}(${rest}, '|') + 1)`;
}

const SQLITE_KEY_VALUE = keyValue('instr');
const POSTGRES_KEY_VALUE = keyValue('strpos');

function keyValuesIndex(expression: string): Migration {
  return {
    version: KEY_VALUES_VERSION,
    name: 'outbox: jobs by the value of their business key, for a search by identifier without a system',
    sql: '',
    indexes: [{ name: 'outbox_jobs_key_value', on: `outbox_jobs ((${expression}))` }],
  };
}

export const SQLITE_KEY_VALUES = keyValuesIndex(SQLITE_KEY_VALUE);
export const POSTGRES_KEY_VALUES = keyValuesIndex(POSTGRES_KEY_VALUE);

/**
 * Jobs whose key is `kind|<any system>|value`, oldest first; `columns`: the engine's job columns.
 * Bound with jobsByKeyValueArgs (in the order SQLite's positional parameters take them).
 */
export function jobsByKeyValueSql(engine: 'sqlite' | 'postgres', columns: string): string {
  const value = engine === 'sqlite' ? SQLITE_KEY_VALUE : POSTGRES_KEY_VALUE;
  return `SELECT ${columns} FROM outbox_jobs WHERE ${value} = $1
  AND substr(idempotency_key, 1, $2) = $3 ORDER BY created_at, id`;
}

/** $1 the value as keys hold it (escaped: business-key.ts), $2 the length of $3, `kind|`. */
export function jobsByKeyValueArgs(kind: string, value: string): [string, number, string] {
  return [keyPart(value), kind.length + 1, `${kind}|`];
}

/**
 * v66: a search without a system finds a delivery by its drafts too (routing/jobs-written-under.ts):
 * the keys `kind|<any system>|value` that have a job under `value` + mark (`|in-progress`,
 * `|in-progress:n`, a copy `…|system`), read as one range of the key's value in byte order. Its
 * first draft and its completion alone (two equality look-ups) were not enough: once retention
 * deleted both, the drafts kept after them named a delivery no search without a system found.
 * PostgreSQL's v49 index is in the database's collation, which serves no byte range
 * (numbered-keys.ts): the value indexed anew with the pattern operator class, whose ~>=~ and ~<~
 * compare bytes as SQLite does, built CONCURRENTLY (pg-migrations.ts). SQLite's v49 index is in
 * byte order (BINARY) already: a version with nothing to do there.
 */
const MARKED_VALUES_VERSION = 66;
const MARKED_VALUES_NAME = 'outbox: jobs by the value of their business key in byte order, for drafts without a system';

export const SQLITE_MARKED_VALUES: Migration = { version: MARKED_VALUES_VERSION, name: MARKED_VALUES_NAME, sql: '' };

export const POSTGRES_MARKED_VALUES: Migration = {
  version: MARKED_VALUES_VERSION,
  name: MARKED_VALUES_NAME,
  sql: '',
  indexes: [{ name: 'outbox_jobs_key_value_bytes', on: `outbox_jobs ((${POSTGRES_KEY_VALUE}) text_pattern_ops)` }],
};

/**
 * The distinct `kind|system|` of the jobs whose key's value is `value` + mark and anything below
 * `;` after it (`:n`, then a copy's `|system`): the range [$1, $2) of the key's value in byte
 * order, one index range holding the kept drafts of that value in every system (a few; retention
 * deletes old ones). A character below `;` right after the mark (`|in-progress-x`) only names a
 * key under which the caller then finds nothing more than a search with that system would.
 * Bound with keysOfMarkedValueArgs.
 */
export function keysOfMarkedValueSql(engine: 'sqlite' | 'postgres'): string {
  const value = engine === 'sqlite' ? SQLITE_KEY_VALUE : POSTGRES_KEY_VALUE;
  const [from, below] = engine === 'sqlite' ? ['>=', '<'] : ['~>=~', '~<~'];
  return `SELECT DISTINCT substr(idempotency_key, 1, length(idempotency_key) - length(${value})) AS prefix
  FROM outbox_jobs WHERE ${value} ${from} $1 AND ${value} ${below} $2
  AND substr(idempotency_key, 1, $3) = $4 ORDER BY prefix`;
}

/**
 * $1 `value` (as keys hold it, escaped) + mark, $2 that and `;` (which follows `:` in byte order),
 * $3 the length of $4, `kind|`.
 */
export function keysOfMarkedValueArgs(kind: string, value: string, mark: string): [string, string, number, string] {
  const part = keyPart(value);
  return [part + mark, `${part}${mark};`, kind.length + 1, `${kind}|`];
}

/** The key `kind|system|value` of a `prefix` (`kind|system|`) keysOfMarkedValueSql found for `value`. */
export function keyOfMarkedValue(prefix: string, value: string): string {
  return prefix + keyPart(value);
}
