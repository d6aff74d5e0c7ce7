import { Command, Option } from 'commander';
import { openStore } from '../store/index.js';
import { demoDataDirNoted } from './demo-data.js';
import { PROPAGATION_STATES, type PropagationState, type Store } from '../store/types.js';
import { propagationStatus, type PropagationView } from '../registry/propagation/status.js';
import { terminalText } from './terminal-text.js';
import { countOption } from './count-option.js';
import { configuredStore } from './configured-store.js';
import { knownSystems } from '../systems/index.js';

export interface PropagationCliDeps {
  open?: () => Promise<Store>;
  out?: NodeJS.WritableStream;
}

/**
 * `propagation [--state held] [--system dhis2] [--registry-id ID] [--limit N] [--json]`: where each
 * registry change stands in each system, the same view as GET /admin/propagation: counts per
 * system and state, then the changes, newest first, with why one is held or failed.
 */
export function propagationCommand(deps: PropagationCliDeps = {}): Command {
  const out = deps.out ?? process.stdout;
  return new Command('propagation')
    .description('Registry changes per system: done, queued, held (why), failed (why)')
    .addOption(new Option('--state <state>', 'only this state').choices([...PROPAGATION_STATES]))
    .option('--system <system>', 'only this system')
    .option('--registry-id <id>', 'only this registry facility')
    .option('--limit <n>', 'changes listed', countOption, 50)
    .option('--json', 'JSON output')
    .addOption(new Option('--database-url <url>', 'postgres://… or sqlite:PATH').env('DATABASE_URL'))
    .addOption(new Option('--data-dir <dir>', 'directory of the default SQLite file').env('DATA_DIR'))
    .action(
      async (o: {
        state?: PropagationState;
        system?: string;
        registryId?: string;
        limit: number;
        json?: boolean;
        databaseUrl?: string;
        dataDir?: string;
      }) => {
        const where = configuredStore(o);
        const store = deps.open
          ? await deps.open()
          : await openStore({
              databaseUrl: where.databaseUrl,
              // nothing configured: a demo running from here has the changes (as for `outbox`)
              dataDir: where.dataDir || (where.databaseUrl ? undefined : demoDataDirNoted()),
              // a typo in --data-dir must not read as "nothing propagated" (missing-store.ts)
              existing: true,
            });
        try {
          const status = await propagationStatus(store, {
            state: o.state,
            system: o.system,
            registryId: o.registryId,
            limit: o.limit,
          });
          // a typo (`dhsi2`) would list nothing, read as "nothing held there": refused, as the
          // admin route answers 404 (the counts hold every system with a stored change)
          if (o.system && !knownSystems().includes(o.system) && !(o.system in status.counts)) {
            process.stderr.write(
              `no system '${terminalText(o.system)}' to propagate to: systems: ${knownSystems().join(', ')}; no change is stored for that name\n`,
            );
            process.exitCode = 1;
            return;
          }
          if (o.json) out.write(JSON.stringify(status, null, 2) + '\n');
          else out.write(render(status.counts, status.items));
        } finally {
          await store.close();
        }
      },
    );
}

function render(counts: Record<string, Partial<Record<PropagationState, number>>>, items: PropagationView[]): string {
  const lines = Object.entries(counts).map(
    ([system, byState]) =>
      `${system.padEnd(10)} ${PROPAGATION_STATES.filter((s) => byState[s])
        .map((s) => `${s} ${byState[s]}`)
        .join(', ')}`,
  );
  if (lines.length === 0) return 'no registry change propagated yet\n';
  const rows = items.map((i) => {
    const why = i.reason ?? i.lastError;
    const fields = i.unsupported ? ` (not kept: ${Object.keys(i.unsupported).join(', ')})` : '';
    // the registry's name and an upstream's reason: shown as text, one row each (terminal-text.ts)
    return terminalText(
      `  ${i.updatedAt}  ${i.system.padEnd(8)} ${i.state.padEnd(10)} ${i.action.padEnd(10)} ${i.registryId} ${i.name ?? ''}${why ? ` — ${why}` : ''}${fields}`,
    );
  });
  return [...lines, '', ...rows, ''].join('\n');
}
