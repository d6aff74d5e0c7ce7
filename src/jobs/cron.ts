import { Cron } from 'croner';

/**
 * Cron expressions of the `schedules.*` settings, parsed by croner
 * (https://github.com/Hexagon/croner): five fields (minute hour day month weekday), or six with
 * seconds first. Evaluated in the process's time zone (TZ), like cron itself.
 */
function parse(expression: string): Cron {
  // paused: croner only computes times here; the scheduler owns the timers
  return new Cron(expression, { paused: true, mode: '5-or-6-parts' });
}

/**
 * The word that turns a scheduled job off (`SCHEDULE_OUTBOX_PRUNE=off`): it then runs only by
 * hand (`cli jobs run`, the admin API). Not the empty value: an empty setting is an unset one,
 * as for every setting (config/load.ts), so a deployment template that leaves a variable empty
 * keeps the default schedule rather than silently stopping a job.
 */
export const SCHEDULE_OFF = 'off';

/** Whether a schedule setting's value turns its job off (SCHEDULE_OFF, in any case). */
export function isScheduleOff(value: unknown): boolean {
  return typeof value === 'string' && value.trim().toLowerCase() === SCHEDULE_OFF;
}

/** Why an expression is refused, or undefined when it is a valid schedule. */
export function cronProblem(expression: string): string | undefined {
  try {
    const cron = parse(expression);
    if (cron.nextRun(new Date()) === null) return 'it never fires';
    return undefined;
  } catch (err) {
    // croner quotes the expression back ("invalid configuration format ('…')"); the caller decides
    // whether the value may be shown (it may be a secret pasted into the wrong setting)
    return (err as Error).message
      .replace(/^CronPattern: /, '')
      .split(expression)
      .join('…');
  }
}

/** The first fire time strictly after `after` (epoch ms), or undefined if there is none. */
export function nextFire(expression: string, after: number): number | undefined {
  return parse(expression).nextRun(new Date(after))?.getTime();
}
