/**
 * The rig of the echoed-secrets tests for DHIS2, Open mSupply and OpenMRS: the real mediator
 * (startMediator) on a fresh database of an engine, logging at trace into memory, registered with
 * the OpenHIM sandbox, configured for one system's sandbox only (OpenLMIS off) with a routing.json
 * of the test's. The mediator is new, so every reference-data cache (org units, stores, locations)
 * is cold: the first calls a request makes are the ones a fault hits. Everything it emits is
 * gathered in `emitted` for one scan at the end.
 */
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { routedTransaction, startOpenHimSandbox, type OpenHimSandbox } from '../../sandbox/openhim/index.js';
import { loadSettings } from '../../src/config/load.js';
import { startMediator, type RunningMediator } from '../../src/main.js';
import { loadMediatorConfig } from '../../src/openhim/mediator-config.js';
import { createLogger } from '../../src/platform/logger.js';
import { MASK } from '../../src/platform/redaction.js';
import { until } from './net.js';
import type { EngineCase } from './outbox-engines.js';
import { Emitted } from './secret-forms.js';

const root = path.resolve(import.meta.dirname, '../..');
const INBOUND = { user: 'route-user', password: 'echo-inbound-pw-5Tq' };
const ADMIN_TOKEN = 'echo-admin-token-8Wm';
const OPENHIM_USER = { email: 'root@openhim.org', password: 'echo-openhim-pw-2Zr' };

export interface EchoAnswer {
  status: number;
  /** the status the FHIR client got (the envelope's, when through OpenHIM) */
  clientStatus: number;
  /** the client's body, parsed */
  body: any;
  envelope?: any;
}

export interface EchoRig {
  mediator: RunningMediator;
  openhim: OpenHimSandbox;
  emitted: Emitted;
  /** A FHIR request from a client calling the mediator directly. */
  direct(method: string, url: string, body?: unknown): Promise<EchoAnswer>;
  /** The same request as OpenHIM core routes it (transaction id `name`), its envelope kept. */
  viaOpenHim(method: string, url: string, body: unknown, name: string): Promise<EchoAnswer>;
  /** The OpenHIM transaction id the rig gives the request named `name`. */
  transactionIdOf(name: string): string;
  /** Waits for a job to be dead-lettered and OpenHIM told the outcome of the request named `name`. */
  deadLetterReported(name: string): Promise<void>;
  /** An admin API view (`/admin…` path) as an operator reads it (or POSTs to it), kept to be scanned. */
  adminView(path: string, method?: 'GET' | 'POST'): Promise<any>;
  /** Gathers what operators and OpenHIM see at the end: admin outbox views, updates sent, the log. */
  gatherTheRest(): Promise<number>;
}

/**
 * The mediator on `engine` against one system (`env`), routing as `flows` says (undefined: the
 * shipped routing.json); closed when `t` ends.
 */
export async function startEchoRig(
  t: { teardown(fn: () => unknown): void },
  engine: EngineCase,
  flows: Record<string, unknown> | undefined,
  env: Record<string, string>,
): Promise<EchoRig> {
  const db = await engine.freshDatabase({ migrated: true });
  const openhim = await startOpenHimSandbox({ users: [{ ...OPENHIM_USER, admin: true }] });
  const dir = mkdtempSync(path.join(tmpdir(), 'echo-secrets-'));
  const mappings = path.join(dir, 'mappings');
  cpSync(path.join(root, 'fhir-mappings'), mappings, { recursive: true });
  if (flows) writeFileSync(path.join(mappings, 'routing.json'), JSON.stringify({ flows }));
  const logLines: string[] = [];
  const sink = new Writable({
    write(chunk, _e, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  // closed at the end even when the mediator refuses to start
  const started: { mediator?: RunningMediator } = {};
  t.teardown(async () => {
    await started.mediator?.stop();
    await openhim.close();
    rmSync(dir, { recursive: true, force: true });
    await db.drop();
  });
  const running = await startMediator(
    loadSettings({
      HOST: '127.0.0.1',
      PORT: '0',
      DATA_DIR: dir,
      DATABASE_URL: db.databaseUrl,
      MAPPINGS_DIR: mappings,
      LOG_LEVEL: 'trace',
      AUTH_USERNAME: INBOUND.user,
      AUTH_PASSWORD: INBOUND.password,
      ADMIN_TOKEN,
      OPENHIM_API_URL: openhim.url,
      OPENHIM_USERNAME: OPENHIM_USER.email,
      OPENHIM_PASSWORD: OPENHIM_USER.password,
      OPENHIM_HEARTBEAT_MS: '200',
      OPENLMIS_BASE_URL: '',
      OUTBOX_DEADLINE_MS: '8000',
      OUTBOX_BACKOFF_BASE_MS: '50',
      OUTBOX_BACKOFF_CAP_MS: '200',
      OUTBOX_SETTLE_MS: '100',
      ...env,
    } as NodeJS.ProcessEnv),
    { logger: createLogger('trace', sink) },
  );
  started.mediator = running;
  const emitted = new Emitted();
  const urn = loadMediatorConfig().urn;
  await until('registration with OpenHIM', async () => openhim.state.mediators.get(urn));
  const inbound = `Basic ${Buffer.from(`${INBOUND.user}:${INBOUND.password}`).toString('base64')}`;
  const transactionIdOf = (name: string) => createHash('sha256').update(name).digest('hex').slice(0, 24);

  async function call(method: string, url: string, body: unknown, headers: Record<string, string>) {
    const res = await fetch(`${running.url}${url}`, {
      method,
      headers: {
        authorization: inbound,
        accept: 'application/fhir+json',
        ...(body ? { 'content-type': 'application/fhir+json' } : {}),
        ...headers,
      },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { res, text: await res.text() };
  }
  const parsed = (text: string | undefined) => {
    try {
      return JSON.parse(text ?? '');
    } catch {
      return undefined;
    }
  };

  return {
    mediator: running,
    openhim,
    emitted,
    transactionIdOf,
    async direct(method, url, body) {
      const { res, text } = await call(method, url, body, {});
      emitted.add(`direct ${method} ${url} headers`, Object.fromEntries(res.headers));
      emitted.add(`direct ${method} ${url}`, text);
      return { status: res.status, clientStatus: res.status, body: parsed(text) };
    },
    async viaOpenHim(method, url, body, name) {
      const txId = transactionIdOf(name);
      // as core's router: the transaction is stored before the mediator is called, completed with its envelope
      const routed = { method, path: url.split('?')[0] };
      openhim.state.transactions.set(txId, routedTransaction(txId, routed));
      const { res, text } = await call(method, url, body, { 'x-openhim-transactionid': txId });
      emitted.add(`envelope ${name} headers`, Object.fromEntries(res.headers));
      emitted.add(`envelope ${name}`, text);
      const envelope = parsed(text);
      if (envelope) openhim.state.transactions.set(txId, routedTransaction(txId, routed, envelope));
      return {
        status: res.status,
        clientStatus: envelope?.response?.status ?? res.status,
        body: parsed(envelope?.response?.body),
        envelope,
      };
    },
    async deadLetterReported(name) {
      const dead = async () => (await running.store.listJobs({ status: 'dead' })).find(Boolean);
      await until('a job dead-lettered', dead, 30_000);
      await until('the transaction update', async () =>
        openhim.state.transactionUpdates.get(transactionIdOf(name))?.find(Boolean),
      );
    },
    async adminView(path, method = 'GET') {
      const res = await fetch(`${running.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      const text = await res.text();
      emitted.add(`admin ${path}`, text);
      return parsed(text);
    },
    async gatherTheRest() {
      const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
      const listed = await fetch(`${running.url}/admin/outbox/jobs?limit=500`, { headers: admin });
      const text = await listed.text();
      emitted.add('admin outbox jobs', text);
      const jobs = (parsed(text)?.jobs ?? []) as { id: string }[];
      for (const job of jobs) {
        const one = await fetch(`${running.url}/admin/outbox/jobs/${job.id}`, { headers: admin });
        emitted.add(`admin outbox job ${job.id}`, await one.text());
        emitted.add(`store job ${job.id}`, await running.store.getJob(job.id));
        emitted.add(`store steps ${job.id}`, await running.store.listSteps(job.id));
      }
      const dead = await fetch(`${running.url}/admin/outbox/jobs?status=dead`, { headers: admin });
      emitted.add('admin dead letters', await dead.text());
      emitted.add('store audit', await running.store.listAudit({ limit: 10_000 }));
      for (const [id, updates] of openhim.state.transactionUpdates) emitted.add(`openhim update ${id}`, updates);
      for (const c of openhim.state.calls) emitted.add(`openhim api call ${c.method} ${c.url}`, c);
      for (const line of logLines) emitted.add('log line', line);
      return jobs.length;
    },
  };
}

/**
 * No form of the credentials anywhere the mediator emitted; and the echoes were there to find,
 * masked, in each of `kinds` (the first word of an output's label: direct, envelope, log …).
 */
export function assertNoLeak(
  t: { same(a: unknown, b: unknown, m: string): void; ok(v: unknown, m: string): void; comment(...a: unknown[]): void },
  rig: EchoRig,
  forms: string[],
  kinds: string[],
): void {
  const leaks = rig.emitted.leaks(forms);
  t.same(
    leaks.map((l) => `${l.where}: ${l.form}`),
    [],
    'no form of the credentials anywhere',
  );
  for (const l of leaks.slice(0, 5)) t.comment(l.where, rig.emitted.sample(l));
  const masked = new Set(rig.emitted.items.filter((i) => i.text.includes(MASK)).map((i) => i.where.split(' ')[0]));
  t.ok(
    kinds.every((kind) => masked.has(kind)),
    `the echoes reached ${kinds.join(', ')}, masked (masks in ${[...masked].join(', ')}; ${rig.emitted.items.length} outputs scanned)`,
  );
}
