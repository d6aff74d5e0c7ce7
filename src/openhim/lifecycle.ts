/**
 * Wiring for the process entry: start OpenHIM registration from our settings (keys of
 * src/config/settings.ts) and hand every config change to the config module as a settings layer.
 */
import { openhimConfigToSettings } from './config-defs.js';
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
    onConfig: (config) =>
      wiring.applySettings(openhimConfigToSettings(config, { knownSetting: wiring.knownSetting, registeredDefaults })),
  });
}
