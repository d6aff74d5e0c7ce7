import { Writable } from 'node:stream';
import { createLogger } from '../../src/platform/logger.js';

/** A pino line as the mediator writes it (level as pino's number: 20 debug, 30 info, 40 warn). */
export interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

/**
 * The mediator's own logger (pino, with its redaction at the write) at debug level, into memory:
 * `raw` holds each line exactly as it would reach stdout, `lines` the same parsed.
 */
export function logLines(): { logger: ReturnType<typeof createLogger>; raw: string[]; lines: () => LogLine[] } {
  const raw: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      raw.push(String(chunk));
      done();
    },
  });
  const logger = createLogger('debug', sink);
  return { logger, raw, lines: () => raw.map((l) => JSON.parse(l) as LogLine) };
}
