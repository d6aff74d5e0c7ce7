/**
 * One mediator instance running the RTS → mSupply job once, as its own process, so a test can
 * SIGKILL it mid-run: settings from RTS_SETTINGS (JSON), the store at RTS_DATABASE_URL. Prints the
 * run's outcome when it ends (a killed run prints nothing).
 */
import { Scheduler } from '../../../src/jobs/scheduler.js';
import { openStore } from '../../../src/store/index.js';
import { instanceOn } from './rts-rig.js';

const settings = JSON.parse(process.env.RTS_SETTINGS ?? '{}') as Record<string, string>;
const store = await openStore({ databaseUrl: process.env.RTS_DATABASE_URL });
const instance = instanceOn(store, settings, 'child');
const scheduler = new Scheduler({ store, jobs: [instance.job], expression: () => undefined, instance: 'child' });
const outcome = await scheduler.runNow(instance.job.name);
process.stdout.write(`${JSON.stringify(outcome)}\n`);
await instance.close();
await store.close();
