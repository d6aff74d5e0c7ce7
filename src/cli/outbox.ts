import { Command, Option } from 'commander';
import { JOB_STATUSES, type JobStatus, type Store } from '../store/types.js';
import { openStore, type StoreSettings } from '../store/index.js';
import {
  dropOutboxJob,
  listOutboxJobs,
  retryOutboxJob,
  showOutboxJob,
  unknownJobSystem,
  type JobSummary,
} from '../outbox/operator.js';
import { knownSystems } from '../systems/index.js';
import { demoDataDirNoted } from './demo-data.js';
import { terminalText } from './terminal-text.js';
import { countOption, offsetOption } from './count-option.js';
import { configuredStore, type StoreOptions } from './configured-store.js';
import { refusalText, updatedAtOption } from './outbox-refusal.js';

/**
 * Nothing configured: the database of a demo running from this directory (it records where), else
 * the serve default (./data). Said on stderr, so an operator knows which database is shown.
 */
function defaultDataDir(databaseUrl: string | undefined): string | undefined {
  return databaseUrl ? undefined : demoDataDirNoted();
}

/** A list row's error: the one that holds the job up, or, on a done job, one it got past. */
function errorText(j: JobSummary): string {
  if (j.lastError) return `  last error: ${j.lastError}`;
  return j.earlierError ? `  delivered after an earlier attempt failed: ${j.earlierError}` : '';
}

/**
 * `outbox list|show|retry|drop`. The store comes from `--database-url` / DATABASE_URL and
 * `--data-dir` / DATA_DIR, else CONFIG_FILE, unless the caller passes a store opener (the lead's config).
 */
export function outboxCommand(open?: () => Promise<Store>): Command {
  const cmd = new Command('outbox').description('Inspect and repair the durable write queue');
  cmd.addOption(new Option('--database-url <url>', 'postgres://… or sqlite:PATH').env('DATABASE_URL'));
  cmd.addOption(new Option('--data-dir <dir>', 'directory of the default SQLite file').env('DATA_DIR'));

  const withStore = async (fn: (store: Store) => Promise<number>): Promise<void> => {
    const o = configuredStore(cmd.opts<StoreOptions>());
    const settings: StoreSettings = {
      databaseUrl: o.databaseUrl,
      dataDir: o.dataDir || defaultDataDir(o.databaseUrl),
      // a typo in --data-dir must not read as an empty queue (missing-store.ts)
      existing: true,
    };
    const store = open ? await open() : await openStore(settings);
    try {
      process.exitCode = await fn(store);
    } finally {
      await store.close();
    }
  };
  const actor = () => process.env.USER ?? 'cli';
  type ListOptions = {
    status?: JobStatus;
    system?: string;
    flow?: string;
    limit: number;
    offset: number;
    json?: boolean;
  };

  cmd
    .command('list')
    .description('List jobs (newest last)')
    .addOption(new Option('--status <status>').choices([...JOB_STATUSES]))
    .option('--system <system>')
    .option('--flow <flow>')
    .option('--limit <n>', 'rows', countOption, 100)
    .option(
      '--offset <n>',
      'rows to skip: the list is oldest first (as ?offset= of GET /admin/outbox/jobs)',
      offsetOption,
      0,
    )
    .option('--json', 'JSON output')
    .action(async (o: ListOptions) =>
      withStore(async (store) => {
        if (o.system && (await unknownJobSystem(store, o.system, knownSystems()))) {
          process.stderr.write(
            `no system '${terminalText(o.system)}': systems: ${knownSystems().join(', ')}; no job is stored for that name\n`,
          );
          return 1;
        }
        const jobs = await listOutboxJobs(store, o);
        if (o.json) process.stdout.write(JSON.stringify(jobs, null, 2) + '\n');
        else {
          for (const j of jobs) {
            process.stdout.write(
              terminalText(
                `${j.id}  ${j.status.padEnd(9)} ${j.flow}/${j.system}  key=${j.idempotencyKey}  attempts=${j.attempts}  updated=${j.updatedAt}${errorText(j)}`,
              ) + '\n',
            );
          }
          const counts = await store.countJobsByStatus();
          // a full page may have more after it: the oldest come first, so say how to reach the newer
          const more = jobs.length === o.limit ? ` (more after them: --offset ${o.offset + o.limit})` : '';
          process.stdout.write(
            `${jobs.length} shown; ${JOB_STATUSES.map((s) => `${s}=${counts[s]}`).join(' ')}${more}\n`,
          );
        }
        return 0;
      }),
    );

  cmd
    .command('show <id>')
    .description('A job with its payload, step journal and audit trail (JSON)')
    .action(async (id: string) =>
      withStore(async (store) => {
        const detail = await showOutboxJob(store, id);
        if (!detail) {
          process.stderr.write(`no outbox job ${id}\n`);
          return 1;
        }
        process.stdout.write(JSON.stringify(detail, null, 2) + '\n');
        return 0;
      }),
    );

  // what the operator saw (`outbox show`): the action applies only while the job is still so,
  // checked inside the store's write, as the admin API's `?status=&updatedAt=` and the console do
  const guards = (c: Command) =>
    c
      .addOption(new Option('--status <status>', 'act only while the job is in this status').choices([...JOB_STATUSES]))
      .addOption(
        new Option(
          '--updated-at <instant>',
          "act only while the job's updatedAt is this one (as `outbox show` gave it)",
        ).argParser(updatedAtOption),
      );
  type Guards = { status?: JobStatus; updatedAt?: number };

  guards(cmd.command('retry <id>'))
    .description('Replay a dead or rejected job now, with a fresh attempt budget')
    .action(async (id: string, o: Guards) =>
      withStore(async (store) => {
        const r = await retryOutboxJob(store, id, actor(), o.status, o.updatedAt);
        if (r.ok) {
          process.stdout.write(`job ${id} queued for retry\n`);
          return 0;
        }
        process.stderr.write(refusalText(id, r, 'retry') + '\n');
        return 1;
      }),
    );

  guards(cmd.command('drop <id>'))
    .description('Delete a job that is neither in flight nor done (its identifier may then be sent again)')
    .action(async (id: string, o: Guards) =>
      withStore(async (store) => {
        const r = await dropOutboxJob(store, id, actor(), o.status, o.updatedAt);
        if (r.ok) {
          process.stdout.write(`job ${id} dropped\n`);
          return 0;
        }
        process.stderr.write(refusalText(id, r, 'drop') + '\n');
        return 1;
      }),
    );
  return cmd;
}
