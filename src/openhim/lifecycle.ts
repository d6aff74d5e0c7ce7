/**
 * Wiring for the process entry: start OpenHIM registration from our settings (keys of
 * src/config/settings.ts) and hand every config change to the config module as a settings layer.
 */
import { OPENHIM_SETTINGS, openhimConfigToSettings } from './config-defs.js';
import { loadMediatorConfig, type MediatorRegistration } from './mediator-config.js';
import { startOpenHim, type OpenHimHandle, type OpenHimLogger } from './registration.js';

export interface OpenHimWiring {
  logger?: OpenHimLogger;
  /**
   * Receives the whole OpenHIM layer on every config change (flat settings keys, only the values an
   * operator changed from the registered defaults); merge it above env/file, replacing the previous layer.
   */
  applySettings: (layer: Record<string, unknown>) => void | Promise<void>;
  /** Keys the config module accepts; others are left out rather than failing the whole layer. */
  knownSetting?: (key: string) => boolean;
  mediatorConfig?: MediatorRegistration;
}

/** Returns undefined when `openhim.apiUrl` is not set: running without OpenHIM is a normal mode. */
export function startOpenHimFromSettings(
  settings: Record<string, unknown>,
  wiring: OpenHimWiring,
): OpenHimHandle | undefined {
  const apiURL = settings['openhim.apiUrl'];
  if (typeof apiURL !== 'string' || apiURL === '') return undefined;
  const registration = wiring.mediatorConfig ?? loadMediatorConfig();
  // what we register is what core hands back until an operator changes it: those values are left out
  const registeredDefaults = registration.config;
  return startOpenHim({
    apiURL,
    username: String(settings['openhim.username'] ?? 'root@openhim.org'),
    password: String(settings['openhim.password'] ?? ''),
    trustSelfSigned: settings['openhim.trustSelfSigned'] === true,
    heartbeatMs: typeof settings['openhim.heartbeatMs'] === 'number' ? settings['openhim.heartbeatMs'] : undefined,
    mediatorConfig: registration,
    logger: wiring.logger,
    onConfig: async (config) => {
      const layer = openhimConfigToSettings(config, { knownSetting: wiring.knownSetting, registeredDefaults });
      try {
        await wiring.applySettings(layer);
      } catch (err) {
        throw withConsoleFields(err, Object.keys(layer), registration);
      }
    },
  });
}

/**
 * A refused console save names the settings as the config module knows them (`outbox.deadlineMs`),
 * which the operator who saved it never saw: the console shows the configDef's display name and
 * param. Each console-set setting the reason names is followed by those, so the field to correct
 * is the one named.
 */
export function withConsoleFields(err: unknown, keys: readonly string[], registration: MediatorRegistration): Error {
  const message = (err as Error)?.message ?? String(err);
  const fields: string[] = [];
  for (const key of keys) {
    const named = new RegExp(`(^|[^\\w.])${key.replace(/\./g, '\\.')}(?![\\w.])`).test(message);
    const param = OPENHIM_SETTINGS.find((m) => m.setting === key)?.param;
    if (!named || !param) continue;
    const displayName = registration.configDefs?.find((d) => d.param === param)?.displayName;
    fields.push(displayName ? `"${displayName}" (${param})` : param);
  }
  if (fields.length === 0) return err instanceof Error ? err : new Error(message);
  return new Error(`${message} [console: ${fields.join(', ')}]`);
}
