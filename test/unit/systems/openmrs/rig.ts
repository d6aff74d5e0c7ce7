import type { Test } from 'tap';
import { ADMIN_PASSWORD, startOpenMrsSandbox, type OpenMrsSandbox } from '../../../../sandbox/openmrs/index.js';
import type { UpstreamError } from '../../../../src/domain/errors.js';
import { createOpenMrsConnector, type OpenMrsConnectorOptions } from '../../../../src/systems/openmrs/index.js';

/**
 * The OpenMRS sandbox and a connector to it (short timeouts and retry delays), closed with the
 * test. `existing`: another connector (a cache of its own) to that sandbox, which stays open;
 * `options`: the connector's own (a clock for the login holds).
 */
export async function sandboxConnector(t: Test, existing?: OpenMrsSandbox, options: OpenMrsConnectorOptions = {}) {
  const sb = existing ?? (await startOpenMrsSandbox());
  const c = createOpenMrsConnector(
    {
      'openmrs.baseUrl': sb.url,
      'openmrs.username': 'admin',
      'openmrs.password': ADMIN_PASSWORD,
      'openmrs.timeoutMs': 3000,
    },
    { retryDelayMs: 10, ...options },
  );
  t.teardown(async () => {
    await c.close?.();
    if (!existing) await sb.close();
  });
  return { sb, c };
}

/** The error a promise rejects with; a promise that resolves fails the test. */
export async function failure(p: Promise<unknown>): Promise<UpstreamError> {
  try {
    await p;
  } catch (err) {
    return err as UpstreamError;
  }
  throw new Error('expected a failure');
}
