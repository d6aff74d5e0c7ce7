/**
 * Wiring for the process entry: start OpenHIM registration from our settings (keys of
 * src/config/settings.ts) and hand every config change to the config module as a settings layer.
 */
import { OPENHIM_SETTINGS, openhimConfigToSettings, wronglyTypedConsoleValues } from './config-defs.js';
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
    onConfig: async (config, _previous, { noneApplied }) => {
      const layer = openhimConfigToSettings(config, { knownSetting: wiring.knownSetting, registeredDefaults });
      // refused like a value the settings refuse: running, the whole save; at start, those fields
      const wrongType = wrongTypeRefusal(config, wiring, registration);
      if (wrongType && !noneApplied) throw wrongType;
      const besides = (leftOut?: string) => ({ leftOut: [wrongType?.message, leftOut].filter(Boolean).join('; ') });
      try {
        await wiring.applySettings(layer);
      } catch (err) {
        const refused = withConsoleFields(err, Object.keys(layer), registration);
        if (!noneApplied) throw refused;
        const leftOut = await applyWhatItCan(wiring, layer, err, registration);
        if (!leftOut) throw refused;
        return besides(leftOut);
      }
      if (wrongType) return besides();
    },
  });
}

/** The console values of the wrong type, as a refusal naming each setting and its console field. */
function wrongTypeRefusal(
  config: Record<string, unknown>,
  wiring: OpenHimWiring,
  registration: MediatorRegistration,
): Error | undefined {
  const wrong = wronglyTypedConsoleValues(config, { knownSetting: wiring.knownSetting });
  if (wrong.length === 0) return undefined;
  const reasons = wrong.map((w) => `${w.setting} must be a ${w.expected}, not a ${w.given}`);
  const refusal = new Error(`OpenHIM config: ${reasons.join('; ')}`);
  return withConsoleFields(
    refusal,
    wrong.map((w) => w.setting),
    registration,
  );
}

/**
 * A console save refused at start, when nothing from the console is in force: applied without the
 * settings its refusals name, so one bad field (or a value a newer release refuses) does not leave
 * every other console setting out until someone fixes it: the inbound password the OpenHIM route
 * sends among them, without which every request through OpenHIM is a 401. Running, a refused save
 * is refused whole (the previous one stays, as saved together). Answers the refusals' reasons
 * (console fields named), or undefined when a refusal names no setting of the save (a check across
 * settings of the environment too): then nothing of it is applied.
 */
async function applyWhatItCan(
  wiring: OpenHimWiring,
  layer: Record<string, unknown>,
  firstErr: unknown,
  registration: MediatorRegistration,
): Promise<string | undefined> {
  const rest = { ...layer };
  const reasons: string[] = [];
  let err = firstErr;
  for (;;) {
    const named = settingsNamed(errorMessage(err), Object.keys(rest));
    if (named.length === 0) return undefined;
    reasons.push(withConsoleFields(err, named, registration).message);
    for (const key of named) delete rest[key];
    try {
      await wiring.applySettings(rest);
      return reasons.join('; ');
    } catch (next) {
      err = next;
    }
  }
}

function errorMessage(err: unknown): string {
  return (err as Error)?.message ?? String(err);
}

/** The settings among `keys` a refusal's message names (as a whole word: `outbox.deadlineMs`, not a prefix of one). */
function settingsNamed(message: string, keys: readonly string[]): string[] {
  return keys.filter((key) => new RegExp(`(^|[^\\w.])${key.replace(/\./g, '\\.')}(?![\\w.])`).test(message));
}

/**
 * A refused console save names the settings as the config module knows them (`outbox.deadlineMs`),
 * which the operator who saved it never saw: the console shows the configDef's display name and
 * param. Each console-set setting the reason names is followed by those, so the field to correct
 * is the one named.
 */
export function withConsoleFields(err: unknown, keys: readonly string[], registration: MediatorRegistration): Error {
  const message = errorMessage(err);
  const fields: string[] = [];
  for (const key of settingsNamed(message, keys)) {
    const param = OPENHIM_SETTINGS.find((m) => m.setting === key)?.param;
    if (!param) continue;
    const displayName = registration.configDefs?.find((d) => d.param === param)?.displayName;
    fields.push(displayName ? `"${displayName}" (${param})` : param);
  }
  if (fields.length === 0) return err instanceof Error ? err : new Error(message);
  return new Error(`${message} [console: ${fields.join(', ')}]`);
}
