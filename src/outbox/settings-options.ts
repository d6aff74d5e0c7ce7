import type { Settings } from '../config/settings.js';
import { breakerOptionsFrom } from './breaker-settings.js';
import type { OutboxSettings } from './outbox.js';

/**
 * The outbox's options from the settings: the server's outbox and a CLI command's (a bridge,
 * `jobs run`) take the same, so a write accepted by hand gets the configured attempt timeout,
 * lease, backoff and attempt budget. The CLI's took only the deadline and the breaker: its first
 * attempts ran under the default budget, timeout and lease whatever was configured.
 */
export function outboxOptionsFrom(settings: Settings): OutboxSettings {
  return {
    deadlineMs: Number(settings['outbox.deadlineMs']),
    attemptTimeoutMs: Number(settings['outbox.attemptTimeoutMs']),
    settleMs: Number(settings['outbox.settleMs']),
    leaseMs: Number(settings['outbox.leaseMs']),
    backoff: {
      baseMs: Number(settings['outbox.backoffBaseMs']),
      capMs: Number(settings['outbox.backoffCapMs']),
      maxAttempts: Number(settings['outbox.maxAttempts']),
    },
    breaker: breakerOptionsFrom(settings),
  };
}
