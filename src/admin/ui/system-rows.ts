import type { ReadinessCheck } from '../../platform/health.js';
import type { CallStats } from '../call-stats.js';
import type { SystemRow } from './systems-page.js';

/** Longest reason shown for a system down: an upstream's whole HTML error page would bury the table. */
const REASON_CHARS = 300;

/** Why a readiness check failed, on one line: whatever it threw (not always an Error), cut to length. */
function downReason(err: unknown): string {
  const text = (err instanceof Error ? err.message : String(err)).replace(/\s+/g, ' ').trim() || 'no reason given';
  return text.length > REASON_CHARS ? `${text.slice(0, REASON_CHARS)}…` : text;
}

async function runChecks(checks: ReadinessCheck[], timeoutMs = 3000) {
  return Promise.all(
    checks.map(async (c) => {
      try {
        await Promise.race([
          c.check(),
          new Promise((_, reject) =>
            setTimeout(() => reject(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs).unref(),
          ),
        ]);
        return { name: c.name, status: 'ok' as const };
      } catch (err) {
        // as /ready: an advisory check failing leaves the mediator ready
        return {
          name: c.name,
          status: c.advisory ? ('degraded' as const) : ('down' as const),
          reason: downReason(err),
        };
      }
    }),
  );
}

/**
 * The systems view's rows: each system a readiness check or a circuit breaker names, with its
 * check's outcome now (a check that does not answer in time is down), its breaker and its calls.
 */
export async function systemRows(
  readiness: ReadinessCheck[],
  breakers: Record<string, NonNullable<SystemRow['breaker']>>,
  calls?: CallStats,
): Promise<SystemRow[]> {
  const checks = await runChecks(readiness);
  const names = [...new Set([...checks.map((c) => c.name), ...Object.keys(breakers)])];
  return names.map((name) => {
    const ready = checks.find((c) => c.name === name);
    return {
      name,
      ready: ready
        ? { status: ready.status, reason: ready.status === 'ok' ? undefined : ready.reason }
        : { status: 'ok' },
      breaker: breakers[name],
      calls: calls?.of(name),
    };
  });
}
