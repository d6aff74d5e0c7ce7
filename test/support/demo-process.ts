/**
 * `npm run demo` as an implementer starts it: the CLI's `demo` command in a child process, from a
 * working directory of the test's own, with nothing of ours in its environment; what it prints
 * (credentials, sandbox URLs, the order and scripts of its "Try:" text) parsed for the test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { freePort } from './net.js';

const root = path.resolve(import.meta.dirname, '../..');
export const tsxLoader = import.meta.resolve('tsx');

/** The environment of a shell with nothing of ours configured. */
export function cleanEnv(): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, NODE_OPTIONS: '' };
}

export interface Demo {
  child: ChildProcess;
  /** Everything the demo printed so far. */
  output(): string;
  base: string;
  auth: string;
  lmis: string;
  facilityId: string;
  order: unknown;
  acceptScript: string;
  /** The URL a sandbox's line of the printed table names ("OpenMRS", "DHIS2 2.41" …). */
  sandboxUrl(name: string): string;
  /** A FHIR request to the demo's mediator as the printed credentials. */
  fhir(method: string, url: string, body?: unknown): Promise<Response>;
  stop(): Promise<number | null>;
}

export async function startDemo(cwd: string, ...args: string[]): Promise<Demo> {
  return startDemoWithEnv(cwd, {}, ...args);
}

/** The demo with `env` besides the clean environment (e.g. short outbox timings, as an operator may set). */
export async function startDemoWithEnv(cwd: string, env: Record<string, string>, ...args: string[]): Promise<Demo> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    ['--import', tsxLoader, path.join(root, 'src/cli/index.ts'), 'demo', '--port', String(port), ...args],
    { cwd, env: { ...cleanEnv(), ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout!.on('data', (b) => (out += b));
  child.stderr!.on('data', (b) => (out += b));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const end = Date.now() + 90_000;
  while (!out.includes('Ctrl-C stops everything.')) {
    if (child.exitCode !== null || Date.now() > end) throw new Error(`the demo did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const password = /credentials\s+demo \/ (\S+)/.exec(out)![1];
  const base = `http://127.0.0.1:${port}`;
  const auth = `Basic ${Buffer.from(`demo:${password}`).toString('base64')}`;
  return {
    child,
    output: () => out,
    base,
    auth,
    lmis: /OpenLMIS v3 \(sandbox\)\s+(http:\/\/\S+)/.exec(out)![1],
    facilityId: /destination=Location\/([0-9a-f-]+)/.exec(out)![1],
    order: JSON.parse(/fhir\/SupplyRequest -H 'Content-Type: application\/fhir\+json' -d '(.+)'$/m.exec(out)![1]),
    acceptScript: /\| node -e '(.+)' > delivery\.json$/m.exec(out)![1],
    sandboxUrl(name) {
      const line = out.split('\n').find((l) => l.trimStart().startsWith(name) && l.includes('(sandbox)'));
      const url = line && /\s(http:\/\/\S+)/.exec(line)?.[1];
      if (!url) throw new Error(`the demo printed no sandbox "${name}":\n${out}`);
      return url;
    },
    fhir: (method, url, body) =>
      fetch(`${base}${url}`, {
        method,
        headers: {
          authorization: auth,
          accept: 'application/fhir+json',
          ...(body ? { 'content-type': 'application/fhir+json' } : {}),
        },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      }),
    async stop() {
      child.kill('SIGINT');
      return exited;
    },
  };
}
