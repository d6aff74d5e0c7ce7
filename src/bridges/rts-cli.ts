import { Command } from 'commander';
import { terminalText } from '../cli/terminal-text.js';
import { useCheckedMappings } from '../config/mapping-files.js';
import type { Settings } from '../config/settings.js';
import type { Outbox } from '../outbox/outbox.js';
import type { Connector } from '../routing/ports.js';
import type { Store } from '../store/types.js';
import { holdingJobLock } from '../cli/job-lock.js';
import { registerRtsHandlers, runRtsToMsupply } from './rts-to-msupply.js';

/**
 * `bridge rts-to-msupply`: one run of the RTS → Open mSupply bridge by hand, what the scheduled job
 * `rtsToMsupply` does (same marks, same keys), holding that job's lock: never beside the server's
 * run or another run by hand (exit 2, nothing sent), whose marks it would move both ways.
 * Prints the counts of each phase and each held or skipped requisition with why; exit 1 when a
 * write was refused or a requisition held or skipped, 2 when the bridge is not configured.
 */
export interface RtsCliDeps {
  settings: () => Settings;
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
  /** The store, connectors and outbox of this configuration (src/cli/runtime.ts withCliRuntime). */
  withRuntime: (
    settings: Settings,
    fn: (runtime: { store: Store; outbox: Outbox; connectors: Connector[] }) => Promise<number>,
  ) => Promise<number>;
}

/** The job whose lock a run by hand takes, as the scheduled run does (rts-to-msupply.ts rtsToMsupplyJob). */
const RTS_JOB = 'rtsToMsupply';

export function rtsToMsupplyCommand(deps: RtsCliDeps): Command {
  return new Command('rts-to-msupply')
    .description(
      'DHIS2 RTS requisitions → Open mSupply response requisitions; shipments → DHIS2 consignments; receipts → RTS stock',
    )
    .option('--json', 'the counts as JSON')
    .action(async (o: { json?: boolean }) => {
      const settings = deps.settings();
      // routing.json's supplying stores come from mappings.dir, checked as the server checks it at start-up
      useCheckedMappings(settings);
      process.exitCode = await deps.withRuntime(settings, ({ store, outbox, connectors }) =>
        holdingJobLock(store, RTS_JOB, 'bridge rts-to-msupply', deps.err, async (signal) => {
          registerRtsHandlers(outbox, () => connectors);
          // the lock lost mid-run: stopped before its next requisition, as the scheduled run is
          const result = await runRtsToMsupply({ store, outbox, connectors: () => connectors }, signal);
          if (result.skipped) {
            deps.err.write(`${result.skipped}\n`);
            return 2;
          }
          const counts = result.counts ?? {};
          const held = result.held ?? [];
          const skipped = result.skippedRequisitions ?? [];
          const unread = result.unreadStores ?? [];
          const unreadable = result.unreadableReceipts ?? [];
          if (o.json)
            deps.out.write(
              `${JSON.stringify({ ...counts, held, skippedRequisitions: skipped, unreadStores: unread, unreadableReceipts: unreadable }, null, 2)}\n`,
            );
          else {
            for (const [k, v] of Object.entries(counts)) deps.out.write(`${k}: ${v}\n`);
            // held: not sent anywhere, read again by the next run until routing.json covers them
            for (const h of held) deps.out.write(`held ${h.event} at ${h.facility}: ${h.reason}\n`);
            // skipped: no order at all (a value a facility user typed is quoted: printed as plain text)
            for (const k of skipped)
              deps.out.write(`${terminalText(`skipped ${k.event} at ${k.facility}: ${k.reason}`)}\n`);
            for (const u of unread) deps.out.write(`shipments of store ${u.store} not read: ${u.reason}\n`);
            for (const u of unreadable)
              deps.out.write(
                `${terminalText(`consignment ${u.consignment} at ${u.facility} not received: ${u.reason}`)}\n`,
              );
          }
          const refused = Object.entries(counts).some(([k, v]) => k.endsWith('rejected') && v > 0);
          return refused || held.length || skipped.length || unread.length || unreadable.length ? 1 : 0;
        }),
      );
    });
}
