/** Cron expressions of the schedules.* settings are checked where every setting is: a bad one stops start-up, or is refused live. */
import t from 'tap';
import { ConfigError, loadSettings, mergeSettings, validateSettings } from '../../../src/config/load.js';
import { cronProblem, nextFire } from '../../../src/jobs/cron.js';

const env = (extra: Record<string, string>) => ({ AUTH_MODE: 'off', ...extra }) as NodeJS.ProcessEnv;

t.test('a bad expression stops start-up naming the setting and the reason', async (t) => {
  const cases: [string, RegExp][] = [
    ['61 * * * *', /minute/],
    ['every monday', /five, six, or seven/],
    ['30 2 * * 1 * 2026', /five, six, or seven|parts/],
    ['0 0 31 2 *', /never fires|day/],
  ];
  for (const [value, reason] of cases) {
    const err = (() => {
      try {
        loadSettings(env({ SCHEDULE_RECONCILE: value }));
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    t.ok(err instanceof ConfigError, `${value}: a ConfigError`);
    const named = /^schedules\.reconcile \(SCHEDULE_RECONCILE\) is not a cron expression: /;
    t.match((err as Error).message, named, `${value}: names the setting`);
    t.match((err as Error).message, reason, `${value}: says why`);
    t.match((err as Error).message, value, `${value}: quotes the value`);
  }
});

t.test('valid expressions pass: five fields, six with seconds, the default', async (t) => {
  t.equal(loadSettings(env({}))['schedules.reconcile'], '30 2 * * 1', 'default kept');
  t.equal(loadSettings(env({ SCHEDULE_RECONCILE: '*/10 * * * * *' }))['schedules.reconcile'], '*/10 * * * * *');
  t.equal(cronProblem('0 4 1 * *'), undefined);
});

t.test('a bad expression pushed live (OpenHIM layer) is refused like at start-up', async (t) => {
  const base = loadSettings(env({}));
  const next = mergeSettings(base, { 'schedules.reconcile': '0 25 * * *' }, 'OpenHIM config');
  t.throws(() => validateSettings(next), { message: /schedules\.reconcile .*hour/ });
});

t.test('next fire times: strictly after the instant, seconds honoured', async (t) => {
  const at = Date.UTC(2026, 0, 1, 0, 0, 0);
  t.equal(nextFire('*/15 * * * * *', at), at + 15_000, 'strictly after a matching instant');
  t.equal(nextFire('*/15 * * * * *', at + 1), at + 15_000);
});
