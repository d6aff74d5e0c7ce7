import type { Settings } from '../../config/settings.js';
import type { RegistryClientOptions } from './client.js';
import { registrySettingsFrom } from './settings.js';
import type { RegistryClient } from './types.js';

/**
 * The registry client, its code (and undici beneath it, ~165 ms of CPU) imported on first use
 * rather than at start-up (issue 18): the server makes the client when it starts, but reads the
 * registry only when a job, the console or /ready asks. The settings are checked at once, as the
 * client itself does, so a bad value is refused where it was before.
 */
export function lazyRegistryClient(
  settings: Settings,
  options: RegistryClientOptions = {},
): RegistryClient | undefined {
  if (!registrySettingsFrom(settings)) return undefined;
  let latest = settings;
  let real: RegistryClient | undefined;
  let loading: Promise<RegistryClient> | undefined;
  const client = (): Promise<RegistryClient> =>
    (loading ??= import('./client.js').then((m) => {
      // latest: a change that came while the code loaded is the one the client starts with
      real = m.createRegistryClient(latest, options);
      if (!real) throw new Error('registry.url was removed: restart to stop reading the registry');
      return real;
    }));
  return {
    async *changesSince(cursor) {
      yield* (await client()).changesSince(cursor);
    },
    listAll: async () => (await client()).listAll(),
    current: async (id) => (await client()).current(id),
    ping: async () => (await client()).ping(),
    reconfigure(next) {
      if (real) return real.reconfigure?.(next);
      if (!registrySettingsFrom(next))
        throw new Error('registry.url was removed: restart to stop reading the registry');
      latest = next;
    },
    close: async () => {
      // a client whose code never loaded has nothing open
      const opened = await loading?.catch(() => undefined);
      await opened?.close();
    },
  };
}
