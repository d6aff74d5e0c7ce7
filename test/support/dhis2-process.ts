/**
 * The DHIS2 sandbox beside the real mediator as a separate process (mediator-process.ts), for the
 * DHIS2 tests that SIGKILL it or watch it retry: signed in with the sandbox's personal access
 * token, stock reported to the data set LkStockMnth.
 */
import type { Test } from 'tap';
import { SEED_API_TOKEN, startDhis2Sandbox, type Dhis2SandboxOptions } from '../../sandbox/dhis2/index.js';
import { startMediatorProcess } from './mediator-process.js';

/**
 * The sandbox (with `sandbox` options, e.g. the version it answers as) and the mediator process
 * `name` on `databaseUrl` (with `env` besides), both closed when `t` ends.
 */
export async function startDhis2Process(
  t: Test,
  name: string,
  databaseUrl: string,
  env: Record<string, string> = {},
  sandbox: Dhis2SandboxOptions = {},
) {
  const sb = await startDhis2Sandbox(sandbox);
  const mediator = await startMediatorProcess(name, {
    DATABASE_URL: databaseUrl,
    DHIS2_BASE_URL: sb.url,
    DHIS2_API_TOKEN: SEED_API_TOKEN,
    DHIS2_DATA_SET: 'LkStockMnth',
    ...env,
  });
  t.teardown(async () => {
    await mediator.close();
    await sb.close();
  });
  return { sb, mediator };
}
