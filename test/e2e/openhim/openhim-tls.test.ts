/**
 * OpenHIM's API over HTTPS with its self-signed certificate (core's default), through the real
 * mediator: not trusted by default (and /ready says how to trust it), trusted through
 * NODE_EXTRA_CA_CERTS naming the certificate, and openhim.trustSelfSigned never turning the
 * check off silently.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import pino from 'pino';
import t, { type Test as Tap } from 'tap';
import { startOpenHimSandbox } from '../../../sandbox/openhim/index.js';
import { loadSettings } from '../../../src/config/load.js';
import { startMediator, type RunningMediator } from '../../../src/main.js';
import { openHimMediatorEnv, readyOf, untilDefined } from '../../support/openhim-ready.js';
import { haveOpenssl } from '../../support/openssl.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../../..');
const PASSWORD = 'openhim-tls-inbound-secret';
const authorization = 'Basic ' + Buffer.from(`openhim:${PASSWORD}`).toString('base64');

const skip = haveOpenssl() ? false : 'skipped: openssl not found';

/** A self-signed certificate for 127.0.0.1, as core generates for itself, and the HTTPS sandbox serving it. */
async function httpsOpenHim(t: Tap) {
  const dir = mkdtempSync(path.join(tmpdir(), 'openhim-tls-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=openhim'].concat([
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      'key.pem',
      '-out',
      'cert.pem',
    ]),
    { cwd: dir, stdio: 'pipe' },
  );
  const certFile = path.join(dir, 'cert.pem');
  const openhim = await startOpenHimSandbox({
    port: 0,
    tls: { key: readFileSync(path.join(dir, 'key.pem')), cert: readFileSync(certFile) },
  });
  t.teardown(() => openhim.close());
  return { openhim, certFile, dir };
}

function env(dir: string, apiUrl: string, trustSelfSigned: boolean): Record<string, string> {
  return {
    ...openHimMediatorEnv({ dataDir: dir, inboundPassword: PASSWORD, apiUrl }),
    OPENHIM_TRUST_SELF_SIGNED: String(trustSelfSigned),
  };
}

const openhimLine = async (mediator: RunningMediator) => (await readyOf(mediator, authorization)).openhim;

t.test('self-signed OpenHIM: refused by default, /ready says how to trust it', { skip }, async (t) => {
  const { openhim, dir } = await httpsOpenHim(t);
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
  const mediator = await startMediator(loadSettings(env(path.join(dir, 'data'), openhim.url, false)), { logger });
  t.teardown(() => mediator.stop());
  const line = await untilDefined('a refused registration', async () => {
    const l = await openhimLine(mediator);
    return l?.reason?.includes(' since ') ? l : undefined;
  });
  t.equal(line.status, 'degraded');
  t.match(line.reason, /OpenHIM's certificate is not trusted \(DEPTH_ZERO_SELF_SIGNED_CERT\)/);
  t.match(line.reason, /NODE_EXTRA_CA_CERTS/);
  t.equal(openhim.state.mediators.size, 0, 'nothing sent over the unverified connection');
  t.notOk(
    lines.some((l) => l.includes('not verified')),
    'no warning about checks turned off',
  );
});

t.test('openhim.trustSelfSigned registers, and says at start that the check is off', { skip }, async (t) => {
  const { openhim, dir } = await httpsOpenHim(t);
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
  const mediator = await startMediator(loadSettings(env(path.join(dir, 'data'), openhim.url, true)), { logger });
  t.teardown(() => mediator.stop());
  await untilDefined('registration', async () => ((await openhimLine(mediator))?.status === 'ok' ? true : undefined));
  const warning = lines
    .map((l) => JSON.parse(l) as { level: number; msg: string })
    .find((l) => /not verified/.test(l.msg));
  t.equal(warning?.level, 40, 'a warning');
  t.match(warning?.msg, /openhim\.trustSelfSigned.*NODE_EXTRA_CA_CERTS/, 'naming the setting and the way out');
});

t.test('NODE_EXTRA_CA_CERTS naming core certificate: registered with the check on', { skip }, async (t) => {
  const { openhim, certFile, dir } = await httpsOpenHim(t);
  const url = (rel: string) => JSON.stringify(pathToFileURL(path.join(root, rel)).href);
  const script = `
const { loadSettings } = await import(${url('src/config/load.ts')});
const { startMediator } = await import(${url('src/main.ts')});
const mediator = await startMediator(loadSettings(${JSON.stringify({ ...env(path.join(dir, 'data'), openhim.url, false), LOG_LEVEL: 'silent' })}));
const authorization = ${JSON.stringify(authorization)};
let line;
for (let i = 0; i < 300; i++) {
  const res = await mediator.app.inject({ url: '/ready', headers: { authorization } });
  line = res.json().checks.find((c) => c.name === 'openhim');
  if (line?.status === 'ok') break;
  await new Promise((r) => setTimeout(r, 25));
}
await mediator.stop();
console.log(JSON.stringify(line));
`;
  const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: root,
    env: { ...process.env, NODE_EXTRA_CA_CERTS: certFile, LOG_LEVEL: 'silent' },
    timeout: 60_000,
  });
  t.same(JSON.parse(stdout.trim().split('\n').pop()!), { name: 'openhim', status: 'ok' });
  t.equal(openhim.state.mediators.size, 1, 'registered');
});
