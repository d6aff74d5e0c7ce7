import { readFileSync } from 'node:fs';
import { settingDefs, type Settings } from '../config/settings.js';
import { MASK } from '../platform/redaction.js';

export type SettingSource = 'default' | 'file' | 'env' | 'OpenHIM' | 'overrides' | 'unset';

export interface SettingInForce {
  key: string;
  env: string;
  /** The value in force; a secret is the mask when set, never its value. */
  value: string;
  source: SettingSource;
  secret: boolean;
  restart: boolean;
  description: string;
}

function fileKeys(env: NodeJS.ProcessEnv): Set<string> {
  if (!env.CONFIG_FILE) return new Set();
  try {
    const out = new Set<string>();
    const walk = (o: Record<string, unknown>, prefix: string) => {
      for (const [k, v] of Object.entries(o)) {
        const key = prefix ? `${prefix}.${k}` : k;
        if (v && typeof v === 'object' && !Array.isArray(v)) walk(v as Record<string, unknown>, key);
        else if (v !== undefined && v !== '') out.add(key);
      }
    };
    walk(JSON.parse(readFileSync(env.CONFIG_FILE, 'utf8')) as Record<string, unknown>, '');
    return out;
  } catch {
    return new Set(); // the file was read at start-up; a later edit does not change what is in force
  }
}

/**
 * Every setting with the value in force and the layer it came from, by the same precedence as
 * src/config/load.ts: defaults < CONFIG_FILE < environment < OpenHIM console (`openhimKeys`: the
 * keys of the layer applied last from OpenHIM). A value no layer explains was given by the program
 * that started the mediator ('overrides').
 */
export function settingsInForce(
  current: Settings,
  opts: { env?: NodeJS.ProcessEnv; openhimKeys?: Iterable<string> } = {},
): SettingInForce[] {
  const env = opts.env ?? process.env;
  const fromFile = fileKeys(env);
  const fromOpenHim = new Set(opts.openhimKeys ?? []);
  return settingDefs.map((d) => {
    const value = current[d.key];
    const set = value !== undefined && value !== '';
    let source: SettingSource = 'unset';
    const fromEnv = env[d.env];
    if (fromOpenHim.has(d.key) && set) source = 'OpenHIM';
    else if (set && fromEnv !== undefined && fromEnv !== '' && fromEnv === String(value)) source = 'env';
    else if (set && fromFile.has(d.key)) source = 'file';
    else if (set && d.default !== undefined && String(d.default) === String(value)) source = 'default';
    // given by the program that started the mediator (loadSettings overrides, tests, the demo)
    else if (set) source = 'overrides';
    const secret = d.type === 'secret';
    return {
      key: d.key,
      env: d.env,
      secret,
      restart: !!d.restart,
      description: d.description,
      source,
      value: !set ? '' : secret ? MASK : String(value),
    };
  });
}
