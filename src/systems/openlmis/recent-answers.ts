/**
 * What OpenLMIS answered this connector a moment ago, kept for a few seconds so the same question
 * is not asked twice within one write (issue 18: an order cost 10 upstream calls where 5 do).
 * Two uses: the precheck's periodsForInitiate answer serves the write's find-period step a few
 * milliseconds later, and the requisition as the write step last saw it (the fill PUT's answer
 * with the submit's status) serves the read-back that answers the client.
 *
 * Only answers of this process are kept, never beyond RECENT_MS, and the writes that change an
 * answer drop it (an initiate drops its facility/program's periods). Nothing here decides whether
 * a write may adopt a requisition: the initiate step always searches afresh under its lock.
 */
import { deepFreeze } from '../../platform/deep-freeze.js';

export const RECENT_MS = 5_000;
/** Bound on entries: a burst of orders never grows this beyond a few hundred small objects. */
const MAX_ENTRIES = 1_000;

export class RecentAnswers {
  private readonly entries = new Map<string, { value: unknown; until: number }>();

  constructor(
    private readonly ttlMs = RECENT_MS,
    private readonly now: () => number = Date.now,
  ) {}

  remember(key: string, value: unknown): void {
    this.keep(key, structuredClone(value));
  }

  /**
   * Like remember, for a value the caller only reads from now on (an answer just parsed): frozen
   * all the way down in place, so peek() can hand out the value itself. Freezing walks it once;
   * remember + peek cloned it two or three times per order (~1.4 % of the mediator's CPU per
   * order in bench:openlmis, issue 18), and a frozen value cannot be changed by any reader.
   */
  share(key: string, value: unknown): void {
    this.keep(key, deepFreeze(value));
  }

  /**
   * Like remember, for a value the caller hands over and never touches again (a requisition it
   * has just built for the read-back): kept as is, without the ~100-200 µs clone of a requisition
   * (issue 18). Meant for take(), which hands it on once; peek() still gives copies.
   */
  keep(key: string, value: unknown): void {
    this.prune();
    this.entries.delete(key);
    this.entries.set(key, { value, until: this.now() + this.ttlMs });
  }

  /**
   * The answer if still fresh, left in place (several prechecks of one Bundle may ask): a copy,
   * or the shared value itself when it is frozen (nobody can change it).
   */
  peek<T>(key: string): T | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.until <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return (Object.isFrozen(e.value) ? e.value : structuredClone(e.value)) as T;
  }

  /**
   * The answer if still fresh, removed: it serves once (the read-back right after a write). The
   * kept copy itself is handed over, not cloned again: it was cloned when remembered, and once
   * removed nobody else can reach it (a requisition's clone is ~100 µs of an order's CPU).
   */
  take<T>(key: string): T | undefined {
    const e = this.entries.get(key);
    this.entries.delete(key);
    return e && e.until > this.now() ? (e.value as T) : undefined;
  }

  forget(key: string): void {
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }

  private prune(): void {
    const now = this.now();
    // one TTL for all, and a remembered key goes to the end: Map order is expiry order, so the
    // expired are at the front (issue 18: walking every entry on each remember was O(entries))
    for (const [key, e] of this.entries) {
      if (e.until > now) break;
      this.entries.delete(key);
    }
    // oldest first (Map keeps insertion order): drop the oldest when still too many
    while (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value as string);
  }
}
