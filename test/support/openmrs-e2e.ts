/**
 * The end-to-end rig for the OpenMRS flows: the OpenMRS sandbox and the real mediator
 * (startMediator, embedded SQLite) signed in to it as its admin, with a small FHIR client; the
 * parties of its seeded facilities. One place for what the OpenMRS e2e tests shared line for line.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ADMIN_PASSWORD, startOpenMrsSandbox } from '../../sandbox/openmrs/index.js';
import { loadSettings } from '../../src/config/load.js';
import { startMediator, type RunningMediator } from '../../src/main.js';
import type { EngineCase } from './outbox-engines.js';

/** The password the rig's mediator takes from OpenHIM (Basic `openhim:`) and, as no admin token is set, on /admin. */
export const OPENMRS_RIG_PASSWORD = 'e2e-inbound-secret';
/** The Authorization header of a call the rig's mediator takes. */
export const OPENMRS_RIG_AUTH = `Basic ${Buffer.from(`openhim:${OPENMRS_RIG_PASSWORD}`).toString('base64')}`;
export const GTIN = 'https://www.gs1.org/gtin';
/** The stock party of Kilima Health Centre (the facility that orders and receives). */
export const KILIMA_PARTY = 'e5d4c3b2-0003-4a1b-8c2d-3e4f50617283';

export interface FhirAnswer {
  status: number;
  text: string;
  body: any;
  headers: Headers;
}

export interface OpenMrsRig {
  sb: Awaited<ReturnType<typeof startOpenMrsSandbox>>;
  mediator: RunningMediator;
  fhir(method: string, url: string, body?: unknown, headers?: Record<string, string>): Promise<FhirAnswer>;
  close(): Promise<void>;
}

/** `name` names the temp data directory; `env` adds or overrides settings. */
export async function startOpenMrsRig(name: string, env: Record<string, string> = {}): Promise<OpenMrsRig> {
  const sb = await startOpenMrsSandbox();
  const dir = mkdtempSync(path.join(tmpdir(), `${name}-`));
  const mediator = await startMediator(
    loadSettings({
      HOST: '127.0.0.1',
      PORT: '0',
      DATA_DIR: dir,
      LOG_LEVEL: 'silent',
      AUTH_PASSWORD: OPENMRS_RIG_PASSWORD,
      OPENMRS_BASE_URL: sb.url,
      OPENMRS_USERNAME: 'admin',
      OPENMRS_PASSWORD: ADMIN_PASSWORD,
      OPENMRS_TIMEOUT_MS: '3000',
      OUTBOX_DEADLINE_MS: '4000',
      OUTBOX_SETTLE_MS: '100',
      OUTBOX_BACKOFF_BASE_MS: '50',
      OUTBOX_BACKOFF_CAP_MS: '200',
      ...env,
    } as NodeJS.ProcessEnv),
  );
  return {
    sb,
    mediator,
    async fhir(method, url, body, headers = {}) {
      const res = await fetch(`${mediator.url}${url}`, {
        method,
        body: body ? JSON.stringify(body) : undefined,
        headers: { authorization: OPENMRS_RIG_AUTH, 'content-type': 'application/fhir+json', ...headers },
      });
      const text = await res.text();
      return { status: res.status, text, body: text ? JSON.parse(text) : undefined, headers: res.headers };
    },
    async close() {
      await mediator.stop();
      await sb.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The rig on a fresh database of `engine`, closed and the database dropped when `t` ends. */
export async function startOpenMrsRigOn(
  t: { teardown(fn: () => unknown): void },
  engine: EngineCase,
  name: string,
  env: Record<string, string> = {},
): Promise<OpenMrsRig> {
  const db = await engine.freshDatabase({ migrated: true });
  const rig = await startOpenMrsRig(name, { DATABASE_URL: db.databaseUrl, ...env });
  t.teardown(async () => {
    await rig.close();
    await db.drop();
  });
  return rig;
}

/** A short reason for an assertion message: the first OperationOutcome diagnostics, or the status. */
export function why(r: { status: number; body?: any }): string {
  return r.body?.issue?.[0]?.diagnostics ?? `status ${r.status}`;
}
