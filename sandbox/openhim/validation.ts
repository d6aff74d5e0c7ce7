/**
 * Core's mediator validation (openhim-core-js src/api/mediators.js @ fdfa87b3 and the Mongoose
 * models in src/model/mediators.js, channels.js), as reference/openhim.md §1.2 describes it.
 * Messages follow core's wording so tests read like core's answers.
 */
import { validSemver } from './semver.js';

export class ValidationError extends Error {
  override readonly name = 'ValidationError';
}

const CONFIG_PARAM_TYPES = ['string', 'bool', 'number', 'option', 'bigstring', 'map', 'struct', 'password'];
const ROUTE_TYPES = ['http', 'kafka'];
const CHANNEL_TYPES = ['http', 'tcp', 'tls', 'polling'];
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH'];
const ENABLED = ['enabled', 'disabled'];

type Def = { param?: unknown; type?: unknown; values?: unknown; template?: unknown; array?: unknown };
type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** validateConfigDef: struct needs a template of non-struct {param,type}; option needs values. */
export function validateConfigDefs(configDefs: unknown): void {
  if (!Array.isArray(configDefs)) throw new ValidationError('configDefs must be an array');
  for (const def of configDefs as Def[]) {
    if (!isObject(def)) throw new ValidationError('configDefs items must be objects');
    if (def.type === 'struct') {
      if (!def.template) throw new ValidationError(`Must specify a template for struct param '${def.param}'`);
      for (const item of Array.from(def.template as Def[])) {
        if (!item?.param)
          throw new ValidationError(`Must specify field 'param' in template definition for param '${def.param}'`);
        if (!item.type)
          throw new ValidationError(`Must specify field 'type' in template definition for param '${def.param}'`);
        if (item.type === 'struct')
          throw new ValidationError(
            `May not recursively specify 'struct' in template definitions (param '${def.param}')`,
          );
      }
    } else if (def.type === 'option') {
      if (!Array.isArray(def.values))
        throw new ValidationError(`Expected field 'values' to be an array (option param '${def.param}')`);
      if (def.values.length === 0)
        throw new ValidationError(`Must specify a values array for option param '${def.param}'`);
    }
  }
}

/** validateConfigField: strict JS types; struct keys must be in the template (their types are not checked, as in core). */
function validateConfigField(param: string, def: Def, field: unknown): void {
  const fail = (what: string) => {
    throw new ValidationError(`Expected config param ${param} to ${what}`);
  };
  switch (def.type) {
    case 'string':
      if (typeof field !== 'string') fail('be a string.');
      break;
    case 'bigstring':
      if (typeof field !== 'string') fail('be a large string.');
      break;
    case 'password':
      if (typeof field !== 'string') fail('be a string representing a password.');
      break;
    case 'number':
      if (typeof field !== 'number') fail('be a number.');
      break;
    case 'bool':
      if (typeof field !== 'boolean') fail('be a boolean.');
      break;
    case 'option':
      if (!(def.values as unknown[]).includes(field)) fail(`be one of ${String(def.values)}`);
      break;
    case 'map':
      if (typeof field !== 'object') fail('be an object.');
      for (const v of Object.values(field ?? {})) if (typeof v !== 'string') fail('only contain string values.');
      break;
    case 'struct': {
      if (typeof field !== 'object') fail('be an object.');
      const templateFields = (def.template as Def[]).map((t) => t.param);
      for (const key of Object.keys(field ?? {})) {
        if (!templateFields.includes(key))
          throw new ValidationError(`Field ${key} is not defined in template definition for config param ${param}.`);
      }
      break;
    }
    default:
      break; // core only logs unknown types here; the schema enum rejects them on save
  }
}

export function validateConfig(configDefs: Def[], config: unknown): void {
  if (!isObject(config)) throw new TypeError('config must be an object'); // core: Object.keys(null) → 500
  for (const param of Object.keys(config)) {
    const defs = configDefs.filter((d) => d.param === param);
    if (defs.length === 0) throw new ValidationError(`No config definition found for parameter ${param}`);
    for (const def of defs) {
      const value = config[param];
      if (def.array) {
        if (!Array.isArray(value))
          throw new ValidationError(`Expected config param ${param} to be an array of type ${String(def.type)}`);
        value.forEach((field, i) => validateConfigField(`${param}[${i}]`, def, field));
      } else {
        validateConfigField(param, def, value);
      }
    }
  }
}

function checkEnum(path: string, value: unknown, allowed: string[]): void {
  if (value !== undefined && value !== null && !allowed.includes(value as string)) {
    throw new ValidationError(`${path}: \`${String(value)}\` is not a valid enum value`);
  }
}

/** Mongoose casts numbers given as strings ("8080"); anything else that is not a number fails. */
function checkNumber(path: string, value: unknown, min?: number, max?: number): void {
  if (value === undefined || value === null) return;
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || Number.isNaN(n))
    throw new ValidationError(`${path}: Cast to Number failed for value "${String(value)}"`);
  if (min !== undefined && n < min)
    throw new ValidationError(`${path}: Path is less than minimum allowed value (${min})`);
  if (max !== undefined && n > max)
    throw new ValidationError(`${path}: Path is more than maximum allowed value (${max})`);
}

function checkRequired(path: string, value: unknown): void {
  if (value === undefined || value === null || value === '')
    throw new ValidationError(`${path}: Path \`${path.split('.').pop()}\` is required.`);
}

function validateRoute(path: string, route: Json): void {
  checkRequired(`${path}.name`, route.name);
  checkEnum(`${path}.type`, route.type, ROUTE_TYPES);
  checkEnum(`${path}.status`, route.status, ENABLED);
  checkNumber(`${path}.port`, route.port, 0, 65536);
}

function validateChannel(path: string, channel: Json): void {
  checkRequired(`${path}.name`, channel.name);
  checkRequired(`${path}.urlPattern`, channel.urlPattern);
  checkEnum(`${path}.type`, channel.type, CHANNEL_TYPES);
  checkEnum(`${path}.authType`, channel.authType, ['private', 'public']);
  checkEnum(`${path}.status`, channel.status, ['enabled', 'disabled', 'deleted']);
  for (const [i, m] of asArray(channel.methods).entries()) checkEnum(`${path}.methods.${i}`, m, METHODS);
  checkNumber(`${path}.timeout`, channel.timeout, 1, 3_600_000);
  checkNumber(`${path}.autoRetryPeriodMinutes`, channel.autoRetryPeriodMinutes, 1);
  checkNumber(`${path}.autoRetryMaxAttempts`, channel.autoRetryMaxAttempts, 0);
  checkNumber(`${path}.priority`, channel.priority, 1);
  for (const [i, route] of asArray(channel.routes).entries()) validateRoute(`${path}.routes.${i}`, route as Json);
}

function asArray(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

/** The Mongoose schema checks applied when a mediator document is saved. */
export function validateMediatorDocument(mediator: Json): void {
  checkRequired('urn', mediator.urn);
  checkRequired('version', mediator.version);
  checkRequired('name', mediator.name);
  for (const [i, r] of asArray(mediator.endpoints).entries()) validateRoute(`endpoints.${i}`, r as Json);
  for (const [i, c] of asArray(mediator.defaultChannelConfig).entries())
    validateChannel(`defaultChannelConfig.${i}`, c as Json);
  for (const [i, d] of asArray(mediator.configDefs).entries())
    checkEnum(`configDefs.${i}.type`, (d as Def).type, CONFIG_PARAM_TYPES);
}

/** The checks addMediator runs before looking the urn up, in core's order. */
export function validateRegistration(mediator: unknown): asserts mediator is Json {
  if (!isObject(mediator)) throw new ValidationError('URN is required');
  if (!mediator.urn) throw new ValidationError('URN is required');
  if (!mediator.version || !validSemver(mediator.version))
    throw new ValidationError('Version is required. Must be in SemVer form x.y.z');
  if (mediator.configDefs) {
    validateConfigDefs(mediator.configDefs);
    if (mediator.config !== undefined && mediator.config !== null)
      validateConfig(mediator.configDefs as Def[], mediator.config);
  }
}

export const PASSWORD_MASK = '**********';

/** GET masks password values (core's maskPasswords: truthy values only, one struct level down). */
export function maskPasswords(defs: Def[] | undefined, config: Json | undefined): void {
  if (!config || !defs) return;
  for (const d of defs) {
    const param = d.param as string;
    if (d.type === 'password' && config[param]) {
      config[param] =
        d.array && Array.isArray(config[param]) ? (config[param] as unknown[]).map(() => PASSWORD_MASK) : PASSWORD_MASK;
    }
    if (d.type === 'struct' && isObject(config[param])) maskPasswords(d.template as Def[], config[param] as Json);
  }
}

/** PUT config: a value sent back as the mask keeps the stored password. */
export function restoreMaskedPasswords(
  defs: Def[] | undefined,
  masked: Json | undefined,
  stored: Json | undefined,
): void {
  if (!masked || !stored || !defs) return;
  for (const d of defs) {
    const param = d.param as string;
    if (d.type === 'password' && masked[param] && stored[param]) {
      if (d.array && Array.isArray(masked[param])) {
        (masked[param] as unknown[]).forEach((p, i) => {
          if (p === PASSWORD_MASK) (masked[param] as unknown[])[i] = (stored[param] as unknown[])[i];
        });
      } else if (masked[param] === PASSWORD_MASK) {
        masked[param] = stored[param];
      }
    }
    if (d.type === 'struct' && isObject(masked[param]) && isObject(stored[param]))
      restoreMaskedPasswords(d.template as Def[], masked[param] as Json, stored[param] as Json);
  }
}
