/**
 * Writes numbered under one key: `key` is the first, `key:2`, `key:3`, … the next (a delivery's
 * drafts, routing/delivery-drafts.ts). The newest of them and the highest number in use are read
 * in one query, not by probing number after number: numbers have holes (retention deleted old
 * ones, an operator dropped one) and are reused (a rejected write's key is free again), so "is
 * number n held" is no monotone question and a search by halving lands on an old write.
 */
import type { OutboxJob } from './types.js';

/** The newest job of a numbered key and the highest number in use (Store.findNumberedJobs). */
export interface NumberedJobs {
  newest: OutboxJob;
  highest: number;
}

/**
 * The keys `key`, `key:…` in the order of their numbers, highest first: a longer number is a
 * higher one, and of one length the greater text (digits compare as numbers then).
 */
const HIGHEST_FIRST = 'length(idempotency_key) DESC, idempotency_key DESC';

/**
 * SQLite compares text byte by byte (BINARY), so every `key:…` sorts after `key:` and before
 * `key;` (`;` follows `:`): one range of the key's index, then `key` itself or past `key:`.
 * Bound with sqliteNumberedArgs.
 */
const SQLITE_UNDER = 'idempotency_key >= ? AND idempotency_key < ? AND (idempotency_key = ? OR idempotency_key > ?)';

export function sqliteNumberedSql(columns: string): string {
  return numberedSql(columns, SQLITE_UNDER);
}

export function sqliteNumberedArgs(key: string): string[] {
  const under = [key, `${key};`, key, `${key}:`];
  return [...under, ...under];
}

/**
 * PostgreSQL compares text by the database's collation, which need not be byte order (a locale's
 * weighs punctuation apart), so a range could miss keys: `key` itself or LIKE `key:%` (wildcards
 * in the key escaped), which the planner turns into a range of the key's index where the
 * collation allows it. Bound with postgresNumberedArgs ($1 the key, $2 the pattern).
 */
export function postgresNumberedSql(columns: string): string {
  return numberedSql(columns, `(idempotency_key = $1 OR idempotency_key LIKE $2 ESCAPE '\\')`);
}

export function postgresNumberedArgs(key: string): string[] {
  return [key, `${key.replace(/[\\%_]/g, (c) => `\\${c}`)}:%`];
}

/**
 * The newest job under the keys (created last; of one millisecond the higher number, then the
 * greater id, so the answer is the same every time), with the highest key in use beside it.
 */
function numberedSql(columns: string, under: string): string {
  return `SELECT ${columns}, (SELECT idempotency_key FROM outbox_jobs WHERE ${under} ORDER BY ${HIGHEST_FIRST} LIMIT 1) AS highest_key
  FROM outbox_jobs WHERE ${under} ORDER BY created_at DESC, ${HIGHEST_FIRST}, id DESC LIMIT 1`;
}

/** The number of `numberedKey` under `key`: `key` itself 1, `key:n` n. */
export function keyNumber(key: string, numberedKey: string): number {
  if (numberedKey === key) return 1;
  const n = Number(numberedKey.slice(key.length + 1));
  return Number.isSafeInteger(n) && n > 0 ? n : 1;
}
