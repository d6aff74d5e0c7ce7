import type { Migration } from './migrations.js';

/**
 * v68: the business keys of writes whose identifier's system or value holds '|' or '%', in the
 * escaped form new writes are keyed by (domain/business-key.ts). Before v68 they were joined as
 * they were, so a retry of one after the upgrade (keyed escaped) would not find its job and be
 * sent again. Each job is rekeyed from its own payload, which names the identifier (a delivery's
 * and a stock report's `identifier`, an order's `orderNumber`; jobs of every release carry them):
 * the old key `delivery|S|DL-1|dhis2` is DL-1's copy for DHIS2 when its payload is DL-1's, and
 * delivery `DL-1|dhis2`'s own key when its payload is that one. Only a key that starts with its
 * payload's `kind|system|value` (then ends, or goes on with a bar: the marks, kept as they were)
 * is rekeyed; a key of another form (a bridge's `fulfil|…`) is left. Its row in idempotency_keys
 * goes with it: first to a key no write has (`#v68|` and the job id), then to the new one, so no
 * update meets a row not yet rekeyed that holds its new spelling (a value `a%7Cb` stored as it
 * was, beside `a|b`). Every identifier without those characters is spelled as before: nothing of
 * theirs changes. One pass over the jobs of these flows (their payloads read), at the upgrade.
 *
 * The jobs first, then the rows of the jobs rekeyed (a row still in the old spelling of a job now
 * in the new): PostgreSQL runs each statement on a snapshot of its own (READ COMMITTED), and an
 * older instance still running commits a write (its job and its row together) between two of
 * them. Rows parked first, a write committed between the parking and the jobs' rekeying had its
 * job rekeyed and its row left in the old spelling: its retry, keyed as now, found no row, and
 * the write was recorded and sent again. Rows chosen by their job's new key, such a write keeps
 * both in the old spelling (its retry finds it under its former key, routing's keyHeld), or has
 * both rekeyed.
 */
export const ESCAPED_KEYS_VERSION = 68;

type Engine = 'sqlite' | 'postgres';

/** The flows whose keys are `flow|system|value…`, and where their payload holds the identifier. */
const KEYED_FLOWS: { flow: string; field: string }[] = [
  { flow: 'delivery', field: 'identifier' },
  { flow: 'order', field: 'orderNumber' },
  { flow: 'stock', field: 'identifier' },
];

/**
 * A payload's identifier part, in each engine's JSON. SQLite keeps a payload as text, and
 * json_extract fails the statement on text that is no JSON: one such row (an operator's hand
 * edit) stopped every start of the upgrade. Such a row names no identifier, and is left (jsonb
 * holds none; a payload that is JSON but no object names none either, on both engines).
 */
function part(engine: Engine, field: string, name: 'system' | 'value', payload: string): string {
  return engine === 'sqlite'
    ? `json_extract(CASE WHEN json_valid(${payload}) THEN ${payload} END, '$.${field}.${name}')`
    : `(${payload}->'${field}'->>'${name}')`;
}

/** keyPart in SQL: '%' first, so the '%' of an escaped bar is not escaped again. */
const escaped = (text: string) => `replace(replace(${text}, '%', '%25'), '|', '%7C')`;

/** Whether a text holds a character keyPart escapes (each engine spells "find" its own way). */
function holdsEscaped(engine: Engine, text: string): string {
  const find = engine === 'sqlite' ? 'instr' : 'strpos';
  return `(${find}(${text}, '|') > 0 OR ${find}(${text}, '%') > 0)`;
}

/**
 * When a key `key` of flow `flow`, of the job whose payload is `payload`, is in the old spelling of
 * one to rekey (its identifier holds '|' or '%'), and that key in the new spelling.
 */
function keyed(engine: Engine, flow: string, field: string, payload: string, key: string) {
  const system = part(engine, field, 'system', payload);
  const value = part(engine, field, 'value', payload);
  const head = `('${flow}|' || ${system} || '|' || ${value})`;
  const rekeyed = `(${holdsEscaped(engine, system)} OR ${holdsEscaped(engine, value)})
    AND substr(${key}, 1, length(${head})) = ${head}
    AND (length(${key}) = length(${head}) OR substr(${key}, length(${head}) + 1, 1) = '|')`;
  const newKey = `'${flow}|' || ${escaped(system)} || '|' || ${escaped(value)} || substr(${key}, length(${head}) + 1)`;
  return { rekeyed, newKey };
}

const PARKED = "'#v68|'";

/** v68's statements, in order (each its own snapshot on PostgreSQL: see above). */
export function escapedKeysSteps(engine: Engine): string[] {
  const steps = KEYED_FLOWS.flatMap(({ flow, field }) => {
    const job = keyed(engine, flow, field, 'outbox_jobs.payload', 'outbox_jobs.idempotency_key');
    // the row's own key in the old spelling, its job's already in the new one
    const row = keyed(engine, flow, field, 'j.payload', 'idempotency_keys.key');
    return [
      `UPDATE outbox_jobs SET idempotency_key = ${job.newKey} WHERE outbox_jobs.flow = '${flow}' AND ${job.rekeyed};`,
      `UPDATE idempotency_keys SET key = ${PARKED} || job_id WHERE flow = '${flow}' AND EXISTS (
  SELECT 1 FROM outbox_jobs j WHERE j.id = idempotency_keys.job_id AND j.flow = '${flow}'
    AND ${row.rekeyed} AND j.idempotency_key = ${row.newKey});`,
    ];
  });
  const settle = `UPDATE idempotency_keys SET key = (SELECT j.idempotency_key FROM outbox_jobs j WHERE j.id = idempotency_keys.job_id)
  WHERE substr(key, 1, 5) = ${PARKED};`;
  return [...steps, settle];
}

const NAME = "outbox: business keys of identifiers holding '|' or '%' escaped, as new writes key them";

export const SQLITE_ESCAPED_KEYS: Migration = {
  version: ESCAPED_KEYS_VERSION,
  name: NAME,
  sql: escapedKeysSteps('sqlite').join('\n'),
};
export const POSTGRES_ESCAPED_KEYS: Migration = {
  version: ESCAPED_KEYS_VERSION,
  name: NAME,
  sql: escapedKeysSteps('postgres').join('\n'),
};
