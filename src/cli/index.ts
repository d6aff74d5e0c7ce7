#!/usr/bin/env node
import { inspect } from 'node:util';
import { Command } from 'commander';
import { ConfigError, loadSettings } from '../config/load.js';
import { redact } from '../platform/redaction.js';
import { isDatabaseAway } from '../store/database-away.js';
import { listenProblem } from './listen-problem.js';
import { endQuietlyOnClosedPipe } from './closed-pipe.js';
import { MediatorError } from '../domain/errors.js';

/**
 * The other commands, each loaded only when it is the one asked for (or for the help). `serve`
 * is the production process: importing the demo's data helpers, the bridges' CLI with its
 * progress bars and the matcher with its CSV reader only to register commands it never runs
 * cost the idle mediator memory and start-up time (issue 18).
 */
const COMMANDS: Record<string, () => Promise<Command>> = {
  demo: async () => (await import('./demo.js')).demoCommand(),
  outbox: async () => (await import('./outbox.js')).outboxCommand(),
  jobs: async () => (await import('./jobs.js')).jobsCommand(),
  bridge: async () => (await import('./bridge.js')).bridgeCommand(),
  propagation: async () => (await import('./propagation.js')).propagationCommand(),
  'check-mappings': async () => (await import('./check-mappings.js')).checkMappingsCommand(),
  reconcile: async () => (await import('./reconcile.js')).reconcileCommand(),
};

/** The commands to register: the one named on the command line, or all of them (help, a typo). */
function commandsFor(argv: string[]): string[] {
  const name = argv[2];
  if (name === 'serve') return [];
  return name !== undefined && name in COMMANDS ? [name] : Object.keys(COMMANDS);
}

/** The one command line: `serve`, `demo`, `outbox`, `reconcile` (each in its own file). */
async function main(): Promise<void> {
  const program = new Command('fhir-supply-mediator').description('FHIR supply-chain mediator for OpenHIE');
  program
    .command('serve')
    .description('Run the mediator (configured by environment, CONFIG_FILE and OpenHIM)')
    .action(async () => {
      const { serve } = await import('./serve.js');
      await serve(loadSettings());
    });
  // an operator command's output may go to `head`; serve and demo log to stdout and keep running
  if (!['serve', 'demo'].includes(process.argv[2] ?? '')) endQuietlyOnClosedPipe();
  for (const name of commandsFor(process.argv)) program.addCommand(await COMMANDS[name]());
  await program.parseAsync(process.argv);
}

/**
 * A file the command was pointed at that cannot be read or written, in words: "cannot open
 * /data/emr.csv: no such file or directory" rather than Node's "ENOENT: …, open '…'" and a stack.
 */
function fileProblem(err: unknown): string | undefined {
  const {
    code,
    path: file,
    syscall,
    message,
  } = err as { code?: string; path?: string; syscall?: string; message?: string };
  if (typeof file !== 'string' || !/^(ENOENT|EEXIST|ENOTDIR|EISDIR|EACCES|EPERM|EROFS|ENOSPC)$/.test(String(code)))
    return undefined;
  const reason = String(message ?? code)
    .replace(/^[A-Z]+: /, '')
    .replace(/, \w+ '.*'$/s, '');
  return `cannot ${syscall ?? 'use'} ${file}: ${reason}`;
}

/** What went wrong with the database, in the driver's words, with what to check. */
function databaseProblem(err: unknown): string {
  const { message, code } = err as { message?: string; code?: string };
  // SQLite's write lock held by another process: nothing to check in the settings
  const check =
    code === 'SQLITE_BUSY'
      ? "end the other process's transaction (a sqlite3 shell, a backup) or wait for it, then run the command again"
      : 'check that it is running and reachable, and DATABASE_URL (or --database-url)';
  return `${message ?? String(err)}${code && !message?.includes(code) ? ` (${code})` : ''}; ${check}`;
}

main().catch((err) => {
  // Configuration errors are the operator's to fix: say what and where, no stack trace.
  // Anything else is printed whole (stack, cause), masked as the logs are: an error from an
  // upstream or a driver may carry a credential the settings taught the redactor.
  if (err instanceof ConfigError) console.error(`configuration error: ${err.message}`);
  // the port or address taken or not ours: the setting to change, not net.js's stack
  else if (listenProblem(err)) console.error(`configuration error: ${listenProblem(err)}`);
  // the mediator's own database not there (stopped, unreachable, refusing our login): the
  // operator's to fix too, and a stack through pg-pool tells them nothing more
  else if (isDatabaseAway(err)) console.error(redact(`database unavailable: ${databaseProblem(err)}`));
  // an input the operator gave that cannot be used (a list the CSV reader refuses, a file not
  // there, an --out that is a file): what and where, in one line; the stack is the CLI's own
  else if (err instanceof MediatorError) console.error(redact(`error: ${err.message}`));
  else if (fileProblem(err)) console.error(redact(`error: ${fileProblem(err)}`));
  else console.error(redact(inspect(err, { depth: 4 })));
  process.exit(1);
});
