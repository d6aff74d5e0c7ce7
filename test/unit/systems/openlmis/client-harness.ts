import {
  startOpenLmisSandbox,
  type OpenLmisSandbox,
  type OpenLmisSandboxOptions,
} from '../../../../sandbox/openlmis/index.js';
import type { LmisClient, OpenLmisSettings } from '../../../../src/systems/openlmis/types.js';
import { createLmisClient, type LmisClientOptions } from '../../../../src/systems/openlmis/client.js';

/** A sandbox on 127.0.0.1:0 plus a connector client logged in as the seeded integration user. */
export interface ClientHarness {
  sb: OpenLmisSandbox;
  seed: ReturnType<OpenLmisSandbox['state']['seedSummary']>;
  settings: OpenLmisSettings;
  client: LmisClient;
  /** Counts requests to method+path from now on (a zero-delay fault rule; its hits are the count). */
  counter: (method: string, path: string) => () => number;
  close: () => Promise<void>;
}

export async function startClientHarness(
  overrides: Partial<OpenLmisSettings> = {},
  clientOptions: LmisClientOptions = { retryDelayMs: 5 },
  sandbox: OpenLmisSandboxOptions = {},
): Promise<ClientHarness> {
  const sb = await startOpenLmisSandbox({ port: 0, ...sandbox });
  const seed = sb.state.seedSummary();
  const settings: OpenLmisSettings = {
    baseUrl: sb.url,
    username: 'mediator',
    password: 'password',
    clientId: 'user-client',
    clientSecret: 'changeme',
    timeoutMs: 2_000,
    concurrency: 4,
    authorizeStep: false,
    stockApi: 'auto',
    referenceTtlMs: 60_000,
    ...overrides,
  };
  const client = createLmisClient(() => settings, clientOptions);
  const counter = (method: string, path: string) => {
    const rule = sb.faults.add({ method, path, action: { type: 'delay', ms: 0 } });
    return () => sb.faults.list().find((r) => r.id === rule.id)?.hits ?? 0;
  };
  return {
    sb,
    seed,
    settings,
    client,
    counter,
    close: async () => {
      await client.close();
      await sb.close();
    },
  };
}

/** The error a promise rejects with (typed loosely for assertions); a resolution is itself a failure. */
export async function failure(p: Promise<unknown>): Promise<any> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection, got a result');
}
