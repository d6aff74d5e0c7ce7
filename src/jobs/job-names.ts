import { settingDefs } from '../config/settings.js';

const SCHEDULE = 'schedules.';

/**
 * The names of the mediator's jobs, known without building them (no store, no connectors): each
 * job's schedule is the setting `schedules.<name>` (ScheduledJob.setting). `jobs run` answers a
 * name that is none of these at once, before asking for a database or pointing at a demo's job.
 */
export function jobNames(): string[] {
  return settingDefs.filter((d) => d.key.startsWith(SCHEDULE)).map((d) => d.key.slice(SCHEDULE.length));
}
