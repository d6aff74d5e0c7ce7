/**
 * Facility reconciliation benchmark: our matcher and a GOFR-style baseline on the same input.
 *
 *   npm run bench:reconcile -- --left L.csv --right R.csv --truth T.csv --key mfl_code
 *   npm run bench:reconcile -- --fakeland              (GOFR's own demo lists)
 *   npm run bench:reconcile -- --kenya [--cv] [--calibrate-out FILE]
 *
 * The key column is dropped from both lists before the matcher (and the baseline) sees them;
 * it is only used to score. The last line printed is one JSON object with the figures.
 * --cv calibrates on half of the top-level areas (counties) and measures on the other half, both
 * ways, to show how the calibration generalises. --calibrate-out writes a weights table calibrated
 * on the given lists (that is how fhir-mappings/facility-match-weights.json was produced).
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { loadFacilityList, readRows } from '../src/registry/facility-list.js';
import { calibrate, outcomeOf } from '../src/registry/match/calibrate.js';
import { scoreOutcome, type BenchmarkFigures, type Truth } from '../src/registry/match/evaluate.js';
import { buildCandidateGraph, scoreGraph, type CandidateGraph } from '../src/registry/match/matcher.js';
import { defaultWeights, type MatchWeights } from '../src/registry/match/weights.js';
import { gofrBaseline } from './reconcile-gofr-baseline.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const sharedDir = process.env.SHARED_DIR ?? path.resolve(repoRoot, '../shared');

interface BenchInput {
  left: string;
  right: string;
  truth: string;
  key: string;
  truthLeft: string;
  truthRight: string;
}

/** A labelled list pair under <shared>/fixtures/facilities/<folder>. */
function sharedInput(shared: string, folder: string, files: Pick<BenchInput, 'left' | 'right' | 'truth'>, key: string, truthLeft = key, truthRight = key): BenchInput {
  const dir = path.join(shared, 'fixtures/facilities', folder);
  return { left: path.join(dir, files.left), right: path.join(dir, files.right), truth: path.join(dir, files.truth), key, truthLeft, truthRight };
}

export function kenyaInput(shared = sharedDir): BenchInput {
  return sharedInput(shared, 'kenya', {
    left: 'kenyaemr_mfl_2014-05-12.train.csv',
    right: 'kmhfl_2020-05_operational.train.csv',
    truth: 'truth_kenyaemr2014_to_kmhfl2020.train.csv',
  }, 'mfl_code');
}

export function fakelandInput(shared = sharedDir): BenchInput {
  return sharedInput(shared, 'gofr-fakeland', {
    left: 'source1_ngo.csv',
    right: 'source2_dhis2.csv',
    truth: 'truth_source1_to_source2.csv',
  }, 'Code', 'source1_code', 'source2_code');
}

export interface BenchReport {
  ours: BenchmarkFigures;
  gofr: BenchmarkFigures & { bucketAssistedRecall: number };
  seconds: number;
  gofrSeconds: number;
  peakRssMB: number;
  pairsCompared: number;
  candidatesByKey: Record<string, number>;
  thresholds: MatchWeights['thresholds'];
  crossValidation?: { calibratedOn: string[]; measuredOn: string[]; figures: BenchmarkFigures; thresholds: MatchWeights['thresholds'] }[];
}

interface Loaded {
  graph: CandidateGraph;
  truth: Truth;
  hard: (li: number) => boolean;
}

type Records = ReturnType<typeof loadFacilityList>['records'];

/** Both lists without the key column (the matcher and the baseline never see it). */
function loadLists(input: BenchInput): { left: Records; right: Records } {
  const load = (file: string, system: string) => loadFacilityList(file, { dropColumns: [input.key], system }).records;
  return { left: load(input.left, 'left'), right: load(input.right, 'right') };
}

/** The truth pairs as left index → right index, joined on the key column. */
function loadTruth(input: BenchInput): Truth {
  const keysOf = (file: string) => readRows(file).map((r) => (r[input.key] ?? '').trim());
  const pairs = new Map<string, string>();
  for (const row of readRows(input.truth)) {
    const l = (row[input.truthLeft] ?? '').trim();
    const r = (row[input.truthRight] ?? '').trim();
    if (l && r) pairs.set(l, r);
  }
  return truthIndex(keysOf(input.left), keysOf(input.right), pairs);
}

function truthIndex(leftKeys: string[], rightKeys: string[], pairs: Map<string, string>): Truth {
  const rightByKey = new Map<string, number>();
  rightKeys.forEach((k, i) => k && !rightByKey.has(k) && rightByKey.set(k, i));
  const truth: Truth = new Map();
  leftKeys.forEach((k, li) => {
    const rk = pairs.get(k);
    const ri = rk === undefined ? undefined : rightByKey.get(rk);
    if (ri !== undefined) truth.set(li, ri);
  });
  return truth;
}

/** Hard pairs: true pairs whose names differ (case aside). */
function hardPairs(truth: Truth, left: Records, right: Records): (li: number) => boolean {
  return (li) => {
    const ri = truth.get(li);
    return ri !== undefined && left[li].facility.name.toLowerCase() !== right[ri].facility.name.toLowerCase();
  };
}

/** Restricts a candidate graph (and its truth) to some left records, re-indexed from 0. */
function restrict(graph: CandidateGraph, truth: Truth, keep: number[]): { graph: CandidateGraph; truth: Truth; map: number[] } {
  const sub: CandidateGraph = { ...graph, left: keep.map((i) => graph.left[i]), perLeft: keep.map((i) => graph.perLeft[i]) };
  const t: Truth = new Map();
  keep.forEach((old, i) => truth.has(old) && t.set(i, truth.get(old)!));
  return { graph: sub, truth: t, map: keep };
}

export function runBenchmark(input: BenchInput, opts: { cv?: boolean; weights?: MatchWeights; onProgress?: (d: number, t: number) => void } = {}): BenchReport {
  const truth = loadTruth(input);
  const started = performance.now();
  const { left, right } = loadLists(input);
  const weights = opts.weights ?? defaultWeights();
  const graph = buildCandidateGraph(left, right, { onProgress: opts.onProgress });
  const scored = scoreGraph(graph, weights);
  const outcome = outcomeOf(scored, weights.thresholds);
  const seconds = (performance.now() - started) / 1000;

  const hard = hardPairs(truth, left, right);
  const ours = scoreOutcome(outcome, truth, hard, left.length);

  const gStarted = performance.now();
  const g = gofrBaseline(left, right, graph.topLevel);
  const gofrSeconds = (performance.now() - gStarted) / 1000;
  const gofrFigures = scoreOutcome(g, truth, hard, left.length);
  const bucketAssisted = bucketRecall(g, truth);

  const report: BenchReport = {
    ours,
    gofr: { ...gofrFigures, bucketAssistedRecall: bucketAssisted },
    seconds,
    gofrSeconds,
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    pairsCompared: graph.pairsCompared,
    candidatesByKey: graph.candidatesByKey,
    thresholds: weights.thresholds,
  };
  if (opts.cv) report.crossValidation = crossValidate({ graph, truth, hard }, weights);
  return report;
}

/** GOFR's suggestion buckets keep every tie: assisted recall if a reviewer reads the whole bucket list. */
function bucketRecall(g: ReturnType<typeof gofrBaseline>, truth: Truth): number {
  let found = 0;
  for (const [li, ri] of truth) {
    if ((g.zones[li] === 'auto' && g.autoRight[li] === ri) || (g.zones[li] === 'review' && g.bucketSuggestions[li].includes(ri))) found++;
  }
  return Math.round((truth.size ? found / truth.size : 1) * 10000) / 10000;
}

/** Two folds by top-level area (alternating in name order): calibrate on one, measure on the other. */
function crossValidate(loaded: Loaded, prior: MatchWeights): NonNullable<BenchReport['crossValidation']> {
  const { graph, truth, hard } = loaded;
  const areas = [...new Set(graph.left.map((r) => r.top ?? ''))].sort();
  const folds = [areas.filter((_, i) => i % 2 === 0), areas.filter((_, i) => i % 2 === 1)];
  const indicesOf = (fold: string[]) => graph.left.map((r, i) => (fold.includes(r.top ?? '') ? i : -1)).filter((i) => i >= 0);
  return [0, 1].map((k) => {
    const train = restrict(graph, truth, indicesOf(folds[k]));
    const test = restrict(graph, truth, indicesOf(folds[1 - k]));
    const { weights } = calibrate(train.graph, train.truth, (li) => hard(train.map[li]), prior);
    const figures = scoreOutcome(outcomeOf(scoreGraph(test.graph, weights), weights.thresholds), test.truth, (li) => hard(test.map[li]), test.graph.left.length);
    return { calibratedOn: folds[k], measuredOn: folds[1 - k], figures, thresholds: weights.thresholds };
  });
}

/** Calibrates weights and thresholds on labelled lists and writes the table (see calibrate.ts for the policy). */
export function calibrateTable(input: BenchInput, prior: MatchWeights): MatchWeights {
  const { left, right } = loadLists(input);
  const truth = loadTruth(input);
  const graph = buildCandidateGraph(left, right);
  const { weights, figures } = calibrate(graph, truth, hardPairs(truth, left, right), prior);
  return {
    ...weights,
    description:
      'Fellegi-Sunter m/u probabilities per feature level and the three-zone thresholds (log2 likelihood ratio). Produced by `npm run bench:reconcile -- --kenya --calibrate-out <file>` (policy in src/registry/match/calibrate.ts). Features absent from the calibration lists (distance, identifier) keep documented priors.',
    calibration: {
      on: path.basename(input.left) + ' vs ' + path.basename(input.right),
      policy: 'auto: max recall with precision >= 0.992 and false auto on unmatched <= 0.025, auto >= 6; clear winner (fixed by two-fold county CV): 2 bits lower with margin >= 4 when type and county do not contradict, kept if precision >= 0.99 and false auto <= 0.03; review: queue <= 12% of the left list, score >= -1; rarity and type m/u conditional on the name group',
      figuresOnCalibrationSet: figures,
    },
  };
}

function fmt(f: BenchmarkFigures): string {
  return [f.autoPrecision, f.autoRecall, f.hardRecall, f.assistedRecall, f.falseAutoOnUnmatched, f.reviewShare].map((x) => x.toFixed(3).padStart(8)).join(' ');
}

function ratio(a: number, b: number): string {
  return b === 0 ? (a === 0 ? '1' : '∞') : (a / b).toFixed(2);
}

export function printReport(name: string, r: BenchReport, log: (s: string) => void): void {
  log(`# ${name}`);
  const clear = r.thresholds.clearAuto !== undefined ? ` (or >= ${r.thresholds.clearAuto} with margin >= ${r.thresholds.clearMargin})` : '';
  log(`thresholds: auto >= ${r.thresholds.auto} with margin >= ${r.thresholds.margin}${clear}; review >= ${r.thresholds.review}; no-match below (log2 likelihood ratio)`);
  log('              autoPrec autoRec  hardRec  assisted falseAuto reviewSh');
  log(`ours          ${fmt(r.ours)}   (${r.ours.autoMatches} auto, ${r.ours.reviewQueue} review, ${r.seconds.toFixed(2)} s, ${r.pairsCompared} pairs)`);
  log(`GOFR-style    ${fmt(r.gofr)}   (${r.gofr.autoMatches} auto, ${r.gofr.reviewQueue} review, ${r.gofrSeconds.toFixed(2)} s; all-ties bucket recall ${r.gofr.bucketAssistedRecall})`);
  log(`ours/GOFR     autoRecall ×${ratio(r.ours.autoRecall, r.gofr.autoRecall)}, hardRecall ×${ratio(r.ours.hardRecall, r.gofr.hardRecall)}, assistedRecall ×${ratio(r.ours.assistedRecall, r.gofr.assistedRecall)}, reviewShare ×${ratio(r.ours.reviewShare, r.gofr.reviewShare)}`);
  for (const cv of r.crossValidation ?? []) {
    log(`cv: calibrated on ${cv.calibratedOn.length} areas, measured on ${cv.measuredOn.length} others: ${fmt(cv.figures)}  thresholds ${JSON.stringify(cv.thresholds)}`);
  }
}

export function summaryLine(r: BenchReport): string {
  const o = r.ours;
  return JSON.stringify({
    autoPrecision: o.autoPrecision,
    autoRecall: o.autoRecall,
    hardRecall: o.hardRecall,
    assistedRecall: o.assistedRecall,
    falseAutoOnUnmatched: o.falseAutoOnUnmatched,
    reviewShare: o.reviewShare,
    seconds: Math.round(r.seconds * 1000) / 1000,
    peakRssMB: r.peakRssMB,
    gofr: {
      autoPrecision: r.gofr.autoPrecision,
      autoRecall: r.gofr.autoRecall,
      hardRecall: r.gofr.hardRecall,
      assistedRecall: r.gofr.assistedRecall,
      falseAutoOnUnmatched: r.gofr.falseAutoOnUnmatched,
      reviewShare: r.gofr.reviewShare,
      seconds: Math.round(r.gofrSeconds * 1000) / 1000,
    },
    ...(r.crossValidation ? { crossValidation: r.crossValidation.map((c) => ({ measuredOn: c.measuredOn.length, ...c.figures })) } : {}),
  });
}

async function main(): Promise<void> {
  const program = new Command('bench:reconcile')
    .option('--left <file>', 'left list (a system list), CSV or JSON')
    .option('--right <file>', 'right list (the registry), CSV or JSON')
    .option('--truth <file>', 'truth pairs CSV')
    .option('--key <column>', 'key column shared by both lists (dropped before matching)')
    .option('--truth-left <column>', 'truth column for the left key (default: --key)')
    .option('--truth-right <column>', 'truth column for the right key (default: --key)')
    .option('--kenya', 'run on the Kenya training split in ../shared')
    .option('--fakeland', 'run on GOFR fakeland demo lists in ../shared')
    .option('--cv', 'cross-validate the calibration by top-level area (two folds)')
    .option('--calibrate-out <file>', 'calibrate on these lists and write the weights table');
  program.parse(process.argv.slice(2).filter((a) => a !== '--'), { from: 'user' });
  const o = program.opts();
  const inputs: [string, BenchInput][] = [];
  if (o.kenya) inputs.push(['kenya (training split)', kenyaInput()]);
  if (o.fakeland) inputs.push(['gofr-fakeland', fakelandInput()]);
  if (o.left && o.right && o.truth && o.key) {
    inputs.push([`${path.basename(o.left)} vs ${path.basename(o.right)}`, { left: o.left, right: o.right, truth: o.truth, key: o.key, truthLeft: o.truthLeft ?? o.key, truthRight: o.truthRight ?? o.key }]);
  }
  if (inputs.length === 0) {
    program.help({ error: true });
    return;
  }
  if (o.calibrateOut) {
    const table = calibrateTable(inputs[0][1], defaultWeights());
    writeFileSync(o.calibrateOut, JSON.stringify({ $schema: './facility-match-weights.schema.json', ...table }, null, 2) + '\n');
    console.log(`wrote ${o.calibrateOut}: ${JSON.stringify(table.thresholds)}`);
  }
  let last: BenchReport | undefined;
  for (const [name, input] of inputs) {
    last = runBenchmark(input, { cv: !!o.cv });
    printReport(name, last, (s) => console.log(s));
    console.log(`candidates by key: ${JSON.stringify(last.candidatesByKey)}`);
  }
  console.log(summaryLine(last!));
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    console.error((err as Error).message);
    process.exitCode = 1;
  });
}
