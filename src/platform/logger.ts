import pino, { type Logger, type LoggerOptions } from 'pino';
import { secretKeys } from '../config/settings.js';

/**
 * Paths redacted from every log line: credentials in headers, and any field named like a secret
 * in logged objects (config, upstream bodies, errors).
 */
export const redactPaths = [
  'req.headers.authorization', 'req.headers.cookie', 'req.headers["x-api-key"]', 'res.headers["set-cookie"]',
  'headers.authorization', 'headers.Authorization', '*.headers.authorization', '*.headers.Authorization',
  'password', '*.password', '*.*.password', 'clientSecret', '*.clientSecret', 'token', '*.token', 'access_token', '*.access_token',
  'refresh_token', '*.refresh_token', 'secret', '*.secret', 'bearerToken', '*.bearerToken', 'databaseUrl', '*.databaseUrl',
  // every secret setting, whether a settings object is logged at the top level or one level down
  ...secretKeys().flatMap((key) => [`["${key}"]`, `*["${key}"]`]),
];

export function loggerOptions(level: string): LoggerOptions {
  return { level, redact: { paths: redactPaths, censor: '[redacted]' } };
}

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return destination ? pino(loggerOptions(level), destination) : pino(loggerOptions(level));
}
