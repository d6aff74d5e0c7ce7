import { isDatabaseAway } from '../store/database-away.js';
import { describeError } from './errors.js';
import type { OutboxLogger } from './types.js';

/** How often a worker says again that the database is still away. */
export const STILL_AWAY_EVERY_MS = 60_000;

/** What a periodic pass says of an outage of the database (its start, a reminder, its end) and of any other failure. */
export interface OutageWords {
  away: string;
  still: string;
  back: string;
  failed: string;
}

export const OUTBOX_OUTAGE_WORDS: OutageWords = {
  away: 'outbox: the database is away; deliveries wait until it is back',
  still: 'outbox: the database is still away',
  back: 'outbox: the database is back; deliveries resume',
  failed: 'outbox worker pass failed',
};

/** A logger without `error` says other failures as warnings (the OpenHIM update sweep's). */
export type OutageLogger = Pick<OutboxLogger, 'info' | 'warn'> & Partial<Pick<OutboxLogger, 'error'>>;

/**
 * What the outbox worker logs while the mediator's own database is away. Its loop looks for due
 * jobs every pollMs (1 s by default); with PostgreSQL stopped each look failed and logged an
 * error with a stack, sixty a minute for as long as the outage lasted. Now an outage is one
 * warning when it starts, a reminder each STILL_AWAY_EVERY_MS with how long it has lasted, and
 * one line when a look succeeds again. Any other failure of a pass is still an error each time:
 * that one is a bug to see. The OpenHIM transaction update sweep, a pass every 2 s, says its
 * outages the same way, in its own words.
 */
export class StoreOutageLog {
  private awaySince: number | undefined;
  private lastSaid = 0;

  constructor(
    private readonly logger: OutageLogger,
    private readonly now: () => number = Date.now,
    private readonly words: OutageWords = OUTBOX_OUTAGE_WORDS,
  ) {}

  /** A worker pass failed with `err`. */
  failed(err: unknown): void {
    if (!isDatabaseAway(err)) {
      (this.logger.error ?? this.logger.warn).call(this.logger, { err: describeError(err) }, this.words.failed);
      return;
    }
    const now = this.now();
    if (this.awaySince === undefined) {
      this.awaySince = now;
      this.lastSaid = now;
      this.logger.warn({ err: describeError(err) }, this.words.away);
    } else if (now - this.lastSaid >= STILL_AWAY_EVERY_MS) {
      this.lastSaid = now;
      this.logger.warn({ awayMs: now - this.awaySince }, this.words.still);
    }
  }

  /** A worker pass completed. */
  passed(): void {
    if (this.awaySince === undefined) return;
    const awayMs = this.now() - this.awaySince;
    this.awaySince = undefined;
    this.logger.info({ awayMs }, this.words.back);
  }
}
