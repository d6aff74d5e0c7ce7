import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * Writes into `dir` a preload (for `node --import`) that appends each loaded module's URL to the
 * file named by LOADED_LOG; returns the preload's path. Tests use it to show which modules a
 * started mediator loaded (start-up cost, issue 18). ES modules are seen by a load hook; CommonJS
 * files required through createRequire (src/upstream/undici-agent.ts) bypass those hooks in
 * Node 20, so Module._load is wrapped too.
 */
export function moduleRecorder(dir: string): string {
  const hooks = path.join(dir, 'hooks.mjs');
  writeFileSync(
    hooks,
    `import { appendFileSync } from 'node:fs';
export async function load(url, context, next) {
  appendFileSync(process.env.LOADED_LOG, url + '\\n');
  return next(url, context);
}
`,
  );
  const preload = path.join(dir, 'record.mjs');
  writeFileSync(
    preload,
    `import Module, { register } from 'node:module';
import { appendFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
register(${JSON.stringify(pathToFileURL(hooks).href)});
const load = Module._load;
Module._load = function (request, parent, isMain) {
  try {
    const file = Module._resolveFilename(request, parent, isMain);
    if (file.startsWith('/')) appendFileSync(process.env.LOADED_LOG, pathToFileURL(file).href + '\\n');
  } catch {}
  return load.apply(this, arguments);
};
`,
  );
  return preload;
}
