import { checkWithin } from '../platform/health.js';
import type { Connector } from '../routing/ports.js';

/** How long a system's readiness check may take before it counts as not answering. */
export const PING_TIMEOUT_MS = 10_000;

/**
 * Whether the connector's readiness check (its ping) passes now: false past PING_TIMEOUT_MS. True
 * for a system that cannot be asked (no connector configured for it, or one without a ping): read
 * as false, its write held at its last attempt was held for ever, never dead-lettered and never
 * shown to an operator. Nothing says such a system is down, so its write is treated as before the
 * hold existed: held uncharged up to the bound a breaker would give it (last-attempt-hold.ts),
 * then dead-lettered with its own last error.
 */
async function pingAnswers(connector: Connector | undefined): Promise<boolean> {
  if (!connector?.ping) return true;
  return checkWithin(connector.ping(), PING_TIMEOUT_MS).then(
    () => true,
    () => false,
  );
}

/**
 * The outbox's systemAnswers (Outbox deps) over the configured connectors: a write held at its
 * last attempt is charged past its bound only while its system answers /ready's check
 * (outbox/last-attempt-hold.ts). The server's outbox and a CLI command's ask the same: without
 * it a CLI's write at its last attempt was dead-lettered in an outage the server would hold.
 */
export function systemAnswersOf(connectors: () => Connector[]): (system: string) => Promise<boolean> {
  return (system) => pingAnswers(connectors().find((c) => c.system === system));
}
