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
 */
export const ESCAPED_KEYS_VERSION = 68;

type Engine = 'sqlite' | 'postgres';

/** The flows whose keys are `flow|system|value…`, and where their payload holds the identifier. */
const KEYED_FLOWS: { flow: string; field: string }[] = [
  { flow: 'delivery', field: 'identifier' },
  { flow: 'order', field: 'orderNumber' },
  { flow: 'stock', field: 'identifier' },
];

/** A payload's identifier part, in each engine's JSON. */
function part(engine: Engine, field: string, name: 'system' | 'value', payload: string): string {
  return engine === 'sqlite'
    ? `json_extract(${payload}, '$.${field}.${name}')`
    : `(${payload}->'${field}'->>'${name}')`;
}

/** keyPart in SQL: '%' first, so the '%' of an escaped bar is not escaped again. */
const escaped = (text: string) => `replace(replace(${text}, '%', '%25'), '|', '%7C')`;

/** Whether a text holds a character keyPart escapes (each engine spells "find" its own way). */
function holdsEscaped(engine: Engine, text: string): string {
  const find = engine === 'sqlite' ? 'instr' : 'strpos';
  return `(${find}(${text}, '|') > 0 OR ${find}(${text}, '%') > 0)`;
}

/** The old key's head and the new one's, and when a job `j` is to be rekeyed. */
function keyed(engine: Engine, flow: string, field: string, j: string) {
  const system = part(engine, field, 'system', `${j}.payload`);
  const value = part(engine, field, 'value', `${j}.payload`);
  const head = `('${flow}|' || ${system} || '|' || ${value})`;
  const key = `${j}.idempotency_key`;
  const rekeyed = `${j}.flow = '${flow}' AND (${holdsEscaped(engine, system)} OR ${holdsEscaped(engine, value)})
    AND substr(${key}, 1, length(${head})) = ${head}
    AND (length(${key}) = length(${head}) OR substr(${key}, length(${head}) + 1, 1) = '|')`;
  const newKey = `'${flow}|' || ${escaped(system)} || '|' || ${escaped(value)} || substr(${key}, length(${head}) + 1)`;
  return { rekeyed, newKey };
}

const PARKED = "'#v68|'";

function escapedKeysSql(engine: Engine): string {
  const steps = KEYED_FLOWS.flatMap(({ flow, field }) => {
    const held = keyed(engine, flow, field, 'j');
    const own = keyed(engine, flow, field, 'outbox_jobs');
    return [
      `UPDATE idempotency_keys SET key = ${PARKED} || job_id WHERE flow = '${flow}' AND EXISTS (
  SELECT 1 FROM outbox_jobs j WHERE j.id = idempotency_keys.job_id AND j.idempotency_key = idempotency_keys.key
    AND ${held.rekeyed});`,
      `UPDATE outbox_jobs SET idempotency_key = ${own.newKey} WHERE ${own.rekeyed};`,
    ];
  });
  const settle = `UPDATE idempotency_keys SET key = (SELECT j.idempotency_key FROM outbox_jobs j WHERE j.id = idempotency_keys.job_id)
  WHERE substr(key, 1, 5) = ${PARKED};`;
  return [...steps, settle].join('\n');
}

const NAME = "outbox: business keys of identifiers holding '|' or '%' escaped, as new writes key them";

export const SQLITE_ESCAPED_KEYS: Migration = {
  version: ESCAPED_KEYS_VERSION,
  name: NAME,
  sql: escapedKeysSql('sqlite'),
};
export const POSTGRES_ESCAPED_KEYS: Migration = {
  version: ESCAPED_KEYS_VERSION,
  name: NAME,
  sql: escapedKeysSql('postgres'),
};
