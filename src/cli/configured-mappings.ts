import { defaultSettings, layeredSettings } from '../config/load.js';
import { mappingsDirOf } from '../config/mappings.js';
import { existingMappingsDir as existing } from '../config/mappings-dir-check.js';

/**
 * The mapping directory an operator command reads, as `serve` and the scheduled reconcile find
 * theirs: `--mappings-dir` (commander fills it from MAPPINGS_DIR) over CONFIG_FILE's
 * `mappings.dir`. Without the file a deployment that keeps its own match weights and header
 * synonyms there had `reconcile` score with the shipped tables while the nightly job used its
 * own. Only the file is read, as configuredStore does: a command must not fail on a setting it
 * does not use. Undefined when neither names one (the shipped directory applies).
 */
export function configuredMappingsDir(
  option: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  if (option) return existing(mappingsDirOf({ 'mappings.dir': option }), '--mappings-dir (MAPPINGS_DIR)');
  const file = env.CONFIG_FILE ? layeredSettings({ CONFIG_FILE: env.CONFIG_FILE }) : {};
  const fileDir = file['mappings.dir'];
  if (fileDir === undefined || fileDir === '' || fileDir === defaultSettings()['mappings.dir']) return undefined;
  return existing(mappingsDirOf({ 'mappings.dir': fileDir }), `CONFIG_FILE ${env.CONFIG_FILE}: mappings.dir`);
}
