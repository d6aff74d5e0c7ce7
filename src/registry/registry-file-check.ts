import { statSync } from 'node:fs';
import type { Settings } from '../config/settings.js';
import { registrySource } from './registry-facilities.js';

/**
 * Why the `registry.file` the reconcile job will read cannot be read (not there, a directory, not
 * readable), or undefined. Only the job reads it, by default on Mondays at 02:30, so a typo in
 * REGISTRY_FILE went unseen until that run failed; start-up now says so at once. A warning, not
 * a refusal: the file may be put in place (a mounted export) after the mediator starts.
 */
export function registryFileProblem(settings: Settings): string | undefined {
  const source = registrySource(settings);
  if (source.kind !== 'file') return undefined;
  const said = `registry.file (REGISTRY_FILE) ${source.file}`;
  const after = 'the reconcile job and the review console cannot read the registry list until it can';
  try {
    if (statSync(source.file).isDirectory()) return `${said} is a directory, not a facility list: ${after}`;
    return undefined;
  } catch (err) {
    const { code } = err as { code?: string };
    return `${said} cannot be read (${code ?? String(err)}): ${after}`;
  }
}
