import { Counter, type Registry } from 'prom-client';
import type { MarkHeld } from './feed.js';

/** A held mark as the client tells it: which registry, and since when (this process) it is held there. */
export interface MarkHeldReport extends MarkHeld {
  /** The registry's FHIR base, without credentials, query or fragment. */
  registry: string;
  /** When this process first found the mark held at `mark` (ISO instant). */
  heldSince: string;
}

const WHY: Record<MarkHeld['reason'], string> = {
  'list-moved': 'the registry ignores _sort and its list moved during each whole read',
  'kept-changing': 'Locations read kept changing under each search from the mark',
  uncounted:
    'the registry gives no counts (no Bundle.total, no _summary=count), so no read of more than one page is proven whole',
};

/** The registry's base for a log line: a URL with `user:password@` or a token in its query never reaches it. */
export function registryName(baseUrl: string): string {
  try {
    const u = new URL(baseUrl);
    u.username = '';
    u.password = '';
    u.search = '';
    u.hash = '';
    return u.toString().replace(/\/+$/, '');
  } catch {
    return 'registry';
  }
}

/**
 * Remembers since when the mark has been held: the same mark held pull after pull keeps its first
 * time, so a log line tells how long the feed has stalled, not just that this pull did.
 */
export function heldSinceTracker(now: () => Date = () => new Date()): (mark: string | undefined) => string {
  let held: { mark: string | undefined; since: string } | undefined;
  return (mark) => {
    if (!held || held.mark !== mark) held = { mark, since: now().toISOString() };
    return held.since;
  };
}

/**
 * Logs each held mark as a warning: a registry that holds the mark on every pull is a feed that has
 * stopped. The server's reporter below also counts it; `jobs run propagate` by hand has no /metrics,
 * so the CLI logs it alone (on stderr), and an operator running the pull learns the mark is held.
 */
export function markHeldWarner(logger: { warn(obj: object, msg: string): void }): (held: MarkHeldReport) => void {
  return (held) =>
    logger.warn(
      { registry: held.registry, reason: held.reason, mark: held.mark ?? null, heldSince: held.heldSince },
      `registry feed: the high-water mark is held at ${held.mark ?? 'the start'} since ${held.heldSince} (${WHY[held.reason]}): the next pull reads again from it, and a registry doing this on every pull never lets it move`,
    );
}

/**
 * Counts each held mark on /metrics (`mediator_registry_mark_held_total`, by reason: list_moved,
 * kept_changing, uncounted) and logs it as a warning (markHeldWarner): an operator alerts on a counter that
 * keeps rising.
 */
export function markHeldReporter(
  registry: Registry,
  logger: { warn(obj: object, msg: string): void },
  prefix = 'mediator_',
): (held: MarkHeldReport) => void {
  const counter = new Counter({
    name: `${prefix}registry_mark_held_total`,
    help: "Registry pulls that ended with the change feed's high-water mark kept where it was, by reason (list_moved: a registry ignoring _sort whose list moved during each whole read; kept_changing: a search from the mark issued again 10 times; uncounted: a registry giving no counts read past one page)",
    labelNames: ['reason'],
    registers: [registry],
  });
  const warn = markHeldWarner(logger);
  return (held) => {
    counter.inc({ reason: held.reason.replace('-', '_') });
    warn(held);
  };
}
