#!/usr/bin/env node
import { Command } from 'commander';
import { ConfigError, loadSettings } from '../config/load.js';
import { outboxCommand } from './outbox.js';
import { jobsCommand } from './jobs.js';
import { bridgeCommand } from './bridge.js';
import { propagationCommand } from './propagation.js';
import { checkMappingsCommand } from './check-mappings.js';
import { demoCommand } from './demo.js';
import { serve } from './serve.js';

/** The one command line: `serve`, `demo`, `outbox`, `reconcile` (each in its own file). */
async function main(): Promise<void> {
  const program = new Command('fhir-supply-mediator').description('FHIR supply-chain mediator for OpenHIE');
  program
    .command('serve')
    .description('Run the mediator (configured by environment, CONFIG_FILE and OpenHIM)')
    .action(async () => {
      await serve(loadSettings());
    });
  program.addCommand(demoCommand());
  program.addCommand(outboxCommand());
  program.addCommand(jobsCommand());
  program.addCommand(bridgeCommand());
  program.addCommand(propagationCommand());
  program.addCommand(checkMappingsCommand());
  try {
    const { reconcileCommand } = await import('./reconcile.js' as string);
    program.addCommand(reconcileCommand());
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw err;
  }
  await program.parseAsync(process.argv);
}

main().catch((err) => {
  // Configuration errors are the operator's to fix: say what and where, no stack trace.
  if (err instanceof ConfigError) console.error(`configuration error: ${err.message}`);
  else console.error(err);
  process.exit(1);
});
