import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { freePort } from './net.js';

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

/** A `serve` started through tsx with moduleRecorder, its loaded modules readable at any time. */
export interface RecordedServe {
  port: number;
  child: ChildProcess;
  exited: Promise<unknown>;
  stderr: () => string;
  /** Every module URL loaded so far. */
  loaded: () => string[];
}

/**
 * Starts `src/cli/index.ts serve` in `work` (data and the module log there) on a free port with
 * `env` added to a minimal environment (no DATABASE_URL, no NODE_OPTIONS); killed at teardown.
 */
export async function serveRecordingModules(
  t: { teardown(fn: () => unknown): void },
  work: string,
  env: NodeJS.ProcessEnv,
): Promise<RecordedServe> {
  const root = path.resolve(import.meta.dirname, '../..');
  const log = path.join(work, 'loaded.txt');
  writeFileSync(log, '');
  const port = await freePort();
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--import', moduleRecorder(work), path.join(root, 'src/cli/index.ts'), 'serve'],
    {
      cwd: root,
      env: {
        PATH: process.env.PATH,
        NODE_OPTIONS: '',
        LOADED_LOG: log,
        PORT: String(port),
        HOST: '127.0.0.1',
        DATA_DIR: path.join(work, 'data'),
        LOG_LEVEL: 'warn',
        ...env,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr!.on('data', (b) => (stderr += b));
  const exited = new Promise((r) => child.once('exit', r));
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  return {
    port,
    child,
    exited,
    stderr: () => stderr,
    loaded: () => readFileSync(log, 'utf8').split('\n').filter(Boolean),
  };
}
