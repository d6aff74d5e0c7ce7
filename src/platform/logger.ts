import pino, { type Logger, type LoggerOptions } from 'pino';
import { censorCredentialFields } from './log-fields.js';
import { processRedactor, type Redactor } from './redaction.js';

/**
 * Two rules, each applied once per line: fields named like a credential are censored when the
 * line's object is formatted (log-fields.ts), and every known secret value, in any form, is
 * masked by the one redaction point in the serialized line, the last step before the write (so
 * messages, error text an upstream echoed and any nesting are covered).
 */
export function loggerOptions(level: string, redactor: Redactor = processRedactor): LoggerOptions {
  return {
    level,
    formatters: { log: (object) => censorCredentialFields(object) },
    hooks: { streamWrite: (line) => redactor.redact(line) },
  };
}

export function createLogger(
  level: string,
  destination?: pino.DestinationStream,
  redactor: Redactor = processRedactor,
): Logger {
  return destination ? pino(loggerOptions(level, redactor), destination) : pino(loggerOptions(level, redactor));
}
