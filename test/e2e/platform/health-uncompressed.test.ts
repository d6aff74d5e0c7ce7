/**
 * /health is answered without loading what only compressible answers need (issue 18, start-up).
 * The compression hook's first run reads the global `Response`, which makes Node load its fetch
 * implementation (~50 ms of CPU); /health and /ready bodies are far below the threshold, so they
 * skip the hook. Checked in a fresh process through the real mediator (startMediator): Node's
 * own list of loaded internal modules says whether the fetch implementation was loaded.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import t from 'tap';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../../..');
const url = (rel: string) => JSON.stringify(pathToFileURL(path.join(root, rel)).href);

t.test('/health and /ready, asked with Accept-Encoding, do not load fetch; a FHIR answer does', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'health-uncompressed-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const script = `
const { loadSettings } = await import(${url('src/config/load.ts')});
const { startMediator } = await import(${url('src/main.ts')});
const fetchLoaded = () => process.moduleLoadList.some((m) => m.includes('internal/deps/undici/undici'));
const mediator = await startMediator(loadSettings({ HOST: '127.0.0.1', PORT: '0', DATA_DIR: ${JSON.stringify(dir)}, AUTH_PASSWORD: 'health-uncompressed-secret', LOG_LEVEL: 'warn' }));
const out = { started: fetchLoaded() };
const headers = { 'accept-encoding': 'gzip, deflate, br' };
const health = await mediator.app.inject({ url: '/health', headers });
const authorization = 'Basic ' + Buffer.from('openhim:health-uncompressed-secret').toString('base64');
const ready = await mediator.app.inject({ url: '/ready', headers: { ...headers, authorization } });
Object.assign(out, { health: health.statusCode, healthBody: health.json(), ready: ready.statusCode, afterProbes: fetchLoaded() });
const metadata = await mediator.app.inject({ url: '/fhir/metadata', headers });
Object.assign(out, { metadata: metadata.statusCode, encoding: metadata.headers['content-encoding'] ?? null, afterFhir: fetchLoaded() });
await mediator.stop();
console.log(JSON.stringify(out));
`;
  const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: root,
    env: { PATH: process.env.PATH, NODE_OPTIONS: '' },
  });
  const out = JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, unknown>;
  t.equal(out.started, false, 'starting the mediator does not load fetch');
  t.equal(out.health, 200);
  t.same(out.healthBody, { status: 'ok' });
  t.equal(out.ready, 200);
  t.equal(out.afterProbes, false, 'nor do /health and /ready');
  t.equal(out.metadata, 200);
  t.equal(out.encoding, 'gzip', 'the CapabilityStatement is compressed as before');
  t.equal(out.afterFhir, true, 'and its compression is what loads fetch (the check can see it)');
});
