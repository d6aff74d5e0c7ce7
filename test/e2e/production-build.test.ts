/**
 * The production build starts: TypeScript compiled with tsconfig.build.json (what `npm run build`
 * runs after the schemas) into a temporary image directory laid out exactly as the Dockerfile's
 * runtime stage lays out /app (its COPY lines are read from the Dockerfile, so a file the image
 * forgets fails here), then the Dockerfile's CMD run with plain node (no tsx) from an unrelated
 * working directory. /health and /fhir/metadata must answer 200, and a posted resource must be
 * checked by the generated validators (package data found from dist/).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { freePort } from '../support/net.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');
const PASSWORD = 'build-secret-Rt7';

/** The runtime stage of the Dockerfile: its COPY lines (sources, destination) and its CMD. */
function runtimeStage(dockerfile: string): {
  copies: { from?: string; sources: string[]; dest: string }[];
  cmd: string[];
} {
  const stages = dockerfile.split(/^FROM /m);
  const last = stages[stages.length - 1];
  const copies = [...last.matchAll(/^COPY\s+(--from=(\S+)\s+)?(.+)$/gm)].map((m) => {
    const parts = m[3].trim().split(/\s+/);
    return { from: m[2], sources: parts.slice(0, -1), dest: parts[parts.length - 1] };
  });
  const cmd = /^CMD\s+(\[.*\])\s*$/m.exec(last);
  if (!cmd) throw new Error('Dockerfile: no CMD in the runtime stage');
  return { copies, cmd: JSON.parse(cmd[1]) as string[] };
}

/**
 * /app as the image has it. `--from=build /app/X` sources come from the build: dist from our
 * compile, node_modules linked (the repo's), anything else from the repo after `npm run build`.
 */
function layOutImage(app: string, distDir: string, copies: ReturnType<typeof runtimeStage>['copies']): void {
  for (const copy of copies) {
    for (const source of copy.sources) {
      const rel = copy.from ? path.relative('/app', source) : source;
      // Docker: a destination ending in / is a directory the sources go into; otherwise the target itself
      const into = copy.dest.endsWith('/') ? path.join(app, copy.dest, path.basename(rel)) : path.join(app, copy.dest);
      if (rel === 'dist') cpSync(distDir, into, { recursive: true });
      else if (rel === 'node_modules') symlinkSync(path.join(root, 'node_modules'), into, 'dir');
      else {
        if (!existsSync(path.join(root, rel)))
          throw new Error(`the Dockerfile copies ${rel}, which the build did not produce`);
        cpSync(path.join(root, rel), into, { recursive: true });
      }
    }
  }
}

async function until(probe: () => Promise<boolean>, ms: number, gaveUp: () => boolean): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end && !gaveUp()) {
    if (await probe().catch(() => false)) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

t.test('the compiled build starts with node as the Docker image runs it', { timeout: 600_000 }, async (t) => {
  const work = mkdtempSync(path.join(tmpdir(), 'prod-build-'));
  t.teardown(() => rmSync(work, { recursive: true, force: true }));
  const distDir = path.join(work, 'build');
  const app = path.join(work, 'app');
  const data = path.join(work, 'data');
  const elsewhere = path.join(work, 'cwd');
  for (const d of [app, data, elsewhere]) mkdirSync(d);

  // The schema step of `npm run build` writes generated/ in the repo; it is skipped when the
  // file is there, so parallel tests never read a half-written validators file.
  if (!existsSync(path.join(root, 'generated', 'fhir-validators.cjs')))
    await run('npm', ['run', 'build:schemas'], { cwd: root });
  const started = Date.now();
  // tsc emits even when it reports type errors: those fail the build check, and the emitted
  // output is still started so a start-up failure is reported as well.
  const compiled = await run(
    path.join(root, 'node_modules/.bin/tsc'),
    ['-p', 'tsconfig.build.json', '--outDir', distDir],
    { cwd: root, maxBuffer: 16 << 20 },
  ).then(
    () => '',
    (err: { stdout?: string; message: string }) => err.stdout || err.message,
  );
  t.equal(compiled, '', 'tsc -p tsconfig.build.json reports no errors');
  t.comment(`tsc build: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  t.ok(existsSync(path.join(distDir, 'src/cli/index.js')), 'the build emitted the CLI');
  t.notOk(
    existsSync(path.join(distDir, 'package.json')),
    'dist/ holds no package.json: package data must be found above it',
  );

  const { copies, cmd } = runtimeStage(readFileSync(path.join(root, 'Dockerfile'), 'utf8'));
  layOutImage(app, distDir, copies);
  t.same(cmd.slice(0, 1), ['node'], 'the image runs plain node');

  const port = await freePort();
  let output = '';
  const child: ChildProcess = spawn(
    cmd[0] === 'node' ? process.execPath : cmd[0],
    [path.join(app, cmd[1]), ...cmd.slice(2)],
    {
      cwd: elsewhere,
      env: {
        PATH: process.env.PATH,
        NODE_OPTIONS: '',
        AUTH_PASSWORD: PASSWORD,
        DATA_DIR: data,
        PORT: String(port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout!.on('data', (b) => (output += b));
  child.stderr!.on('data', (b) => (output += b));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });

  const base = `http://127.0.0.1:${port}`;
  const up = await until(
    async () => (await fetch(`${base}/health`)).status === 200,
    60_000,
    () => child.exitCode !== null,
  );
  t.ok(up, `/health answers 200 (process output: ${output.slice(0, 2000)})`);
  const metadata = await fetch(`${base}/fhir/metadata`);
  t.equal(metadata.status, 200, '/fhir/metadata answers 200');
  t.match(
    await metadata.json(),
    {
      resourceType: 'CapabilityStatement',
      software: { version: JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).version },
    },
    'with the version from package.json',
  );
  const auth = `Basic ${Buffer.from(`openhim:${PASSWORD}`).toString('base64')}`;
  const invalid = await fetch(`${base}/fhir/SupplyRequest`, {
    method: 'POST',
    headers: { authorization: auth, 'content-type': 'application/fhir+json' },
    body: JSON.stringify({ resourceType: 'SupplyRequest', status: 'bogus' }),
  });
  t.equal(invalid.status, 400, 'a bad resource is refused by the generated validators');
  t.match(await invalid.json(), { resourceType: 'OperationOutcome', issue: [{ expression: [String] }] });

  child.kill('SIGTERM');
  t.equal(await exited, 0, 'SIGTERM stops it cleanly');
});
