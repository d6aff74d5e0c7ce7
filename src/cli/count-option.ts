import { InvalidArgumentError } from 'commander';
import { MAX_OFFSET } from '../admin/offset-schema.js';

/**
 * A `--limit <n>` value: a whole number of at least 1. Number.parseInt alone let `abc` through as
 * NaN (a datatype error and a stack from the database) and `-1` as "no limit" on SQLite but an
 * error on PostgreSQL; commander prints this refusal as one usage line, exit 1.
 */
export function countOption(value: string): number {
  if (!/^\s*\d+\s*$/.test(value) || Number(value) < 1)
    throw new InvalidArgumentError('give a whole number of at least 1.');
  return Number(value);
}

/**
 * An `--offset <n>` value: a whole number of at least 0, at most the admin lists' bound (`?offset=`
 * of the same list takes the same), refused as one usage line like `--limit`.
 */
export function offsetOption(value: string): number {
  if (!/^\s*\d+\s*$/.test(value) || Number(value) > MAX_OFFSET)
    throw new InvalidArgumentError(`give a whole number from 0 to ${MAX_OFFSET}.`);
  return Number(value);
}
