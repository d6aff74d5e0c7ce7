import type { Store } from '../store/types.js';
import { redact } from '../platform/redaction.js';

export interface ScheduledJob {
  /** Unique name: the advisory-lock key and the row in `schedules`. */
  name: string;
  everyMs: number;
  run: () => Promise<void>;
}

export interface SchedulerLogger {
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export type TickResult = 'ran' | 'not-due' | 'locked' | 'failed';

/**
 * Runs periodic jobs (bridges, registry pulls) once per interval across all instances: each tick
 * takes the job's advisory lock (PostgreSQL; a no-op on SQLite, where one process owns the
 * store), then runs only if the last recorded run is at least `everyMs` old. The lock stops two
 * instances running at once; the recorded time stops them running one after the other.
 */
export class Scheduler {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly running = new Set<Promise<unknown>>();

  constructor(private readonly store: Store, private readonly logger?: SchedulerLogger) {}

  async tick(job: ScheduledJob, now = Date.now()): Promise<TickResult> {
    const locked = await this.store.withAdvisoryLock(`schedule:${job.name}`, async (): Promise<TickResult> => {
      const last = await this.store.getSchedule(job.name);
      if (last?.lastRunAt !== undefined && now - last.lastRunAt < job.everyMs) return 'not-due';
      await this.store.putSchedule({ name: job.name, lastRunAt: now, lastStatus: 'running' });
      try {
        await job.run();
        await this.store.putSchedule({ name: job.name, lastRunAt: now, lastStatus: 'ok' });
        return 'ran';
      } catch (err) {
        // stored and shown later: an upstream's echo of a credential is masked before it is kept
        const message = redact(err instanceof Error ? err.message : String(err));
        await this.store.putSchedule({ name: job.name, lastRunAt: now, lastStatus: 'failed', lastError: message.slice(0, 500) });
        this.logger?.error({ job: job.name, err: message }, 'scheduled job failed');
        return 'failed';
      }
    });
    return locked.ran ? locked.value : 'locked';
  }

  /** Check every `checkMs` (default a tenth of the interval, at most a minute) whether the job is due. */
  start(job: ScheduledJob, checkMs = Math.min(60_000, Math.max(1_000, Math.floor(job.everyMs / 10)))): void {
    if (this.timers.has(job.name)) throw new Error(`scheduled job ${job.name} already started`);
    const loop = () => {
      const p = this.tick(job).catch((err) => this.logger?.error({ job: job.name, err: String(err) }, 'scheduler tick failed'))
        .finally(() => {
          this.running.delete(p);
          if (this.timers.has(job.name)) this.timers.set(job.name, setTimeout(loop, checkMs));
        });
      this.running.add(p);
    };
    this.timers.set(job.name, setTimeout(loop, 0));
  }

  async stop(): Promise<void> {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    await Promise.allSettled([...this.running]);
  }
}
