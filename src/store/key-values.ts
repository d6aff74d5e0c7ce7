import type { Migration } from './migrations.js';

/**
 * v49: outbox jobs by the value of their business key. A write's key is `kind|system|value` (an
 * app's delivery number: `delivery|https://app.example.org/deliveries|DL-1`), and FHIR reads a
 * search token without a system (`SupplyDelivery?identifier=DL-1`) as that value in any system
 * (search.html, token): a search by the app's number alone finds what it wrote, though the system
 * of record lists it under its own (routing/flows.ts writtenUnder). The value is what follows the
 * key's second bar (a system, a URI, has none; a value may). Indexed by that expression, the same
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

/** $1 the value, $2 the length of $3, `kind|`. */
export function jobsByKeyValueArgs(kind: string, value: string): [string, number, string] {
  return [value, kind.length + 1, `${kind}|`];
}
