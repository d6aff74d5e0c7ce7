import { observeUpstreamCalls, type UpstreamCall } from '../platform/call-recording.js';

export interface SystemCallStats {
  calls: number;
  /** Share of calls with no answer or a 5xx/429 answer, 0..1. */
  errorRate: number;
  medianMs: number;
  p95Ms: number;
  lastAt?: string;
}

const ms = (t: Date | number) => (typeof t === 'number' ? t : t.getTime());

/**
 * Recent latency and error rate per upstream system: the last `window` calls of each, as the
 * shared transport reports them (src/platform/call-recording.ts observers). In-process only.
 */
export class CallStats {
  private readonly recent = new Map<string, { ms: number; failed: boolean; at: number }[]>();
  private readonly stop: () => void;

  constructor(private readonly window = 200) {
    this.stop = observeUpstreamCalls((call) => this.record(call));
  }

  record(call: UpstreamCall): void {
    if (!call.system || call.endedAt === undefined) return;
    const list = this.recent.get(call.system) ?? [];
    const status = call.response?.status;
    list.push({
      ms: ms(call.endedAt) - ms(call.startedAt),
      failed: status === undefined || status >= 500 || status === 429,
      at: ms(call.endedAt),
    });
    if (list.length > this.window) list.shift();
    this.recent.set(call.system, list);
  }

  of(system: string): SystemCallStats | undefined {
    const list = this.recent.get(system);
    if (!list?.length) return undefined;
    const sorted = list.map((c) => c.ms).sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
    return {
      calls: list.length,
      errorRate: list.filter((c) => c.failed).length / list.length,
      medianMs: at(0.5),
      p95Ms: at(0.95),
      lastAt: new Date(list[list.length - 1].at).toISOString(),
    };
  }

  close(): void {
    this.stop();
  }
}
