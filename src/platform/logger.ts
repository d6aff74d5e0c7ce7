import pino, { type Logger, type LoggerOptions } from 'pino';
import { secretKeys } from '../config/settings.js';
import { processRedactor, type Redactor } from './redaction.js';

/**
 * Paths redacted from every log line: credentials in headers, and any field named like a secret
 * in logged objects (config, upstream bodies, errors).
 */
export const redactPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.Authorization',
  '*.headers.authorization',
  '*.headers.Authorization',
  'password',
  '*.password',
  '*.*.password',
  'clientSecret',
  '*.clientSecret',
  'token',
  '*.token',
  'access_token',
  '*.access_token',
  'refresh_token',
  '*.refresh_token',
  'secret',
  '*.secret',
  'bearerToken',
  '*.bearerToken',
  'databaseUrl',
  '*.databaseUrl',
  // every secret setting, whether a settings object is logged at the top level or one level down
  ...secretKeys().flatMap((key) => [`["${key}"]`, `*["${key}"]`]),
];

/**
 * Paths catch secrets by field name; the stream hook catches them by value, in the serialized
 * line (messages, error text an upstream echoed, any nesting), as the last step before the write.
 */
export function loggerOptions(level: string, redactor: Redactor = processRedactor): LoggerOptions {
  return {
    level,
    redact: { paths: redactPaths, censor: '[redacted]' },
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
