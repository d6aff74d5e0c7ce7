/**
 * The mediator wired to the OpenHIM sandbox for the OpenHIM e2e tests: its API and user, and
 * transaction-update retries short enough for a test. In process beside the OpenLMIS sandbox
 * (openlmis-e2e.ts), or as a separate process beside the DHIS2 sandbox for the crash tests
 * (mediator-process.ts), each on a fresh database of the engine.
 */
import { SEED_API_TOKEN, startDhis2Sandbox } from '../../sandbox/dhis2/index.js';
import {
  DEFAULT_OPENHIM_USER,
  routedTransaction,
  startOpenHimSandbox,
  type OpenHimSandbox,
} from '../../sandbox/openhim/index.js';
import { startMediatorProcess } from './mediator-process.js';
import { startRigOn, type Rig } from './openlmis-e2e.js';
import type { EngineCase } from './outbox-engines.js';

type Teardowns = { teardown(fn: () => unknown): void };

/** The mediator's settings that send its transaction updates to `openhim`, retried after 50 ms up to 200 ms. */
export const openHimEnv = (openhim: { url: string }): Record<string, string> => ({
  OPENHIM_API_URL: openhim.url,
  OPENHIM_USERNAME: DEFAULT_OPENHIM_USER.email,
  OPENHIM_PASSWORD: DEFAULT_OPENHIM_USER.password,
  OPENHIM_UPDATE_RETRY_BASE_MS: '50',
  OPENHIM_UPDATE_RETRY_CAP_MS: '200',
});

type FhirCall<R> = (method: string, url: string, body?: unknown, headers?: Record<string, string>) => Promise<R>;

/**
 * `fhir` as OpenHIM's router calls the mediator: a request carrying X-OpenHIM-TransactionID is a
 * transaction core keeps, stored (Processing) before the mediator sees it and completed with the
 * envelope it answered (openhim-core-js messageStore.js storeTransaction, storeResponse), so the
 * mediator's update of it finds what core would have.
 */
export function routedThrough<R>(openhim: OpenHimSandbox, fhir: FhirCall<R>): FhirCall<R> {
  return async (method, url, body, headers = {}) => {
    const id = Object.entries(headers).find(([k]) => k.toLowerCase() === 'x-openhim-transactionid')?.[1];
    if (!id) return fhir(method, url, body, headers);
    const request = { method, path: url.split('?')[0] };
    openhim.state.transactions.set(id, routedTransaction(id, request));
    const res = await fhir(method, url, body, headers);
    const answer = typeof res === 'object' && res !== null ? (res as { body?: unknown }).body : undefined;
    const envelope = answer && typeof answer === 'object' ? answer : undefined;
    openhim.state.transactions.set(id, routedTransaction(id, request, envelope ?? { response: { status: 0 } }));
    return res;
  };
}

/** The OpenHIM sandbox, and the OpenLMIS rig on a fresh database of `engine` updating it (with `env` besides). */
export async function startRigThroughOpenHim(
  t: Teardowns,
  engine: EngineCase,
  env: Record<string, string> = {},
): Promise<{ openhim: OpenHimSandbox; rig: Rig }> {
  const openhim = await startOpenHimSandbox({ port: 0 });
  t.teardown(() => openhim.close());
  const rig = await startRigOn(t, engine, { ...openHimEnv(openhim), ...env });
  rig.fhir = routedThrough(openhim, rig.fhir.bind(rig));
  return { openhim, rig };
}

/**
 * The OpenHIM and DHIS2 sandboxes and the mediator process `name` on a fresh database of `engine`,
 * sending stock to DHIS2's LkStockMnth: a client waits 300 ms before its 202, and an update
 * claimed by a process that died is taken again after 500 ms.
 */
export async function startProcessThroughOpenHim(t: Teardowns, engine: EngineCase, name: string) {
  const db = await engine.freshDatabase({ migrated: true });
  t.teardown(db.drop);
  const openhim = await startOpenHimSandbox({ port: 0 });
  t.teardown(() => openhim.close());
  const dhis2 = await startDhis2Sandbox();
  t.teardown(() => dhis2.close());
  const mediator = await startMediatorProcess(name, {
    DATABASE_URL: db.databaseUrl,
    DHIS2_BASE_URL: dhis2.url,
    DHIS2_API_TOKEN: SEED_API_TOKEN,
    DHIS2_DATA_SET: 'LkStockMnth',
    ...openHimEnv(openhim),
    OUTBOX_DEADLINE_MS: '300',
    OPENHIM_UPDATE_CLAIM_MS: '500',
  });
  t.teardown(() => mediator.close());
  mediator.fhir = routedThrough(openhim, mediator.fhir.bind(mediator));
  return { openhim, dhis2, mediator };
}
