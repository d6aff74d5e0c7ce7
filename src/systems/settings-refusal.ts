import { ConfigError } from '../config/load.js';

/** Errors that are a bug of ours, never an operator's setting: they keep their stack trace. */
const PROGRAMMING_ERRORS = [TypeError, RangeError, ReferenceError, SyntaxError];

/**
 * A connector refusing the settings it is built or reconfigured from (DHIS2's `dataSet` that is no
 * UID, an OpenMRS user name with a ':') is the operator's to fix, as a bad value of the settings
 * table is: a ConfigError, which the CLI says in one line (`configuration error: …`) rather than
 * a stack trace through the connector set. The message is the connector's own (it names the
 * setting and quotes the value only where it is safe to); the original stays as `cause`.
 */
export function settingsRefusal(err: unknown): unknown {
  if (err instanceof ConfigError || !(err instanceof Error)) return err;
  if (PROGRAMMING_ERRORS.some((type) => err instanceof type)) return err;
  return new ConfigError(err.message, { cause: err });
}
