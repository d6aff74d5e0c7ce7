import { InvalidArgumentError } from 'commander';

/**
 * A `--port <port>` value (the demo's and each sandbox's, their environment variables too through
 * `.env()`): whole digits, 0..65535, 0 for any free port. Number() alone took `abc` as NaN (the
 * settings then said "server.port must be a number, got 'NaN'"), and an empty value, `1e3` or
 * `0x50` as a port. commander prints the refusal as one usage line naming the flag or variable and
 * the value, exit 1, before anything starts.
 */
export function portArgument(value: string): string {
  if (!/^\s*\d+\s*$/.test(value) || Number(value) > 65535) throw new InvalidArgumentError('give a port, 0..65535.');
  return String(Number(value));
}
