import { isDatabaseAway } from '../store/database-away.js';
import { describeError } from './errors.js';
import type { OutboxLogger } from './types.js';

/** How often a worker says again that the database is still away. */
export const STILL_AWAY_EVERY_MS = 60_000;

/**
 * What the outbox worker logs while the mediator's own database is away. Its loop looks for due
 * jobs every pollMs (1 s by default); with PostgreSQL stopped each look failed and logged an
 * error with a stack, sixty a minute for as long as the outage lasted. Now an outage is one
 * warning when it starts, a reminder each STILL_AWAY_EVERY_MS with how long it has lasted, and
 * one line when a look succeeds again. Any other failure of a pass is still an error each time:
 * that one is a bug to see.
 */
export class StoreOutageLog {
  private awaySince: number | undefined;
  private lastSaid = 0;

  constructor(
    private readonly logger: OutboxLogger,
    private readonly now: () => number = Date.now,
  ) {}

  /** A worker pass failed with `err`. */
  failed(err: unknown): void {
    if (!isDatabaseAway(err)) {
      this.logger.error({ err: describeError(err) }, 'outbox worker pass failed');
      return;
    }
    const now = this.now();
    if (this.awaySince === undefined) {
      this.awaySince = now;
      this.lastSaid = now;
      this.logger.warn({ err: describeError(err) }, 'outbox: the database is away; deliveries wait until it is back');
    } else if (now - this.lastSaid >= STILL_AWAY_EVERY_MS) {
      this.lastSaid = now;
      this.logger.warn({ awayMs: now - this.awaySince }, 'outbox: the database is still away');
    }
  }

  /** A worker pass completed. */
  passed(): void {
    if (this.awaySince === undefined) return;
    const awayMs = this.now() - this.awaySince;
    this.awaySince = undefined;
    this.logger.info({ awayMs }, 'outbox: the database is back; deliveries resume');
  }
}
