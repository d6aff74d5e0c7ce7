import type { Registry } from 'prom-client';

/** The metrics of each registry whose values are read from the store when scraped. */
const storeDerived = new WeakMap<Registry, Set<string>>();

/**
 * Marks metrics of `registry` as read from the store at scrape time (outbox depth and age, OpenHIM
 * updates owed): while the database cannot be read they are left out of /metrics and
 * `mediator_store_up` says 0, instead of the whole scrape failing.
 */
export function markStoreDerived(registry: Registry, ...names: string[]): void {
  let marked = storeDerived.get(registry);
  if (!marked) storeDerived.set(registry, (marked = new Set()));
  for (const name of names) marked.add(name);
}

export const STORE_UP = 'mediator_store_up';

/** What a scrape could not collect: each metric left out, and the first reason. */
export interface Unavailable {
  names: string[];
  reason: string;
}

/**
 * The registry's Prometheus text, as Registry.metrics() writes it, except that a metric whose
 * collection fails is left out rather than failing the scrape: prom-client collects every metric
 * in one Promise.all, so one store read refused during a database outage answered /metrics 503
 * and Prometheus lost the process, request and upstream metrics exactly when they matter. Left
 * out (not written as 0) is Prometheus's convention for a value not known: an outbox age of 0
 * would read as healthy. When the registry has store-derived metrics, `mediator_store_up` is 1
 * if this scrape read them all, else 0 (alert on it, as on `up`).
 */
export async function exposition(
  registry: Registry,
  onUnavailable: (unavailable: Unavailable) => void = () => undefined,
): Promise<string> {
  const metrics = registry.getMetricsAsArray();
  const written = await Promise.allSettled(metrics.map((m) => registry.getSingleMetricAsString(m.name)));
  const texts: string[] = [];
  const missing: string[] = [];
  let reason = '';
  written.forEach((result, i) => {
    if (result.status === 'fulfilled') return void texts.push(result.value);
    missing.push(metrics[i].name);
    reason ||= reasonOf(result.reason);
  });
  const derived = storeDerived.get(registry);
  if (derived && derived.size > 0) {
    const up = missing.some((name) => derived.has(name)) ? 0 : 1;
    texts.push(
      `# HELP ${STORE_UP} 1 when this scrape read the store-derived metrics (outbox, OpenHIM updates); 0 when the database could not be read and they are left out\n# TYPE ${STORE_UP} gauge\n${STORE_UP} ${up}`,
    );
  }
  if (missing.length > 0) onUnavailable({ names: missing, reason });
  return `${texts.join('\n\n')}\n`;
}

/** An error's code or class, for the log: never its message, which may quote the connection. */
function reasonOf(err: unknown): string {
  const e = err as { code?: unknown; name?: unknown } | undefined;
  return String(e?.code ?? e?.name ?? 'error');
}
