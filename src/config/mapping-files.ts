import { FACILITY_COLUMNS_FILE } from '../registry/facility-columns.js';
import { FACILITY_TYPES_FILE } from '../registry/propagation/facility-types.js';
import { VOCABULARY_FILE } from '../registry/match/vocabulary.js';
import { WEIGHTS_FILE } from '../registry/match/weights.js';
import path from 'node:path';
import {
  activeMapping,
  activeMappingsDir,
  checkMapping,
  loadMapping,
  MappingError,
  mappingsDirOf,
  useMappingsDir,
  type MappingFile,
} from './mappings.js';
import { PRODUCTS_FILE } from './product-catalogue.js';
import { existingMappingsDir } from './mappings-dir-check.js';
import { ROUTING_FILE, unknownSystems, type RoutingRules } from '../routing/rules.js';
import { DHIS2_INDICATORS_FILE } from '../systems/dhis2/products.js';

/**
 * Every mapping file a running mediator reads from `mappings.dir`, each with its schema and
 * rules. Start-up and `check-mappings` go through this list, so a file added here is checked by
 * both; each file's definition lives next to the code that reads it.
 */
export const MAPPING_FILES: MappingFile<unknown>[] = [
  PRODUCTS_FILE,
  FACILITY_COLUMNS_FILE,
  VOCABULARY_FILE,
  WEIGHTS_FILE,
  ROUTING_FILE,
  FACILITY_TYPES_FILE,
  DHIS2_INDICATORS_FILE,
] as MappingFile<unknown>[];

/** Loads every mapping file: the first bad one stops start-up with its file, path and reason. */
export function assertMappings(dir: string): void {
  for (const def of MAPPING_FILES) loadMapping(def, dir);
}

/** Every problem of every mapping file in a directory (check-mappings prints them all). */
export function checkAllMappings(dir: string) {
  return MAPPING_FILES.map((def) => checkMapping(def, dir));
}

/**
 * Start-up: every mapping file in `mappings.dir` is checked before anything opens (a bad one
 * throws a MappingError, a ConfigError, naming file, path and reason), then becomes the directory
 * code without settings at hand reads from.
 */
export function useCheckedMappings(settings: Record<string, unknown>): string {
  const dir = existingMappingsDir(mappingsDirOf(settings), 'mappings.dir (MAPPINGS_DIR)');
  assertMappings(dir);
  useMappingsDir(dir);
  return dir;
}

/**
 * Start-up, after useCheckedMappings and once the connectors are known: routing.json sends writes only to systems a connector
 * serves, else it stops with file, path and reason like any bad mapping file (routing/rules.ts
 * unknownSystems). Apart from useCheckedMappings because the known systems are the composition's.
 */
export function assertRoutingSystems(known: readonly string[]): void {
  // the active directory's file, read once: routing's composition reads the same memo afterwards
  const problem = unknownSystems(activeMapping<RoutingRules>(ROUTING_FILE as MappingFile<RoutingRules>), known)[0];
  if (problem) throw new MappingError(path.join(activeMappingsDir(), ROUTING_FILE.file), problem.path, problem.reason);
}
