import { readFileSync } from 'node:fs';
import { settingDefs, type SettingDef, type Settings } from './settings.js';
import { settingWithUrlCredentials, urlCredentialsMessage } from './url-credentials.js';
import { cronProblem, isScheduleOff } from '../jobs/cron.js';
import { shownValue } from './shown-value.js';
import { isHttpUrl } from './http-url.js';

/**
 * Settings come from three layers, later winning: defaults < config file (CONFIG_FILE, JSON with
 * the dotted keys nested) < environment < OpenHIM console (applied live, see openhim/).
 */
export class ConfigError extends Error {}

function flatten(obj: Record<string, unknown>, prefix = ''): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v && typeof v === 'object' && !Array.isArray(v)) Object.assign(out, flatten(v as Record<string, unknown>, key));
    else out[key] = v;
  }
  return out;
}

/** What a number breaks of its setting's declared bounds (SettingDef min, max, integer), if anything. */
function outOfBounds(def: SettingDef, n: number): string | undefined {
  if (def.integer && !Number.isInteger(n)) return 'a whole number';
  if (def.min !== undefined && n < def.min) return `at least ${def.min}`;
  if (def.max !== undefined && n > def.max) return `at most ${def.max}`;
  return undefined;
}

/** What a setting's value must be, in words. */
function expected(def: SettingDef): string {
  if (def.type === 'number') return 'a number';
  return def.type === 'boolean' ? 'true or false' : 'a string';
}

/** A JSON value that is no setting's value, by its kind (never its content: it may hold a secret). */
function jsonKind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : typeof value;
}

function coerce(def: SettingDef, raw: unknown, source: string): string | number | boolean | undefined {
  // null is "not set here", as an empty value is (and as a console value is): a config file's
  // `"port": null` was read as port 0 (any free port) and `"username": null` as the text "null"
  if (raw === undefined || raw === null || raw === '') return undefined;
  // a JSON list is no setting's value: [3000] was read as 3000, [] as 0, ["a", "b"] as "a,b"
  if (typeof raw === 'object')
    throw new ConfigError(`${source}: ${def.key} must be ${expected(def)}, got ${jsonKind(raw)}`);
  if (def.type === 'number') {
    const n = typeof raw === 'number' ? raw : Number(raw);
    if (!Number.isFinite(n))
      throw new ConfigError(`${source}: ${def.key} must be a number, got ${shownValue(raw, 'number')}`);
    const problem = outOfBounds(def, n);
    if (problem) throw new ConfigError(`${source}: ${def.key} must be ${problem}, got ${shownValue(raw, 'number')}`);
    return n;
  }
  if (def.type === 'boolean') {
    if (typeof raw === 'boolean') return raw;
    if (/^(true|1|yes|on)$/i.test(String(raw))) return true;
    if (/^(false|0|no|off)$/i.test(String(raw))) return false;
    throw new ConfigError(`${source}: ${def.key} must be true or false, got ${shownValue(raw, 'word')}`);
  }
  const s = String(raw);
  if (def.enum && !def.enum.includes(s))
    throw new ConfigError(`${source}: ${def.key} must be one of ${def.enum.join(', ')}, got ${shownValue(s, 'word')}`);
  return s;
}

export function mergeSettings(base: Settings, layer: Record<string, unknown>, source: string): Settings {
  const out: Settings = { ...base };
  for (const [key, raw] of Object.entries(layer)) {
    const def = settingDefs.find((d) => d.key === key);
    if (!def) throw new ConfigError(`${source}: unknown setting '${key}' (see README "Configuration")`);
    const value = coerce(def, raw, source);
    if (value !== undefined) out[key] = value;
  }
  return out;
}

export function defaultSettings(): Settings {
  const out: Settings = {};
  for (const d of settingDefs) if (d.default !== undefined) out[d.key] = d.default;
  return out;
}

export function loadSettings(env: NodeJS.ProcessEnv = process.env, overrides: Record<string, unknown> = {}): Settings {
  const settings = layeredSettings(env, overrides);
  validateSettings(settings);
  return settings;
}

/**
 * Why CONFIG_FILE could not be read, without quoting it: V8's JSON.parse messages can carry a
 * snippet of the text around the error (a password written without its quotes gave
 * `..."assword": Kx7Qz9WvPl"... is not valid JSON`: ten of its characters), and this file
 * holds the passwords and client secrets, which are not yet known to the redactor when it fails.
 * Only the position is kept (line and column when V8 gives one).
 */
export function unreadableConfig(err: unknown, text?: string): string {
  const e = err as NodeJS.ErrnoException;
  if (e?.code) return `cannot be read (${e.code})`;
  if (!(err instanceof SyntaxError)) return 'cannot be read';
  const at = /at position (\d+)/.exec(err.message);
  if (!at || text === undefined) return 'is not valid JSON';
  const before = text.slice(0, Number(at[1]));
  const line = before.split('\n').length;
  return `is not valid JSON at line ${line}, column ${before.length - before.lastIndexOf('\n')}`;
}

/** Defaults < CONFIG_FILE < environment < overrides, without the cross-field rules of a serving mediator (tools). */
export function layeredSettings(
  env: NodeJS.ProcessEnv = process.env,
  overrides: Record<string, unknown> = {},
): Settings {
  let settings = defaultSettings();
  if (env.CONFIG_FILE) {
    let parsed: unknown;
    let text: string | undefined;
    try {
      text = readFileSync(env.CONFIG_FILE, 'utf8');
      parsed = JSON.parse(text);
    } catch (err) {
      throw new ConfigError(`CONFIG_FILE ${env.CONFIG_FILE}: ${unreadableConfig(err, text)}`);
    }
    // a list or a bare value at the top was refused as "unknown setting '0'", naming no mistake
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new ConfigError(
        `CONFIG_FILE ${env.CONFIG_FILE}: must be a JSON object of settings ({"openlmis": {"baseUrl": "…"}}), got ${jsonKind(parsed)}`,
      );
    settings = mergeSettings(settings, flatten(parsed as Record<string, unknown>), `CONFIG_FILE ${env.CONFIG_FILE}`);
  }
  const fromEnv: Record<string, unknown> = {};
  for (const d of settingDefs) if (env[d.env] !== undefined) fromEnv[d.key] = env[d.env];
  settings = mergeSettings(settings, fromEnv, 'environment');
  settings = mergeSettings(settings, overrides, 'overrides');
  return settings;
}

/** Cross-field rules: a start-up that would run insecurely or half-configured stops here with the reason. */
export function validateSettings(s: Settings): void {
  rejectUrlCredentials(s);
  validateInboundAuth(s);
  validateOpenHimLogin(s);
  validateCrossFields(s);
}

/**
 * Registering needs OpenHIM's API password. An upstream's credentials may come later from the
 * console, but this one cannot: the console's settings reach the mediator through that API.
 * Without it the mediator would be refused for ever, the reason only in /ready.
 */
function validateOpenHimLogin(s: Settings): void {
  if (s['openhim.apiUrl'] && !s['openhim.password'])
    throw new ConfigError(
      'openhim.apiUrl (OPENHIM_API_URL) is set but openhim.password (OPENHIM_PASSWORD) is not: OpenHIM refuses every API call without it; set it, or unset OPENHIM_API_URL to run without OpenHIM',
    );
}

/** A serving mediator authenticates its clients: the credentials its mode needs are set. */
function validateInboundAuth(s: Settings): void {
  if (s['auth.mode'] === 'basic' && !s['auth.password'])
    throw new ConfigError(
      'auth.mode=basic needs AUTH_PASSWORD (or set AUTH_MODE=off to run without inbound authentication)',
    );
  if (s['auth.mode'] === 'bearer' && !s['auth.bearerToken'])
    throw new ConfigError('auth.mode=bearer needs AUTH_BEARER_TOKEN');
}

/**
 * The settings of an operator command (`jobs list|run`, `bridge …`): every rule of `serve` but inbound
 * authentication, which guards a server the command does not start (a listing beside a running
 * demo needs no AUTH_PASSWORD). `serve` and a live change still check it (validateSettings).
 */
export function loadOperatorSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const settings = layeredSettings(env);
  rejectUrlCredentials(settings);
  validateCrossFields(settings);
  return settings;
}

function rejectUrlCredentials(s: Settings): void {
  const withCredentials = settingWithUrlCredentials(s);
  if (withCredentials) throw new ConfigError(urlCredentialsMessage(withCredentials));
}

/**
 * Settings that name an HTTP endpoint: the upstreams, OpenHIM's API, the registry, and the public
 * URL every link, fullUrl and Location header is built on (one typed without its scheme would
 * hand clients `hie.example.org:5000/fhir/…`, which none can follow).
 */
const HTTP_URL_SETTINGS = [
  'openlmis.baseUrl',
  'dhis2.baseUrl',
  'msupply.baseUrl',
  'openmrs.baseUrl',
  'server.publicBaseUrl',
  'openhim.apiUrl',
  'registry.url',
];

/** The engines store/index.ts opens (resolveStoreTarget): PostgreSQL or an SQLite file. */
function isStoreUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url) || url.startsWith('sqlite:');
}

/** The rules of the other settings: TLS files, upstream URLs, outbox and OpenHIM timings, schedules. */
function validateCrossFields(s: Settings): void {
  if (!!s['server.tlsCertFile'] !== !!s['server.tlsKeyFile'])
    throw new ConfigError('HTTPS needs both TLS_CERT_FILE and TLS_KEY_FILE');
  for (const key of HTTP_URL_SETTINGS) {
    const url = s[key];
    if (url !== undefined && url !== '' && !isHttpUrl(String(url))) {
      const env = settingDefs.find((d) => d.key === key)?.env;
      throw new ConfigError(`${key}${env ? ` (${env})` : ''} must be an http(s) URL, got ${shownValue(url, 'url')}`);
    }
  }
  const databaseUrl = s['store.databaseUrl'];
  if (typeof databaseUrl === 'string' && !isStoreUrl(databaseUrl.trim()))
    // never the URL itself: it carries the database password
    throw new ConfigError(
      'store.databaseUrl (DATABASE_URL) must start with postgres://, postgresql:// or sqlite: (got another scheme)',
    );
  const attemptMs = Number(s['outbox.attemptTimeoutMs']);
  const leaseMs = Number(s['outbox.leaseMs']);
  if (attemptMs >= leaseMs)
    throw new ConfigError(
      `outbox.attemptTimeoutMs (OUTBOX_ATTEMPT_TIMEOUT_MS) must be below outbox.leaseMs (OUTBOX_LEASE_MS), got ${attemptMs} and ${leaseMs}: another worker could take over an attempt still running`,
    );
  const updateBaseMs = Number(s['openhim.updateRetryBaseMs']);
  const updateCapMs = Number(s['openhim.updateRetryCapMs']);
  if (updateCapMs < updateBaseMs)
    throw new ConfigError(
      `openhim.updateRetryCapMs (OPENHIM_UPDATE_RETRY_CAP_MS) must be at least openhim.updateRetryBaseMs (OPENHIM_UPDATE_RETRY_BASE_MS), got ${updateCapMs} and ${updateBaseMs}: every retry would wait the cap, the base would mean nothing`,
    );
  for (const def of settingDefs.filter((d) => d.key.startsWith('schedules.'))) {
    const value = s[def.key];
    const problem = typeof value === 'string' && !isScheduleOff(value) ? cronProblem(value) : undefined;
    if (problem)
      throw new ConfigError(
        `${def.key} (${def.env}) is not a cron expression: ${problem}, got ${shownValue(value, 'cron')}`,
      );
  }
}
