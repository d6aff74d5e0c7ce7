/**
 * `serve` loads what the production process uses and not the other commands' modules (issue 18:
 * idle footprint): no demo data helpers, no bridge or reconcile CLI with their progress bars, no
 * PostgreSQL driver when no database URL is configured. Every module the process loads is
 * recorded by a module hook (node:module register) while the real CLI starts and answers
 * /health; the other commands still load, and all are still listed by --help.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import t from 'tap';
import { serveRecordingModules } from '../support/module-recorder.js';
import { until } from '../support/net.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');
const cli = path.join(root, 'src/cli/index.ts');

t.test('serve loads neither the other commands nor the PostgreSQL driver', { timeout: 180_000 }, async (t) => {
  const work = mkdtempSync(path.join(tmpdir(), 'cli-serve-modules-'));
  t.teardown(() => rmSync(work, { recursive: true, force: true }));
  const {
    port,
    child,
    exited,
    stderr,
    loaded: loadedNow,
  } = await serveRecordingModules(t, work, {
    AUTH_PASSWORD: 'serve-modules-secret',
  });
  await until('/health 200', async () => (await fetch(`http://127.0.0.1:${port}/health`)).status === 200, 120_000);
  child.kill('SIGTERM');
  await exited;
  t.equal(child.exitCode, 0, `serve stopped cleanly (${stderr().slice(0, 500)})`);

  const loaded = loadedNow();
  const ours = (rel: string) => loaded.some((u) => u.startsWith(pathToFileURL(path.join(root, rel)).href));
  t.ok(ours('src/main.ts'), 'the recorder saw the mediator load');
  t.ok(ours('src/cli/serve.ts'), 'and the serve command');
  for (const rel of [
    'src/cli/demo.ts',
    'src/cli/demo-data.ts',
    'src/cli/bridge.ts',
    'src/cli/reconcile.ts',
    'src/cli/outbox.ts',
    'src/cli/jobs.ts',
    'src/cli/propagation.ts',
    'src/cli/check-mappings.ts',
    'src/bridges/rts-cli.ts',
    'src/store/postgres.ts',
  ])
    t.notOk(ours(rel), `${rel} is not loaded`);
  for (const pkg of ['pg', 'cli-progress'])
    t.notOk(
      loaded.some((u) => u.includes(`/node_modules/${pkg}/`)),
      `the ${pkg} package is not loaded`,
    );
});

t.test('the other commands still load, and --help lists them all', { timeout: 120_000 }, async (t) => {
  const help = await run(process.execPath, ['--import', 'tsx', cli, '--help'], { cwd: root });
  for (const name of ['serve', 'demo', 'outbox', 'jobs', 'bridge', 'propagation', 'check-mappings', 'reconcile'])
    t.match(help.stdout, new RegExp(`^\\s+${name}\\b`, 'm'), `--help lists ${name}`);
  const reconcile = await run(process.execPath, ['--import', 'tsx', cli, 'reconcile', '--help'], { cwd: root });
  t.match(reconcile.stdout, /--left <file>/, 'reconcile --help shows its own options');
  const typo = await run(process.execPath, ['--import', 'tsx', cli, 'reconcil'], { cwd: root }).then(
    () => 'exit 0',
    (err: { stderr: string }) => err.stderr,
  );
  t.match(typo, /unknown command 'reconcil'/, 'a mistyped command is refused by name');
});
