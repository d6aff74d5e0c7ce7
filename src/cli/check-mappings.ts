import path from 'node:path';
import { Command } from 'commander';
import { layeredSettings } from '../config/load.js';
import { checkAllMappings } from '../config/mapping-files.js';
import { mappingsDirOf, type MappingProblem } from '../config/mappings.js';
import { mappingsDirProblem } from '../config/mappings-dir-check.js';
import { PRODUCTS_FILE } from '../config/product-catalogue.js';
import { ROUTING_FILE, unknownSystems, type RoutingRules } from '../routing/rules.js';
import { knownSystems } from '../systems/index.js';
import {
  CATALOGUE_CODE_NAMES,
  CATALOGUE_SYSTEMS,
  missingCodes,
  productLabel,
  type CatalogueSystem,
  type ProductCatalogue,
} from '../domain/product-catalogue.js';

export interface MappingsReport {
  dir: string;
  /** The directory itself cannot be checked (not there, not a directory): no file was read. */
  problem?: string;
  files: { file: string; valid: boolean; problems: MappingProblem[] }[];
  /** Per system, the products without a code for it; absent when products.json is invalid. */
  missing?: Record<CatalogueSystem, string[]>;
  products?: number;
}

/** Checks every mapping file of a directory and, from a valid catalogue, what each system lacks. */
export function mappingsReport(dir: string): MappingsReport {
  const results = checkAllMappings(dir).map((r) => {
    // the systems routing.json sends writes to must be ones a connector serves (as start-up checks)
    if (path.basename(r.file) !== ROUTING_FILE.file || !r.data) return r;
    const problems = unknownSystems(r.data as RoutingRules, knownSystems());
    return problems.length ? { ...r, data: undefined, problems } : r;
  });
  const report: MappingsReport = {
    dir,
    files: results.map((r) => ({ file: path.basename(r.file), valid: r.problems.length === 0, problems: r.problems })),
  };
  const catalogue = results.find((r) => path.basename(r.file) === PRODUCTS_FILE.file)?.data as
    ProductCatalogue | undefined;
  if (catalogue) {
    const missing = missingCodes(catalogue);
    report.products = catalogue.products.length;
    report.missing = Object.fromEntries(CATALOGUE_SYSTEMS.map((s) => [s, missing[s].map(productLabel)])) as Record<
      CatalogueSystem,
      string[]
    >;
  }
  return report;
}

export function formatReport(r: MappingsReport): string {
  const lines = [`mapping directory: ${r.dir}`];
  for (const f of r.files) {
    lines.push(`${f.file}: ${f.valid ? 'valid' : 'INVALID'}`);
    for (const p of f.problems) lines.push(`  ${p.path} ${p.reason}`);
  }
  if (r.missing) {
    lines.push('', `products without a code, per system (${r.products} products in ${PRODUCTS_FILE.file}):`);
    for (const s of CATALOGUE_SYSTEMS) {
      const names = r.missing[s];
      lines.push(
        `  ${s}: ${names.length ? `${names.length} with no ${CATALOGUE_CODE_NAMES[s]}` : `every product has its ${CATALOGUE_CODE_NAMES[s]}`}`,
      );
      for (const n of names) lines.push(`    - ${n}`);
    }
  }
  return lines.join('\n');
}

/**
 * `check-mappings [--dir DIR] [--json]`: validates every mapping file against its JSON Schema and
 * rules, and lists what each system still lacks in the product catalogue. Exits 1 when a file is
 * invalid (a mediator would refuse to start with it); missing codes alone are not an error, since
 * a system need not carry every product.
 */
export function checkMappingsCommand(): Command {
  return new Command('check-mappings')
    .description('Check every mapping file against its schema; list products each system has no code for')
    .option('--dir <dir>', 'mapping directory (default: mappings.dir from CONFIG_FILE / MAPPINGS_DIR)')
    .option('--json', 'print the report as JSON')
    .action((o: { dir?: string; json?: boolean }) => {
      const dir = o.dir ? path.resolve(o.dir) : mappingsDirOf(layeredSettings());
      const problem = mappingsDirProblem(dir);
      if (problem) {
        process.stderr.write(`mapping directory ${problem}\n`);
        // a script reading --json gets the refusal as JSON too, not an empty stdout to parse
        if (o.json) process.stdout.write(`${JSON.stringify({ dir, problem, files: [] }, null, 2)}\n`);
        process.exitCode = 1;
        return;
      }
      const report = mappingsReport(dir);
      process.stdout.write(`${o.json ? JSON.stringify(report, null, 2) : formatReport(report)}\n`);
      if (report.files.some((f) => !f.valid)) process.exitCode = 1;
    });
}
