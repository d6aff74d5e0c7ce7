/**
 * A second mediator instance beside a propagation rig, on the rig's database (PostgreSQL: several
 * instances share one): its own store connection, outbox and worker, connectors (the same
 * settings, so the same sandboxes) and propagator, wired as the rig wires the first. For the tests
 * of two instances deciding and planning one facility at once.
 */
import { Outbox } from '../../src/outbox/outbox.js';
import { createRoutingServices } from '../../src/routing/index.js';
import { registrySide, type RegistrySide } from '../../src/registry/propagation/index.js';
import { openStore, type Store } from '../../src/store/index.js';
import { ConnectorSet, knownSystems } from '../../src/systems/index.js';
import type { PropagationRig } from './propagation-rig.js';

export interface SecondInstance {
  store: Store;
  outbox: Outbox;
  side: RegistrySide;
}

/** Started now; closed when `t` ends (before the rig, whose teardown was registered first). */
export async function secondInstance(
  t: { teardown(fn: () => unknown): void },
  rig: PropagationRig,
): Promise<SecondInstance> {
  const store = await openStore({ databaseUrl: rig.settings['store.databaseUrl'] as string });
  const outbox = new Outbox({ store, options: { backoff: { baseMs: 20, capMs: 100 }, pollMs: 50 } });
  const connectors = await ConnectorSet.open(store, rig.settings);
  createRoutingServices({ connectors: connectors.list(), outbox, store });
  const side = registrySide({
    store,
    outbox,
    connectors: () => connectors.list(),
    settings: () => rig.settings,
    systems: knownSystems(),
  });
  outbox.startWorker();
  t.teardown(async () => {
    await outbox.stop();
    await side.close();
    await connectors.close();
    await store.close();
  });
  return { store, outbox, side };
}
