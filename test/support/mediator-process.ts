/**
 * The real mediator as a separate process (`src/cli/index.ts serve`) on a data directory of its
 * own, for the crash tests: SIGKILLed mid-write (no shutdown hook runs) and started again on the
 * same DATA_DIR (or DATABASE_URL), whose journal it must resume from.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, killHard, until } from './net.js';

const root = path.resolve(import.meta.dirname, '../..');
const PASSWORD = 'crash-inbound-Vb7';
const AUTH = `Basic ${Buffer.from(`openhim:${PASSWORD}`).toString('base64')}`;

export interface MediatorProcess {
  base: string;
  /** The inbound credentials (the Authorization header) the process accepts. */
  authorization: string;
  /** SIGKILL, waiting until the process is gone. */
  kill(): Promise<void>;
  /** A new process on the same port, data directory and database, once it answers /health. */
  restart(): Promise<void>;
  /**
   * POST/PUT/GET a FHIR resource (with `headers` besides the inbound credentials, e.g. OpenHIM's
   * transaction id); a request the process dies under answers 'no answer'.
   */
  fhir(
    method: string,
    url: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: any } | 'no answer'>;
  /** Kill and remove the data directory. */
  close(): Promise<void>;
}

/**
 * Starts the mediator with `env` over short outbox timings (a job whose process died is leased
 * again within seconds) and no system configured but those `env` names. `clockAheadMs` runs it
 * on a clock that far ahead of the machine's (skewed-clock.ts).
 */
export async function startMediatorProcess(
  name: string,
  env: Record<string, string>,
  opts: { clockAheadMs?: number } = {},
): Promise<MediatorProcess> {
  const dir = mkdtempSync(path.join(tmpdir(), `${name}-`));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const full = {
    HOST: '127.0.0.1',
    PORT: String(port),
    DATA_DIR: dir,
    LOG_LEVEL: 'silent',
    AUTH_PASSWORD: PASSWORD,
    DATABASE_URL: '',
    OPENLMIS_BASE_URL: '',
    MSUPPLY_BASE_URL: '',
    OPENMRS_BASE_URL: '',
    DHIS2_BASE_URL: '',
    OUTBOX_DEADLINE_MS: '3000',
    OUTBOX_ATTEMPT_TIMEOUT_MS: '4000',
    OUTBOX_LEASE_MS: '5000',
    OUTBOX_SETTLE_MS: '200',
    OUTBOX_BACKOFF_BASE_MS: '100',
    OUTBOX_BACKOFF_CAP_MS: '500',
    ...env,
  };
  let child: ChildProcess | undefined;
  const start = async () => {
    // node itself with the tsx loader, not the tsx CLI: the CLI runs the program in a child
    // process, so a SIGKILL to it would leave the real mediator running (no crash would happen)
    const skewed = opts.clockAheadMs ? ['--import', path.join(root, 'test/support/skewed-clock.ts')] : [];
    child = spawn(process.execPath, ['--import', 'tsx', ...skewed, path.join(root, 'src/cli/index.ts'), 'serve'], {
      cwd: root,
      env: { ...process.env, ...full, SKEWED_CLOCK_MS: String(opts.clockAheadMs ?? 0) },
      stdio: 'ignore',
    });
    await until('the mediator', async () => (await fetch(`${base}/health`)).ok);
  };
  await start();
  return {
    base,
    authorization: AUTH,
    kill: () => killHard(child),
    async restart() {
      await killHard(child);
      await start();
    },
    async fhir(method, url, body, headers = {}) {
      try {
        const res = await fetch(`${base}${url}`, {
          method,
          headers: { ...headers, authorization: AUTH, 'content-type': 'application/fhir+json' },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        const text = await res.text();
        return { status: res.status, body: text ? JSON.parse(text) : undefined };
      } catch {
        return 'no answer';
      }
    },
    async close() {
      await killHard(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The answer of a mediator that is up; 'no answer' (it died under the request) fails the test here. */
export function answerOf(answer: { status: number; body: any } | 'no answer'): { status: number; body: any } {
  if (answer === 'no answer') throw new Error('the mediator process gave no answer');
  return answer;
}
