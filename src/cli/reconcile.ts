import { existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { useMappingsDir } from '../config/mappings.js';
import cliProgress from 'cli-progress';
import {
  loadColumnMappingFile,
  loadFacilityList,
  type ColumnMapping,
  type LoadedList,
} from '../registry/facility-list.js';
import {
  crosswalkToCsv,
  crosswalkToLocationBundle,
  registrySnapshotHash,
  reviewToCsv,
  toCrosswalkRows,
} from '../registry/crosswalk.js';
import { matchFacilities } from '../registry/match/matcher.js';
import { defaultWeights } from '../registry/match/weights.js';
import { reconcileIntoStore, type StoreReconcileSummary } from '../registry/reconcile-run.js';
import type { CrosswalkRow } from '../registry/crosswalk-types.js';
import { StoreCrosswalkRepository } from '../registry/store-crosswalk.js';
import { isRowNumberId } from '../registry/list-ids.js';
import { openStore, resolveStoreTarget, type StoreSettings } from '../store/index.js';
import type { Store } from '../store/types.js';
import { configuredMappingsDir } from './configured-mappings.js';
import { configuredStore } from './configured-store.js';
import { writeWhole } from './whole-file.js';

export interface ReconcileOptions {
  left: string;
  right: string;
  mapping?: string;
  out: string;
  system?: string;
  progress?: boolean;
  identifierBase?: string;
  /**
   * When the left list was taken, where it is a dated copy of the registry (MatchOptions.leftAsOf):
   * a registry record registered after that date is never an automatic match.
   */
  leftAsOf?: string;
}

export interface StoreReconcileCliOptions extends ReconcileOptions {
  /** Re-score every automatic row, not only what changed. */
  full?: boolean;
}

export interface ReconcileSummary {
  left: number;
  right: number;
  zones: { auto: number; review: number; 'no-match': number };
  deterministic: number;
  pairsCompared: number;
  thresholds: { auto: number; margin: number; review: number };
  seconds: number;
  files: string[];
  /** With --left-as-of: the date the left list was taken. */
  leftAsOf?: string;
  /** With --store: what the incremental run re-scored and wrote. */
  store?: StoreReconcileSummary;
}

const matchThresholds = () => defaultWeights().thresholds;

/** Long runs only: below this many left records the bar would just flicker. */
const PROGRESS_MIN_RECORDS = 2000;

/** Both lists as read and checked, under the system name the run stores its rows under. */
export type Loaded = { system: string; left: LoadedList; right: LoadedList };

/** The system name a run stores its rows under: --system, else the left file's name. */
const systemOf = (o: ReconcileOptions) => o.system ?? path.basename(o.left).replace(/\.[^.]+$/, '');

/** `rowIds`: the lists whose stored crosswalk is keyed by row numbers (storedRowIds), kept so. */
function loadLists(
  o: ReconcileOptions,
  stderr: NodeJS.WritableStream,
  rowIds: { left?: boolean; right?: boolean } = {},
): Loaded {
  const loaded = readLists(o, rowIds);
  noteRowIds(o, loaded, rowIds, stderr);
  return loaded;
}

/**
 * The lists read with the stored crosswalk's row-id rule (storedRowIds). `checked`, the read made
 * before the store was opened (with no rule), is used as it is where the rule reads it the same:
 * the rule changes only a list whose ids a code column gave, so a 50k-row list is not parsed twice.
 */
function listsWithStoredRule(
  o: ReconcileOptions,
  rowIds: { left: boolean; right: boolean },
  stderr: NodeJS.WritableStream,
  checked: Loaded | undefined,
): Loaded {
  const readTheSame = (list: LoadedList, kept: boolean) => !kept || list.ids !== 'code';
  if (!checked || !readTheSame(checked.left, rowIds.left) || !readTheSame(checked.right, rowIds.right))
    return loadLists(o, stderr, rowIds);
  noteRowIds(o, checked, rowIds, stderr);
  return checked;
}

/** Both lists read and checked (a refused one throws, naming its file and line), without a word. */
function readLists(o: ReconcileOptions, rowIds: { left?: boolean; right?: boolean } = {}): Loaded {
  const mappings: { left?: ColumnMapping; right?: ColumnMapping } = o.mapping ? loadColumnMappingFile(o.mapping) : {};
  const system = systemOf(o);
  const left = loadFacilityList(o.left, { mapping: mappings.left, system, rowIds: rowIds.left, checked: true });
  const right = loadFacilityList(o.right, {
    mapping: mappings.right,
    system: 'registry',
    rowIds: rowIds.right,
    checked: true,
  });
  return { system, left, right };
}

function noteRowIds(
  o: ReconcileOptions,
  { left, right }: Loaded,
  rowIds: { left?: boolean; right?: boolean },
  stderr: NodeJS.WritableStream,
): void {
  for (const [file, list, kept] of [
    [o.left, left, rowIds.left],
    [o.right, right, rowIds.right],
  ] as const)
    if (list.ids === 'row') stderr.write(`${rowIdsNote(file, kept === true)}\n`);
}

/** Why a list's ids are row numbers, which a re-sort of the file moves (registry/list-ids.ts). */
function rowIdsNote(file: string, kept: boolean): string {
  const name = path.basename(file);
  return kept
    ? `(${name}: ids are row numbers, as the stored crosswalk's are, so its decisions keep their records; a re-sorted file moves them: store it under a new --system with a --mapping naming the id column)`
    : `(${name}: no id column, nor a code column with a value on every row and no two the same: ids are row numbers, which a re-sorted file moves; name the id column with --mapping)`;
}

/**
 * Whether the stored crosswalk of `system` is keyed by row numbers (a list read before code
 * columns gave ids): its own ids all are (left), or the registry ids it holds are (right).
 */
async function storedRowIds(store: Store, system: string): Promise<{ left: boolean; right: boolean }> {
  const rows = await store.listCrosswalk(system);
  return {
    left: rows.length > 0 && rows.every((r) => isRowNumberId(r.systemId)),
    right: rows.some((r) => isRowNumberId(r.registryId) || r.suggestions.some((s) => isRowNumberId(s.registryId))),
  };
}

function progressBar(o: ReconcileOptions, total: number, stderr: NodeJS.WritableStream) {
  const showBar = (o.progress ?? (stderr as NodeJS.WriteStream).isTTY === true) && total >= PROGRESS_MIN_RECORDS;
  if (!showBar) return undefined;
  const bar = new cliProgress.SingleBar(
    { stream: stderr, format: 'matching [{bar}] {value}/{total} records', hideCursor: false },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0);
  return bar;
}

/** crosswalk.json/csv, crosswalk-bundle.json and review.csv; returns the file names. */
function writeOutputs(o: ReconcileOptions, loaded: Loaded, rows: CrosswalkRow[]): string[] {
  mkdirSync(o.out, { recursive: true });
  const names = {
    left: new Map(loaded.left.records.map((r) => [r.facility.id ?? '', r.facility.name])),
    right: new Map(loaded.right.records.map((r) => [r.facility.id ?? '', r.facility.name])),
  };
  const rightFacilities = loaded.right.records.map((r) => r.facility);
  const files = {
    'crosswalk.json': JSON.stringify(rows, null, 2) + '\n',
    'crosswalk.csv': crosswalkToCsv(rows),
    'crosswalk-bundle.json':
      JSON.stringify(
        crosswalkToLocationBundle(rows, rightFacilities, o.identifierBase ?? 'urn:fhir-supply-mediator:system'),
        null,
        2,
      ) + '\n',
    'review.csv': reviewToCsv(rows, names),
  };
  // summary.json, written last, says the set beside it is whole: a previous run's must not stay
  // beside this run's files if it stops halfway (killed, a full disk)
  rmSync(path.join(o.out, 'summary.json'), { force: true });
  for (const [name, text] of Object.entries(files)) writeWhole(path.join(o.out, name), text);
  return [...Object.keys(files), 'summary.json'];
}

function finish(o: ReconcileOptions, summary: ReconcileSummary): ReconcileSummary {
  writeWhole(path.join(o.out, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  return summary;
}

/** Runs one reconciliation and writes crosswalk.json/csv, review.csv, crosswalk-bundle.json and summary.json into `out`. */
export function runReconcile(o: ReconcileOptions, stderr: NodeJS.WritableStream = process.stderr): ReconcileSummary {
  const started = performance.now();
  const loaded = loadLists(o, stderr);
  const bar = progressBar(o, loaded.left.records.length, stderr);
  const result = matchFacilities(loaded.left.records, loaded.right.records, {
    onProgress: (done) => bar?.update(done),
    ...(o.leftAsOf ? { leftAsOf: o.leftAsOf } : {}),
  });
  bar?.stop();
  const rows = toCrosswalkRows(
    result,
    loaded.system,
    loaded.left.records.map((r) => r.facility),
    {
      at: new Date().toISOString(),
      registrySnapshot: registrySnapshotHash(loaded.right.records.map((r) => r.facility)),
    },
  );
  const files = writeOutputs(o, loaded, rows);
  return finish(o, {
    left: result.stats.left,
    right: result.stats.right,
    zones: result.stats.zones,
    deterministic: result.stats.deterministic,
    pairsCompared: result.stats.pairsCompared,
    thresholds: result.thresholds,
    seconds: Math.round((performance.now() - started) / 10) / 100,
    files,
    ...(o.leftAsOf ? { leftAsOf: o.leftAsOf } : {}),
  });
}

const ISO_DATE_OR_INSTANT = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/;

/**
 * --left-as-of: an ISO date, or an instant with its zone (a time without one would be read in
 * the machine's zone), checked before any list is read. Date.parse alone takes 12/05/2014 as
 * 5 December, where an operator in Kenya means 12 May.
 */
export function listDate(value: string): string {
  if (!isListDate(value))
    throw new InvalidArgumentError(
      `${value} is not an ISO date (2014-05-12) or instant with a zone (2014-05-12T09:00:00Z)`,
    );
  return value;
}

function isListDate(value: string): boolean {
  if (!ISO_DATE_OR_INSTANT.test(value)) return false;
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) return false;
  // a day the calendar lacks (2014-02-30) rolls over in Date.parse rather than failing
  return value.length > 10 || new Date(ms).toISOString().slice(0, 10) === value;
}

/**
 * The same, persisted: re-scores only what changed since the last run into the store's crosswalk
 * (human decisions kept), then writes the stored crosswalk for this system into `out`. `checked`:
 * the lists as readLists gave them before the store was opened, reused where the stored rule
 * reads them the same.
 */
export async function runReconcileIntoStore(
  o: StoreReconcileCliOptions,
  store: Store,
  stderr: NodeJS.WritableStream = process.stderr,
  checked?: Loaded,
): Promise<ReconcileSummary> {
  const started = performance.now();
  const loaded = listsWithStoredRule(o, await storedRowIds(store, systemOf(o)), stderr, checked);
  const bar = progressBar(o, loaded.left.records.length, stderr);
  const run = await reconcileIntoStore(store, loaded.system, loaded.left.records, loaded.right.records, {
    full: o.full,
    onProgress: (done) => bar?.update(done),
  });
  bar?.stop();
  const leftIds = new Set(loaded.left.records.map((r) => r.facility.id ?? ''));
  const rows = (await new StoreCrosswalkRepository(store).listBySystem(loaded.system)).filter((r) =>
    leftIds.has(r.systemId),
  );
  const files = writeOutputs(o, loaded, rows);
  return finish(o, {
    left: run.left,
    right: run.right,
    zones: run.zones,
    deterministic: rows.filter((r) => r.comment?.startsWith('deterministic')).length,
    pairsCompared: run.pairsCompared,
    thresholds: matchThresholds(),
    seconds: Math.round((performance.now() - started) / 10) / 100,
    files,
    store: run,
  });
}

/**
 * `--store` may make the first crosswalk before any server ran, so it creates the database the
 * other operator commands refuse to create (store/missing-store.ts); a typo in --data-dir would
 * then keep the crosswalk where no server looks, so a new SQLite file is named on stderr.
 */
function noteNewDatabase(settings: StoreSettings): void {
  const target = resolveStoreTarget(settings);
  if (target.engine === 'sqlite' && target.file !== ':memory:' && !existsSync(target.file))
    process.stderr.write(
      `(a new database: ${target.file}; the server reads this crosswalk only with that --data-dir or DATA_DIR)\n`,
    );
}

/** `reconcile --left A --right B [--mapping cols.json] --out DIR [--store [--full]]` */
export function reconcileCommand(open?: () => Promise<Store>): Command {
  return new Command('reconcile')
    .description(
      'Match a facility list (left) against the registry list (right); write the crosswalk, the review queue and a summary',
    )
    .requiredOption('--left <file>', "the system's facility list (CSV or JSON)")
    .requiredOption('--right <file>', 'the registry facility list (CSV or JSON)')
    .option(
      '--mapping <file>',
      'column mapping JSON (one mapping, or {left, right}); inferred from headers when absent',
    )
    .requiredOption('--out <dir>', 'output directory')
    .option('--system <name>', 'system name for the crosswalk rows (default: left file name)')
    .option('--progress', 'force the progress bar even when stderr is not a TTY')
    .option(
      '--store',
      'persist into the configured database (DATABASE_URL / DATA_DIR, else CONFIG_FILE): re-score only what changed, keep human decisions',
    )
    .option('--full', 'with --store: re-score every automatic row')
    .option(
      '--left-as-of <date>',
      'the date the left list was taken, where it is a dated copy of the registry: registry records registered later are never automatic',
      listDate,
    )
    .addOption(new Option('--database-url <url>', 'postgres://… or sqlite:PATH').env('DATABASE_URL'))
    .addOption(new Option('--data-dir <dir>', 'directory of the default SQLite file').env('DATA_DIR'))
    .addOption(
      new Option(
        '--mappings-dir <dir>',
        "mapping directory: header synonyms, name vocabulary, match weights (default: CONFIG_FILE's mappings.dir, else the shipped one)",
      ).env('MAPPINGS_DIR'),
    )
    .action(
      async (
        opts: StoreReconcileCliOptions & {
          store?: boolean;
          databaseUrl?: string;
          dataDir?: string;
          mappingsDir?: string;
        },
        command: Command,
      ) => {
        // the matcher reads its tables from the active directory, as in a running mediator
        const mappingsDir = configuredMappingsDir(opts.mappingsDir);
        if (mappingsDir) useMappingsDir(mappingsDir);
        // --store reconciles a system's live list, kept current run after run; a dated copy is a
        // one-off comparison of files
        // --full re-scores the stored crosswalk; without --store every run scores everything, so
        // the flag would be ignored while the operator believes stored rows were re-scored
        if (opts.full && !opts.store)
          command.error('error: --full re-scores the stored crosswalk: it goes with --store');
        if (opts.store && opts.leftAsOf)
          command.error('error: --left-as-of is for a dated copy compared from files; --store reconciles a live list');
        if (!opts.store) {
          process.stdout.write(`${JSON.stringify(runReconcile(opts))}\n`);
          return;
        }
        // the lists are read and checked before the store is opened: a refused first run must not
        // leave an empty database behind (the next run, or a server, would take it as the one meant)
        const checked = readLists(opts);
        const settings: StoreSettings = configuredStore(opts);
        if (!open) noteNewDatabase(settings);
        const store = open ? await open() : await openStore(settings);
        try {
          process.stdout.write(
            `${JSON.stringify(await runReconcileIntoStore(opts, store, process.stderr, checked))}\n`,
          );
        } finally {
          await store.close();
        }
      },
    );
}
