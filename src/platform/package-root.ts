import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The directory holding our package.json, found by walking up from a module's own location.
 * The same code runs from src/ (tsx) and from dist/src/ (the compiled build, where dist/ holds no
 * package.json, fhir-mappings/ or mediator-config.json): a fixed number of '..' from
 * import.meta.url points at dist/ in the build, which is how the production image failed to start.
 */
export function findPackageRoot(startDir: string): string {
  let dir = path.resolve(startDir);
  for (;;) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`package.json not found in ${startDir} or any directory above it`);
    dir = parent;
  }
}

let cached: string | undefined;

/** The mediator's package root (cached: it cannot move while the process runs). */
export function packageRoot(): string {
  cached ??= findPackageRoot(path.dirname(fileURLToPath(import.meta.url)));
  return cached;
}

/** A path under the package root: package data (mappings, schemas, the OpenHIM registration). */
export function packagePath(...segments: string[]): string {
  return path.join(packageRoot(), ...segments);
}
