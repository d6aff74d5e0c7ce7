import pino, { type Logger, type LoggerOptions } from 'pino';

/**
 * Paths redacted from every log line: credentials in headers, and any field named like a secret
 * in logged objects (config, upstream bodies, errors).
 */
export const redactPaths = [
  'req.headers.authorization', 'req.headers.cookie', 'req.headers["x-api-key"]', 'res.headers["set-cookie"]',
  'headers.authorization', 'headers.Authorization', '*.headers.authorization', '*.headers.Authorization',
  'password', '*.password', '*.*.password', 'clientSecret', '*.clientSecret', 'token', '*.token', 'access_token', '*.access_token',
  'refresh_token', '*.refresh_token', 'secret', '*.secret', 'bearerToken', '*.bearerToken', 'databaseUrl', '*.databaseUrl',
  '["auth.password"]', '["auth.bearerToken"]', '["openlmis.password"]', '["openlmis.clientSecret"]', '["openhim.password"]',
  '["dhis2.password"]', '["msupply.password"]', '["openmrs.password"]', '["store.databaseUrl"]', '["admin.token"]',
];

export function loggerOptions(level: string): LoggerOptions {
  return { level, redact: { paths: redactPaths, censor: '[redacted]' } };
}

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return destination ? pino(loggerOptions(level), destination) : pino(loggerOptions(level));
}
