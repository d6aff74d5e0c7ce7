/**
 * Writes numbered under one key: `key` is the first, `key:2`, `key:3`, … the next (a delivery's
 * drafts, routing/delivery-drafts.ts). The newest of them and the highest number in use are read
 * in one query, not by probing number after number: numbers have holes (retention deleted old
 * ones, an operator dropped one) and are reused (a rejected write's key is free again), so "is
 * number n held" is no monotone question and a search by halving lands on an old write.
 */
import type { Identifier } from '../domain/index.js';
import type { Migration } from './migrations.js';
import type { OutboxJob } from './types.js';

/**
 * The newest job of a numbered key and the highest number in use (Store.findNumberedJobs). Asked
 * for one identifier's jobs, `newest` is absent when only other identifiers' jobs hold numbers.
 */
export interface NumberedJobs {
  newest?: OutboxJob;
  highest: number;
}

/**
 * The keys `key`, `key:…` in the order of their numbers, highest first: a longer number is a
 * higher one, and of one length the greater text (digits compare as numbers then).
 */
const HIGHEST_FIRST = 'length(idempotency_key) DESC, idempotency_key DESC';

/**
 * SQLite compares text byte by byte (BINARY), so every `key:…` sorts after `key:` and before
 * `key;` (`;` follows `:`): `key` itself, or that range of the key's index (two index reads, a
 * MULTI-INDEX OR). Not the one range from `key` on: it holds every longer key too (DL-1's would
 * read DL-10's, DL-100's, … to filter them out). Bound with numberedArgs.
 *
 * The range also holds a secondary target's jobs, `key:n|system` (routed-flow acceptRequests: a
 * draft fanned out to a second system); they are no numbers of their own (read as one, draft 2's
 * to DHIS2 was draft 1, and the highest number in use 1: the next draft took number 2, held, and
 * was refused for ever). So a key in the range is one only when nothing after the number's
 * position holds a bar (the position: numberPosition, bound fourth).
 */
const SQLITE_UNDER =
  "(idempotency_key = ? OR (idempotency_key > ? AND idempotency_key < ? AND instr(substr(idempotency_key, ?), '|') = 0))";

export function sqliteNumberedSql(columns: string, mine = false): string {
  if (!mine) return numberedSql(columns, SQLITE_UNDER);
  return identifiersNumberedSql(columns, SQLITE_UNDER, SQLITE_NUMBER, SQLITE_MINE);
}

export function sqliteNumberedArgs(key: string, identifier?: Identifier): (string | number)[] {
  const args = [...numberedArgs(key), numberPosition(key)];
  if (!identifier) return [...args, ...args];
  const mine = [...args, identifier.system, identifier.value];
  // the highest number's key (UNDER, NUMBER), the newest of mine (UNDER, MINE), my highest (UNDER, MINE)
  return [...args, key, numberPosition(key), numberPosition(key), numberPosition(key), ...mine, ...mine];
}

/**
 * A key under `key` that is a draft number as the mediator writes them (`key` itself, or `key:n`,
 * n from 1 to 15 digits, no leading zero). Another delivery's key could fall in the range, as
 * identifier values were not escaped in keys before v68 (`DL-1|in-progress:abc` was the key of a
 * delivery whose value is that; escaped since, domain/business-key.ts, but an older instance
 * still running after the upgrade keys so still): read as a number (1, as keyNumber reads what
 * is none), it was the "highest" whenever it sorted first (longer), and the next draft took a
 * number its own drafts held, refused as taken on every try. A well-formed number another
 * delivery's key holds still counts: it is a key in use, which no draft may take.
 */
const SQLITE_NUMBER =
  "(idempotency_key = ? OR (substr(idempotency_key, ?) GLOB '[1-9]*' AND substr(idempotency_key, ?) NOT GLOB '*[^0-9]*' AND length(substr(idempotency_key, ?)) <= 15))";
const POSTGRES_NUMBER = "(idempotency_key = $1 OR substr(idempotency_key, length($1) + 2) ~ '^[1-9][0-9]{0,14}$')";

/**
 * A job whose payload's identifier is the one asked (a delivery's own, `mine`): another delivery
 * whose value holds the mark (`DL-1|in-progress`, `DL-1|in-progress:2`) has its key in DL-1's
 * range, and read as DL-1's newest draft it was refused as an earlier draft waiting, or taken as
 * the draft sent again. Jobs of every release carry their identifier in the payload.
 */
const SQLITE_MINE =
  "(json_extract(payload, '$.identifier.system') = ? AND json_extract(payload, '$.identifier.value') = ?)";
const POSTGRES_MINE = "(payload->'identifier'->>'system' = $4 AND payload->'identifier'->>'value' = $5)";

/** Where a key's number starts under `key` (1-based, in characters as SQLite counts them: past `key:`). */
function numberPosition(key: string): number {
  return [...key].length + 2;
}

/**
 * PostgreSQL compares text by the database's collation, which need not be byte order (a locale's
 * weighs punctuation apart), so `<` and `>` could miss keys, and a LIKE prefix is read from a
 * collated index only under a C collation (elsewhere every key of the index was read: one full
 * scan of outbox_jobs per draft saved). Its pattern operators (~>~, ~<~) compare bytes, as SQLite
 * does, whatever the collation: the same range, read from v62's index built with the pattern
 * operator class (POSTGRES_NUMBERED_KEYS). Bound with numberedArgs. The number's position is the
 * key's length as the database counts it (length($1)), as substr does: in characters, or in
 * bytes in a SQL_ASCII database, where a position counted in characters began inside a non-ASCII
 * key, at its own bars, and no draft past the first counted.
 */
const POSTGRES_UNDER =
  "(idempotency_key = $1 OR (idempotency_key ~>~ $2 AND idempotency_key ~<~ $3 AND strpos(substr(idempotency_key, length($1) + 2), '|') = 0))";

export function postgresNumberedSql(columns: string, mine = false): string {
  if (!mine) return numberedSql(columns, POSTGRES_UNDER);
  return identifiersNumberedSql(columns, POSTGRES_UNDER, POSTGRES_NUMBER, POSTGRES_MINE);
}

export function postgresNumberedArgs(key: string, identifier?: Identifier): string[] {
  return identifier ? [...numberedArgs(key), identifier.system, identifier.value] : numberedArgs(key);
}

/** `key` itself, then the bounds of the range strictly between `key:` and `key;`. */
function numberedArgs(key: string): string[] {
  return [key, `${key}:`, `${key};`];
}

/**
 * v62: outbox_jobs by key in byte order (text_pattern_ops), for the range above. Built
 * CONCURRENTLY like every index on a table that grows (pg-migrations.ts): writes go on meanwhile.
 * SQLite's key index is in byte order already: a version with nothing to do there.
 */
const NUMBERED_KEYS_VERSION = 62;
const NUMBERED_KEYS_NAME = "outbox: jobs by key in byte order, for a delivery's drafts";

export const SQLITE_NUMBERED_KEYS: Migration = { version: NUMBERED_KEYS_VERSION, name: NUMBERED_KEYS_NAME, sql: '' };

export const POSTGRES_NUMBERED_KEYS: Migration = {
  version: NUMBERED_KEYS_VERSION,
  name: NUMBERED_KEYS_NAME,
  sql: '',
  indexes: [{ name: 'outbox_jobs_key_bytes', on: 'outbox_jobs (idempotency_key text_pattern_ops)' }],
};

/**
 * How far apart two instances' clocks may be: each up to 5 s off PostgreSQL's (store/index.ts
 * MAX_CLOCK_SKEW_MS), so 10 s off each other. A job's created_at is its instance's own clock.
 */
const INSTANCES_SKEW_MS = 10_000;

/**
 * The newest job under the keys, with the highest key in use beside it. Newest: created last, but
 * the highest number's jobs as if created INSTANCES_SKEW_MS later. A new draft is numbered one
 * past the highest, so the highest is the last saved, unless a lower number was taken anew (a
 * refused draft's, numbers retention freed) later than two clocks can differ: by created_at alone,
 * draft 1 stamped by an instance ahead was newer than draft 2 stamped a second later by one behind,
 * and draft 1's content sent again was answered as draft 1, nothing sent, while the upstream held
 * draft 2. Of one instant the higher number, then the greater id: the same answer every time.
 */
function numberedSql(columns: string, under: string): string {
  return `SELECT ${columns}, h.highest_key FROM outbox_jobs,
  (SELECT idempotency_key AS highest_key FROM outbox_jobs WHERE ${under} ORDER BY ${HIGHEST_FIRST} LIMIT 1) h
  WHERE ${under}
  ORDER BY created_at + CASE WHEN idempotency_key = h.highest_key THEN ${INSTANCES_SKEW_MS} ELSE 0 END DESC,
    ${HIGHEST_FIRST}, id DESC LIMIT 1`;
}

/**
 * numberedSql for one identifier's jobs: the highest number in use by any job under the key (a
 * well-formed one, NUMBER), the newest of the identifier's own (MINE), its own highest number's
 * jobs taken as created INSTANCES_SKEW_MS later. Always one row when a number is in use; its job
 * columns are null when none of the jobs is the identifier's.
 */
function identifiersNumberedSql(columns: string, under: string, number: string, mine: string): string {
  const highest = (where: string) =>
    `SELECT idempotency_key FROM outbox_jobs WHERE ${under} AND ${where} ORDER BY ${HIGHEST_FIRST} LIMIT 1`;
  return `SELECT ${columns}, h.highest_key FROM (${highest(number).replace('idempotency_key', 'idempotency_key AS highest_key')}) h
  LEFT JOIN outbox_jobs ON outbox_jobs.id = (SELECT id FROM outbox_jobs WHERE ${under} AND ${mine}
    ORDER BY created_at + CASE WHEN idempotency_key = (${highest(mine)}) THEN ${INSTANCES_SKEW_MS} ELSE 0 END DESC,
      ${HIGHEST_FIRST}, id DESC LIMIT 1)`;
}

/** The number of `numberedKey` under `key`: `key` itself 1, `key:n` n. */
export function keyNumber(key: string, numberedKey: string): number {
  if (numberedKey === key) return 1;
  const n = Number(numberedKey.slice(key.length + 1));
  return Number.isSafeInteger(n) && n > 0 ? n : 1;
}
