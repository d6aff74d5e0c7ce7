import type { Settings } from '../config/settings.js';
import type { BreakerOptions } from './breakers.js';

/**
 * Each system's circuit breaker from the settings: outbox.breakerFailures failures in a row open
 * it for outbox.breakerOpenMs. The server's outbox and a CLI command's take the same, so a bridge
 * run by hand holds back from a down system as the server would.
 */
export function breakerOptionsFrom(s: Settings): BreakerOptions {
  return {
    consecutiveFailures: Number(s['outbox.breakerFailures']),
    halfOpenAfterMs: Number(s['outbox.breakerOpenMs']),
  };
}
