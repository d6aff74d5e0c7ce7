import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import cliProgress from 'cli-progress';
import { loadColumnMappingFile, loadFacilityList, type ColumnMapping } from '../registry/facility-list.js';
import { crosswalkToCsv, crosswalkToLocationBundle, registrySnapshotHash, reviewToCsv, toCrosswalkRows } from '../registry/crosswalk.js';
import { matchFacilities } from '../registry/match/matcher.js';

export interface ReconcileOptions {
  left: string;
  right: string;
  mapping?: string;
  out: string;
  system?: string;
  progress?: boolean;
  identifierBase?: string;
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
}

/** Long runs only: below this many left records the bar would just flicker. */
const PROGRESS_MIN_RECORDS = 2000;

/** Runs one reconciliation and writes crosswalk.json/csv, review.csv, crosswalk-bundle.json and summary.json into `out`. */
export function runReconcile(o: ReconcileOptions, stderr: NodeJS.WritableStream = process.stderr): ReconcileSummary {
  const started = performance.now();
  const mappings: { left?: ColumnMapping; right?: ColumnMapping } = o.mapping ? loadColumnMappingFile(o.mapping) : {};
  const system = o.system ?? path.basename(o.left).replace(/\.[^.]+$/, '');
  const left = loadFacilityList(o.left, { mapping: mappings.left, system });
  const right = loadFacilityList(o.right, { mapping: mappings.right, system: 'registry' });
  const showBar = (o.progress ?? (stderr as NodeJS.WriteStream).isTTY === true) && left.records.length >= PROGRESS_MIN_RECORDS;
  const bar = showBar
    ? new cliProgress.SingleBar({ stream: stderr, format: 'matching [{bar}] {value}/{total} records', hideCursor: false }, cliProgress.Presets.shades_classic)
    : undefined;
  bar?.start(left.records.length, 0);
  const result = matchFacilities(left.records, right.records, { onProgress: (done) => bar?.update(done) });
  bar?.stop();
  const rightFacilities = right.records.map((r) => r.facility);
  const rows = toCrosswalkRows(result, system, left.records.map((r) => r.facility), {
    at: new Date().toISOString(),
    registrySnapshot: registrySnapshotHash(rightFacilities),
  });
  mkdirSync(o.out, { recursive: true });
  const names = {
    left: new Map(left.records.map((r) => [r.facility.id ?? '', r.facility.name])),
    right: new Map(right.records.map((r) => [r.facility.id ?? '', r.facility.name])),
  };
  const files = {
    'crosswalk.json': JSON.stringify(rows, null, 2) + '\n',
    'crosswalk.csv': crosswalkToCsv(rows),
    'crosswalk-bundle.json': JSON.stringify(crosswalkToLocationBundle(rows, rightFacilities, o.identifierBase ?? 'urn:fhir-supply-mediator:system'), null, 2) + '\n',
    'review.csv': reviewToCsv(rows, names),
  };
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(o.out, name), text);
  const summary: ReconcileSummary = {
    left: result.stats.left,
    right: result.stats.right,
    zones: result.stats.zones,
    deterministic: result.stats.deterministic,
    pairsCompared: result.stats.pairsCompared,
    thresholds: result.thresholds,
    seconds: Math.round((performance.now() - started) / 10) / 100,
    files: [...Object.keys(files), 'summary.json'],
  };
  writeFileSync(path.join(o.out, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  return summary;
}

/** `reconcile --left A --right B [--mapping cols.json] --out DIR` */
export function reconcileCommand(): Command {
  return new Command('reconcile')
    .description('match a facility list (left) against the registry list (right); write the crosswalk, the review queue and a summary')
    .requiredOption('--left <file>', "the system's facility list (CSV or JSON)")
    .requiredOption('--right <file>', 'the registry facility list (CSV or JSON)')
    .option('--mapping <file>', 'column mapping JSON (one mapping, or {left, right}); inferred from headers when absent')
    .requiredOption('--out <dir>', 'output directory')
    .option('--system <name>', 'system name for the crosswalk rows (default: left file name)')
    .option('--progress', 'force the progress bar even when stderr is not a TTY')
    .action((opts: ReconcileOptions) => {
      const summary = runReconcile(opts);
      process.stdout.write(`${JSON.stringify(summary)}\n`);
    });
}
