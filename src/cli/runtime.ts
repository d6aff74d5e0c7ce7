import type { Settings } from '../config/settings.js';
import { Outbox } from '../outbox/outbox.js';
import { outboxOptionsFrom } from '../outbox/settings-options.js';
import { learnSecrets } from '../platform/redaction.js';
import { createRoutingServices } from '../routing/index.js';
import type { Connector } from '../routing/ports.js';
import { openStore } from '../store/index.js';
import type { Store } from '../store/types.js';
import { ConnectorSet } from '../systems/index.js';
import { stderrWarnings } from './stderr-warnings.js';
import { systemAnswersOf } from '../systems/system-answers.js';

export interface CliRuntime {
  store: Store;
  outbox: Outbox;
  connectors: Connector[];
}

/**
 * The store, connectors and outbox of this configuration, for one CLI command (bridges, jobs run
 * by hand): upstream writes go through the outbox as the server's do, with every flow's delivery
 * handler registered; what is not delivered before the deadline waits for a server. Errors
 * printed are masked as the server's logs are. The store must exist (store/missing-store.ts).
 * What a connector tells the operator (connector-log.ts: a field a count went on without) is
 * said on `err`, as the server logs it: a write this command delivers is no less the operator's.
 */
export async function withCliRuntime(
  settings: Settings,
  fn: (runtime: CliRuntime) => Promise<number>,
  err: NodeJS.WritableStream = process.stderr,
): Promise<number> {
  learnSecrets(settings);
  const store = await openStore({
    databaseUrl: settings['store.databaseUrl'] as string | undefined,
    dataDir: String(settings['store.dataDir']),
    lockSilentMs: settings['store.lockSilentMs'] as number | undefined,
    // a job or bridge run works on the server's store: never on an empty one a typo made
    existing: true,
  });
  const connectors = await ConnectorSet.open(store, settings, stderrWarnings(err));
  // the server's options and readiness checks: a write held at its last attempt is held here too
  const outbox = new Outbox({
    store,
    systemAnswers: systemAnswersOf(() => connectors.list()),
    options: outboxOptionsFrom(settings),
  });
  createRoutingServices({ connectors: connectors.list(), outbox, store });
  try {
    return await fn({ store, outbox, connectors: connectors.list() });
  } finally {
    await outbox.stop(5_000);
    await connectors.close();
    await store.close();
  }
}
