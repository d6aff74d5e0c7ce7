/**
 * `npm run sandbox -- <name> --port N`: each sandbox runs on its own on the port given, prints
 * where it listens, answers its control API, and stops on SIGINT.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import t from 'tap';
import { freePort } from '../../support/net.js';
import { startSandboxProcess } from '../../support/sandbox-process.js';

const root = path.resolve(import.meta.dirname, '../../..');
const tsxLoader = import.meta.resolve('tsx');

t.test('openlmis on its own', async (t) => {
  const port = await freePort();
  const sb = await startSandboxProcess(t, ['openlmis', '--port', String(port)]);
  t.match(sb.out(), `OpenLMIS sandbox listening on http://127.0.0.1:${port}`);
  const seed = await (await fetch(`http://127.0.0.1:${port}/_sandbox/seed`)).json();
  t.match(
    seed,
    { clients: { user: { clientId: 'user-client' } }, facilities: { 'LK-HC-101': String } },
    '/_sandbox/seed answers',
  );
  const fault = await fetch(`http://127.0.0.1:${port}/_sandbox/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ method: 'GET', path: '/api/programs', times: 1, action: { type: 'status', status: 503 } }),
  });
  t.equal(fault.status, 201, 'a fault can be installed');
  t.equal((await fetch(`http://127.0.0.1:${port}/api/programs`)).status, 503, 'and fires');
  t.equal(await sb.stop(), 0, 'SIGINT stops it');
});

t.test('openhim on its own', async (t) => {
  const port = await freePort();
  const sb = await startSandboxProcess(t, ['openhim', '--port', String(port)]);
  t.match(sb.out(), `OpenHIM core API sandbox listening on http://127.0.0.1:${port}`);
  const res = await fetch(`http://127.0.0.1:${port}/mediators`, {
    headers: { authorization: `Basic ${Buffer.from('root@openhim.org:openhim-password').toString('base64')}` },
  });
  t.equal(res.status, 200, 'the mediator API answers with the printed credentials');
  t.same(await res.json(), []);
  t.equal(await sb.stop(), 0);
});

/**
 * Runs `sandbox/cli.ts args` expecting a refusal: its exit code and what it printed (stopped with
 * SIGINT after 20 s if it started after all, so a test fails rather than hangs).
 */
async function runRefused(args: string[], env: NodeJS.ProcessEnv = process.env) {
  const child = spawn(process.execPath, ['--import', tsxLoader, path.join(root, 'sandbox/cli.ts'), ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
  });
  let err = '';
  let out = '';
  child.stderr!.on('data', (b) => (err += b));
  child.stdout!.on('data', (b) => (out += b));
  const timer = setTimeout(() => child.kill('SIGINT'), 20_000);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearTimeout(timer);
  return { code, err, out };
}

t.test('a bad port is refused with the reason', async (t) => {
  const { code, err } = await runRefused(['openlmis', '--port', 'abc']);
  t.not(code, 0);
  t.match(err, "option '--port <port>' argument 'abc' is invalid. give a port, 0..65535.");
});

t.test('a token or session lifetime that is no count of seconds is refused with the reason', async (t) => {
  // before: Number('abc') is NaN and a token expiring at NaN never expired; -5 expired each at once
  const cases = [
    ['openlmis', '--token-ttl', 'abc'],
    ['msupply', '--token-ttl', '-5'],
    ['openmrs', '--session-ttl', 'soon'],
  ];
  for (const [name, flag, value] of cases) {
    const { code, err, out } = await runRefused([name, '--port', '0', flag, value]);
    t.equal(code, 1, `${name} ${flag} ${value}: exit 1`);
    t.match(err, `${flag} must be whole seconds (1 or more), got '${value}'`);
    t.notMatch(out, /listening/, 'nothing started');
  }
});

t.test("a flag's environment variable is checked like the flag, and the error names the variable", async (t) => {
  // before: OPENLMIS_SANDBOX_TOKEN_TTL=abc was the option's default and skipped the flag's check
  const cases: [string, string, string, string][] = [
    ['openlmis', 'OPENLMIS_SANDBOX_TOKEN_TTL', 'abc', '--token-ttl must be whole seconds'],
    ['openmrs', 'OPENMRS_SANDBOX_SESSION_TTL', '0', '--session-ttl must be whole seconds'],
    ['msupply', 'MSUPPLY_SANDBOX_PORT', '99999', 'give a port, 0..65535.'],
    // before: Number('') is 0, and a variable set empty started the sandbox on any free port
    ['openlmis', 'OPENLMIS_SANDBOX_PORT', '', 'give a port, 0..65535.'],
  ];
  for (const [name, variable, value, reason] of cases) {
    const { code, err, out } = await runRefused([name], { ...process.env, [variable]: value });
    t.equal(code, 1, `${variable}=${value}: exit 1`);
    t.match(err, `from env '${variable}'`, 'the error names the variable');
    t.match(err, reason);
    t.notMatch(out, /listening/, 'nothing started');
  }
});
