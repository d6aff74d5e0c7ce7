/**
 * The Docker image's HEALTHCHECK, run as Docker runs it (`/bin/sh -c` of the line the Dockerfile
 * gives, with the container's environment), against a real mediator: healthy over HTTP and over
 * HTTPS (TLS_CERT_FILE, README "Configuration"), unhealthy once the server is gone. Before, the
 * probe asked http:// whatever the settings, so a container serving HTTPS was unhealthy for ever.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { loadSettings } from '../../../src/config/load.js';
import { startMediator } from '../../../src/main.js';
import { haveOpenssl } from '../../support/openssl.js';

const root = path.resolve(import.meta.dirname, '../../..');

/** The runtime stage's HEALTHCHECK command, continuation lines joined. */
function healthcheckCommand(): string {
  const dockerfile = readFileSync(path.join(root, 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
  const runtime = dockerfile.split(/^FROM /m).pop()!;
  const cmd = /^HEALTHCHECK\s.*?\sCMD\s+(.+)$/m.exec(runtime)?.[1];
  if (!cmd) throw new Error('Dockerfile: no HEALTHCHECK CMD in the runtime stage');
  return cmd.trim();
}

/** The probe's exit code, with the container's environment (asynchronously: the server is in this process). */
async function probe(env: Record<string, string>): Promise<number | null> {
  const child = spawn('/bin/sh', ['-c', healthcheckCommand()], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: 'ignore',
    timeout: 30_000,
  });
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

async function started(env: Record<string, string>) {
  const dir = mkdtempSync(path.join(tmpdir(), 'healthcheck-'));
  const mediator = await startMediator(
    loadSettings({
      HOST: '0.0.0.0',
      PORT: '0',
      DATA_DIR: dir,
      LOG_LEVEL: 'silent',
      AUTH_PASSWORD: 'healthcheck-pw-1',
      ...env,
    } as NodeJS.ProcessEnv),
  );
  const port = new URL(mediator.url).port;
  return { mediator, port, dir };
}

t.test('HTTP: healthy while serving, unhealthy once stopped', async (t) => {
  const { mediator, port, dir } = await started({});
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  t.equal(await probe({ PORT: port }), 0, 'healthy');
  await mediator.stop();
  t.equal(await probe({ PORT: port }), 1, 'unhealthy once the server is gone');
});

t.test('HTTPS (TLS_CERT_FILE): healthy', { skip: haveOpenssl() ? false : 'openssl not found' }, async (t) => {
  const certs = mkdtempSync(path.join(tmpdir(), 'healthcheck-certs-'));
  t.teardown(() => rmSync(certs, { recursive: true, force: true }));
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=mediator'].concat([
      '-keyout',
      'server.key',
      '-out',
      'server.crt',
    ]),
    { cwd: certs, stdio: 'pipe' },
  );
  const tls = { TLS_CERT_FILE: path.join(certs, 'server.crt'), TLS_KEY_FILE: path.join(certs, 'server.key') };
  const { mediator, port, dir } = await started(tls);
  t.teardown(async () => {
    await mediator.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  t.match(mediator.url, /^https:/, 'serves HTTPS');
  t.equal(await probe({ PORT: port, ...tls }), 0, 'healthy');
});
