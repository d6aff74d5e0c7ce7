import cliProgress from 'cli-progress';
import { Command } from 'commander';
import { rtsToMsupplyCommand } from '../bridges/rts-cli.js';
import { stockBridgeDeps } from '../bridges/stock-to-dhis2-job.js';
import { bridgePeriod, checkEnded, previousPeriod, type BridgePeriod } from '../bridges/stock-period.js';
import { unreadLine } from '../bridges/stock-run-detail.js';
import {
  dhis2PeriodType,
  problems,
  runStockToDhis2,
  type FacilityOutcome,
  type StockBridgeDeps,
  type StockBridgeResult,
} from '../bridges/stock-to-dhis2.js';
import { loadOperatorSettings } from '../config/load.js';
import { holdingJobLock } from './job-lock.js';
import type { Settings } from '../config/settings.js';
import { maskedStream } from './masked-stream.js';
import { withCliRuntime } from './runtime.js';
import { refusedBesideDemo } from './demo-data.js';
import { MediatorError } from '../domain/errors.js';
import { terminalText } from './terminal-text.js';

/**
 * `bridge <name>`: run a bridge by hand, as its scheduled job would, over the same store,
 * connectors and outbox as `serve` (writes not delivered before the outbox deadline wait there
 * for a running mediator's worker). Each bridge is a subcommand.
 */
export interface BridgeCliDeps {
  /** Default: the settings `serve` would use (environment and CONFIG_FILE). */
  settings?: () => Settings;
  out?: NodeJS.WritableStream;
  /** Where the progress bar goes (default stderr). */
  err?: NodeJS.WritableStream;
  /** The clock a `--period` must have ended by (default the system's). */
  now?: () => Date;
  /** Where a running demo records itself (demo-data.ts); default the working directory. */
  cwd?: string;
  /** The store, connectors and outbox of a configuration (default withCliRuntime). */
  withRuntime?: typeof withCliRuntime;
}

/**
 * withCliRuntime, refused beside a running demo with no store named, as `jobs run` is: the run
 * would use this shell's settings (no connectors, ./data), not the demo's sandboxes and database,
 * and answer "no DHIS2 connector configured" or "no mediator database" to a newcomer who ran the
 * README's command beside the demo. Exit 2, naming the demo's job to run instead.
 */
function runtimeBesideDemo(
  job: string,
  cwd: string | undefined,
  withRuntime = withCliRuntime,
  // the command's stderr (masked), where its connectors' warnings go
  err?: NodeJS.WritableStream,
  dryRun = false,
): typeof withCliRuntime {
  return (settings, fn) =>
    refusedBesideDemo(settings, job, cwd, 'DATA_DIR or DATABASE_URL', dryRun)
      ? Promise.resolve(2)
      : withRuntime(settings, fn, err);
}

/** The job name, whose lock a run by hand takes as the scheduled run does (stock-to-dhis2-job.ts). */
const STOCK_JOB = 'stockToDhis2';

interface StockOptions {
  period?: string;
  dryRun?: boolean;
  json?: boolean;
  progress?: boolean;
}

const shown = (n: number | undefined) => (n === undefined ? '(none)' : String(n));

/** One line per value that would change: org unit, data element, period, old → new. */
export function changeLines(outcome: FacilityOutcome, period: string): string[] {
  const ou = outcome.orgUnit?.code ?? outcome.orgUnit?.uid ?? outcome.facility;
  return outcome.changes.map(
    (c, i) => `${ou}  ${outcome.dataElements[i]}  ${period}: ${shown(c.previous)} → ${c.value}`,
  );
}

/** Most facilities named in the summary; the rest are counted (`--json` lists them all). */
const NAMED = 20;

/** The facilities of one status, by system and id, as the run's detail names them. */
function namesOf(r: StockBridgeResult, status: FacilityOutcome['status']): string {
  const names = r.outcomes.filter((o) => o.status === status).map((o) => `${o.system} ${o.facility}`);
  const more = names.length - NAMED;
  return names.slice(0, NAMED).join(', ') + (more > 0 ? ` and ${more} more (--json lists them all)` : '');
}

function summary(r: StockBridgeResult, dryRun: boolean): string {
  const c = r.counts;
  const head = dryRun
    ? `${r.period}: ${c['would-send']} org units would change (${c.values} values); ${c.unchanged} unchanged`
    : `${r.period}: ${c.sent} org units sent, ${c.queued} queued, ${c['already-sent']} already sent, ${c.unchanged} unchanged, ${c.rejected} refused (${c.values} values)`;
  const skipped = [
    c['no-org-unit']
      ? `${c['no-org-unit']} ${c['no-org-unit'] === 1 ? 'facility has' : 'facilities have'} no DHIS2 org unit (crosswalk or code): ${namesOf(r, 'no-org-unit')}`
      : '',
    c.unmappedProducts ? `${c.unmappedProducts} products have no DHIS2 code (products.json codes.dhis2)` : '',
  ].filter(Boolean);
  return [head, ...skipped].join('\n') + '\n';
}

function progressBar(o: StockOptions, err: NodeJS.WritableStream) {
  if (!(o.progress ?? (err as NodeJS.WriteStream).isTTY === true)) return undefined;
  // the number of facilities is not known before the last page: the bar counts them
  const bar = new cliProgress.SingleBar(
    {
      stream: err,
      // a dry run sends nothing: what it counts would be sent, and nothing can be refused or queued
      format: o.dryRun
        ? 'stock → DHIS2 {period} (dry run): {value} facilities | would send {sent} | unchanged {unchanged} | {last}'
        : 'stock → DHIS2 {period}: {value} facilities | sent {sent} | unchanged {unchanged} | refused {rejected} | queued {queued} | {last}',
      hideCursor: false,
      noTTYOutput: true,
      notTTYSchedule: 1000,
    },
    cliProgress.Presets.shades_classic,
  );
  return bar;
}

export function stockToDhis2Command(deps: BridgeCliDeps = {}): Command {
  const settings = deps.settings ?? (() => loadOperatorSettings());
  const out = deps.out ?? process.stdout;
  const err = deps.err ?? process.stderr;
  return new Command('stock-to-dhis2')
    .description('Send one period of LMIS stock indicators to DHIS2: only values that changed')
    .option(
      '--period <period>',
      'a month (2026-11) or a DHIS2 period (202611, 2026W45); default: the last complete period of the data set',
    )
    .option('--dry-run', 'print what would change (org unit, data element, period: old → new) and write nothing')
    .option('--json', 'the result as JSON')
    .option('--progress', 'show the progress bar even when stderr is not a terminal')
    .option('--no-progress', 'no progress bar')
    .action(async (o: StockOptions) => {
      let given: BridgePeriod | undefined;
      try {
        given = o.period ? bridgePeriod(o.period, '--period') : undefined;
        if (given) checkEnded(given, (deps.now ?? (() => new Date()))(), '--period');
      } catch (e) {
        err.write(`${(e as Error).message}\n`);
        process.exitCode = 2;
        return;
      }
      const withRuntime = runtimeBesideDemo(STOCK_JOB, deps.cwd, deps.withRuntime, err, o.dryRun);
      process.exitCode = await withRuntime(settings(), async (runtime) => {
        const bridge = stockBridgeDeps({ ...runtime, settings, connectors: () => runtime.connectors });
        if ('skipped' in bridge) {
          err.write(`${bridge.skipped}\n`);
          return 2;
        }
        let period: BridgePeriod;
        try {
          // by default the last complete period of the type DHIS2's data set takes
          period = given ?? previousPeriod((await dhis2PeriodType(runtime.connectors)) ?? 'Monthly', new Date());
        } catch (e) {
          if (!(e instanceof MediatorError)) throw e;
          err.write(`${e.message}\n`);
          return 2;
        }
        // a run sends (and retracts): not beside the scheduled job, whose values computed from an
        // older read could reach DHIS2 after this run's; a dry run writes nothing and waits for no one
        if (o.dryRun) return runStock(o, bridge, period, out, err);
        return holdingJobLock(runtime.store, STOCK_JOB, 'bridge stock-to-dhis2', err, (signal) =>
          runStock(o, bridge, period, out, err, signal),
        );
      });
    });
}

/** One period sent (or, dry, listed) with its progress bar; the exit code. */
async function runStock(
  o: StockOptions,
  bridge: StockBridgeDeps,
  period: BridgePeriod,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
  /** The job lock's (holdingJobLock): the run stops before its next write once it is lost. */
  signal?: AbortSignal,
): Promise<number> {
  const bar = progressBar(o, err);
  const tally = { sent: 0, unchanged: 0, rejected: 0, queued: 0 };
  bar?.start(0, 0, { period: period.id, ...tally, last: '' });
  let result: StockBridgeResult;
  try {
    result = await runStockToDhis2(bridge, {
      period,
      dryRun: o.dryRun,
      signal,
      // a national month is streamed: lines are printed as each facility is done, only problems kept
      keep: o.json ? undefined : problems,
      onFacility: (f) => {
        if (o.dryRun && !o.json) for (const line of changeLines(f, period.id)) out.write(`${line}\n`);
        if (f.status === 'sent' || f.status === 'would-send') tally.sent++;
        if (f.status === 'unchanged' || f.status === 'already-sent') tally.unchanged++;
        if (f.status === 'rejected' || f.status === 'queued') tally[f.status]++;
        bar?.setTotal(bar.getTotal() + 1);
        bar?.increment(1, { ...tally, last: f.orgUnit?.code ?? f.facility });
      },
    });
  } catch (e) {
    bar?.stop();
    if (!(e instanceof MediatorError)) throw e;
    err.write(`${e.message}\n`);
    return 2;
  }
  bar?.stop();
  if (o.json) out.write(JSON.stringify(result, null, 2) + '\n');
  else {
    for (const f of result.outcomes.filter((x) => x.status === 'rejected' || x.status === 'queued'))
      out.write(`${terminalText(`${f.orgUnit?.code ?? f.facility}: ${f.status}: ${f.error ?? ''}`)}\n`);
    for (const u of result.unread) out.write(`${terminalText(unreadLine(result.period, u))}\n`);
    out.write(summary(result, !!o.dryRun));
  }
  return result.counts.rejected || result.unread.length ? 1 : 0;
}

/** `bridge stock-to-dhis2 …` (and further bridges as subcommands). */
export function bridgeCommand(given: BridgeCliDeps = {}): Command {
  // what a run prints quotes upstreams' refusals, which may echo a credential back
  const deps = {
    ...given,
    out: maskedStream(given.out ?? process.stdout),
    err: maskedStream(given.err ?? process.stderr),
  };
  const cmd = new Command('bridge').description('Run a bridge between systems by hand, as its scheduled job does');
  cmd.addCommand(stockToDhis2Command(deps));
  cmd.addCommand(
    rtsToMsupplyCommand({
      settings: deps.settings ?? (() => loadOperatorSettings()),
      out: deps.out,
      err: deps.err,
      withRuntime: runtimeBesideDemo('rtsToMsupply', deps.cwd, deps.withRuntime, deps.err),
    }),
  );
  return cmd;
}
