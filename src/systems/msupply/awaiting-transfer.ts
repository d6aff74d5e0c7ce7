import { UpstreamError } from '../../domain/errors.js';
import type { StepJournal } from '../../routing/ports.js';
import { MSUPPLY } from './identifiers.js';

/**
 * A receipt whose inbound shipment Open mSupply has not made yet: the transfer processor runs on
 * the receiving store's site once the supplier's outbound shipment reached it by sync, and a
 * remote site syncs when it is online (hours, days). Charged like a failure, the receipt was
 * dead-lettered after the outbox's maxAttempts (minutes to hours of backoff): an accepted write
 * lost to a slow sync. So it waits uncharged (`retryAt`, outbox/failures.ts), looking again every
 * TRANSFER_LOOK_AGAIN_MS, for up to TRANSFER_WAIT_LIMIT_MS from its first wait (journaled, so
 * the bound holds across attempts and restarts); past that it is charged again, and given up with
 * its reason for an operator once its attempts run out (a site that never syncs, a shipment
 * deleted before it left).
 */
export const TRANSFER_LOOK_AGAIN_MS = 15 * 60_000;
export const TRANSFER_WAIT_LIMIT_MS = 14 * 24 * 60 * 60_000;

/** Waiting for the transfer within the bound: held until `retryAt`, never charged. */
export class AwaitingTransfer extends UpstreamError {
  readonly retryAt: number;
  constructor(reason: string, since: number, now: number) {
    super({
      system: MSUPPLY,
      transient: true,
      upstreamStatus: 503,
      diagnostics: `${reason} (waiting for the receiving site's sync since ${new Date(since).toISOString()})`,
    });
    this.retryAt = now + TRANSFER_LOOK_AGAIN_MS;
  }
}

/** The error for a receipt still without its inbound shipment: held within the bound, charged past it. */
export async function awaitingTransfer(journal: StepJournal, reason: string, now = Date.now()): Promise<UpstreamError> {
  const since = await journal.run('awaiting-transfer', async () => now);
  if (now - since < TRANSFER_WAIT_LIMIT_MS) return new AwaitingTransfer(reason, since, now);
  return new UpstreamError({
    system: MSUPPLY,
    transient: true,
    diagnostics: `${reason}, after waiting for the receiving site's sync since ${new Date(since).toISOString()} (longer than ${TRANSFER_WAIT_LIMIT_MS / 86_400_000} days)`,
  });
}
