import { hostname } from 'node:os';
import { Command, Option } from 'commander';
import { loadOperatorSettings } from '../config/load.js';
import type { Settings } from '../config/settings.js';
import { jobsOverview, manualRunAnswer } from '../admin/jobs-routes.js';
import { createScheduler, type Scheduler } from '../jobs/index.js';
import { jobNames } from '../jobs/job-names.js';
import type { Store } from '../store/types.js';
import { knownSystems } from '../systems/index.js';
import { withCliRuntime, type CliRuntime } from './runtime.js';
import { stderrWarnings } from './stderr-warnings.js';
import { registrySide } from '../registry/propagation/index.js';
import { markHeldWarner } from '../registry/mfr/feed-held.js';
import { demoDataDirNoted, refusedBesideDemo, storeUnconfigured } from './demo-data.js';
import { terminalText } from './terminal-text.js';
import { countOption } from './count-option.js';
import { stopRunOnSignal, type RunStopOnSignal } from './run-stop-signal.js';

export interface JobsCliDeps {
  /**
   * Default: the settings `serve` would use (environment and CONFIG_FILE), less its inbound
   * authentication (loadOperatorSettings: a command serves no client).
   */
  settings?: () => Settings;
  out?: NodeJS.WritableStream;
  /** Where warnings go (a held registry mark); default stderr. */
  err?: NodeJS.WritableStream;
  /** Where a running demo records itself (demo-data.ts); default the working directory. */
  cwd?: string;
}

/**
 * `jobs list` reads runs from the store: with no store configured, a demo running from here has
 * them (as `outbox` finds it), said on stderr. The schedules are still this configuration's.
 */
function listingSettings(settings: Settings, cwd?: string): Settings {
  if (!storeUnconfigured(settings)) return settings;
  const demo = demoDataDirNoted(cwd);
  return demo ? { ...settings, 'store.dataDir': demo } : settings;
}

type Overview = Awaited<ReturnType<typeof jobsOverview>>;

/** The `jobs list` table: each job, then its runs, each run's detail indented under it. */
export function printTable(jobs: Overview, out: NodeJS.WritableStream): void {
  for (const j of jobs) {
    const retry = 'retryFailed' in j ? `  retry of failed parts ${j.retryFailed}` : '';
    out.write(`${j.name}  schedule ${j.schedule ?? '(none)'} (${j.setting})  next ${j.nextRun ?? '-'}${retry}\n`);
    if (j.lastRuns.length === 0) out.write('  no runs yet\n');
    for (const r of j.lastRuns) {
      const counts = r.counts
        ? '  ' +
          Object.entries(r.counts)
            .map(([k, v]) => `${k}=${v}`)
            .join(' ')
        : '';
      // an error of several lines (a reconcile run's systems) as a detail is: its first line on the run's
      const [error, ...errorLines] = r.error?.split('\n') ?? [];
      out.write(
        `  ${terminalText(`${r.start} → ${r.end ?? '…'}  ${r.trigger}  ${r.outcome}${error ? `: ${error}` : ''}${counts}`)}\n`,
      );
      // one line per item by design; each line's own text is an upstream's or a client's
      for (const line of [...errorLines, ...(r.detail?.split('\n') ?? [])]) out.write(`    ${terminalText(line)}\n`);
    }
  }
}

/**
 * The scheduler of this configuration (same store, connectors and jobs as `serve`), for one
 * command: nothing is armed, only listed or run by hand, under the same lock as the servers. A
 * held registry mark, and a connector's warning (a field a write went on without), are said on
 * `err` as the server logs them (no /metrics here to count them on).
 */
async function withScheduler(
  settings: Settings,
  fn: (scheduler: Scheduler, store: Store) => Promise<number>,
  err: NodeJS.WritableStream = process.stderr,
): Promise<number> {
  const run = async ({ store, outbox, connectors }: CliRuntime) => {
    const registry = registrySide({
      store,
      outbox,
      connectors: () => connectors,
      settings: () => settings,
      systems: knownSystems(),
      onMarkHeld: markHeldWarner(stderrWarnings(err)),
      // a plan given up is said where a held mark is (no /metrics here to count it on)
      logger: stderrWarnings(err),
    });
    try {
      const scheduler = createScheduler({
        store,
        outbox,
        propagator: registry.propagator,
        registry: registry.registry,
        settings: () => settings,
        connectors: () => connectors,
        instance: `${hostname()}:${process.pid} (cli)`,
      });
      return await fn(scheduler, store);
    } finally {
      await registry.close();
    }
  };
  return withCliRuntime(settings, run, err);
}

/**
 * The store `--database-url` or `--data-dir` names, over the configuration's: as `outbox`,
 * `propagation` and `reconcile` take them (an operator points every command at a database the
 * same way), and as DATABASE_URL and DATA_DIR already do.
 */
function withStoreOptions(settings: Settings, o: { databaseUrl?: string; dataDir?: string }): Settings {
  return {
    ...settings,
    ...(o.databaseUrl ? { 'store.databaseUrl': o.databaseUrl } : {}),
    ...(o.dataDir ? { 'store.dataDir': o.dataDir } : {}),
  };
}

/** `jobs list [--json] [--limit N]` and `jobs run NAME`, each with `--database-url` / `--data-dir`. */
export function jobsCommand(deps: JobsCliDeps = {}): Command {
  const out = deps.out ?? process.stdout;
  const err = deps.err ?? process.stderr;
  const cmd = new Command('jobs').description('Scheduled jobs: their schedules and runs, or run one now');
  cmd.addOption(new Option('--database-url <url>', 'postgres://… or sqlite:PATH').env('DATABASE_URL'));
  cmd.addOption(new Option('--data-dir <dir>', 'directory of the default SQLite file').env('DATA_DIR'));
  const configured = deps.settings ?? (() => loadOperatorSettings());
  const settings = () => withStoreOptions(configured(), cmd.opts<{ databaseUrl?: string; dataDir?: string }>());

  cmd
    .command('list')
    .description('Each job: schedule, next run, last runs (newest first)')
    .option('--limit <n>', 'runs per job', countOption, 10)
    .option('--json', 'JSON output')
    .action(async (o: { limit: number; json?: boolean }) => {
      process.exitCode = await withScheduler(listingSettings(settings(), deps.cwd), async (scheduler, store) => {
        const jobs = await jobsOverview(store, scheduler, o.limit);
        if (o.json) out.write(JSON.stringify(jobs, null, 2) + '\n');
        else printTable(jobs, out);
        return 0;
      });
    });

  cmd
    .command('run')
    .description(
      'Run a job now and record the run (exit 1 if it failed, 2 if it did not run: no such job, running elsewhere, or beside a demo; 130/143 if stopped by SIGINT/SIGTERM)',
    )
    .argument('<name>', 'job name (see jobs list)')
    .action(async (name: string) => {
      if (!jobNames().includes(name)) {
        process.stderr.write(`no job named ${terminalText(name)}; jobs: ${jobNames().join(', ')}\n`);
        process.exitCode = 2;
        return;
      }
      const current = settings();
      if (refusedBesideDemo(current, name, deps.cwd)) {
        process.exitCode = 2;
        return;
      }
      let stopper: RunStopOnSignal | undefined;
      try {
        process.exitCode = await withScheduler(
          current,
          async (scheduler) => {
            stopper = stopRunOnSignal(scheduler);
            const outcome = await scheduler.runNow(name);
            if (!outcome) {
              process.stderr.write(`no job named ${name}; jobs: ${scheduler.jobs.map((j) => j.name).join(', ')}\n`);
              return 2;
            }
            const answer = manualRunAnswer(name, outcome);
            out.write(JSON.stringify(answer.body, null, 2) + '\n');
            if (answer.status !== 200) return 2;
            return outcome.status === 'failed' ? 1 : 0;
          },
          err,
        );
      } finally {
        if (!stopper?.signal) stopper?.dispose();
      }
      // a run cut by the stop may still wait in an upstream call, keeping the process up: its end
      // is recorded and the store closed, so it exits now (the job's lock goes with it), as a
      // shell says of a command the signal ended (130, 143), not as a failed run (1)
      const stopped = stopper?.exitAfter(Number(process.exitCode ?? 0));
      if (stopped !== undefined) process.exit(stopped);
    });
  return cmd;
}
