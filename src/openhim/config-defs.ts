/**
 * OpenHIM console settings (configDefs in mediator-config.json) and how they map to our flat
 * settings keys. The mapping is one table so the README and tests can list and check it.
 *
 * Params are flat camelCase, not dotted or structs: MongoDB (core's store) rejects dots in keys,
 * and flat params give one console field per setting with its own type check.
 */
import type { ConfigParamType } from './mediator-config.js';

export interface OpenHimSettingMapping {
  /** configDef `param` in OpenHIM. */
  param: string;
  /** our settings key (the lead's config module merges env/file < OpenHIM). */
  setting: string;
  type: ConfigParamType;
  /** true for values that must never be logged. */
  secret?: boolean;
}

const system = (name: string, extra: OpenHimSettingMapping[] = []): OpenHimSettingMapping[] => [
  { param: `${name}BaseUrl`, setting: `${name}.baseUrl`, type: 'string' },
  { param: `${name}Username`, setting: `${name}.username`, type: 'string' },
  { param: `${name}Password`, setting: `${name}.password`, type: 'password', secret: true },
  ...extra,
  { param: `${name}TimeoutMs`, setting: `${name}.timeoutMs`, type: 'number' },
];

/** Setting keys follow src/config/settings.ts (the lead's table); test/unit/openhim-config-defs checks them against it. */
export const OPENHIM_SETTINGS: readonly OpenHimSettingMapping[] = [
  { param: 'publicBaseUrl', setting: 'server.publicBaseUrl', type: 'string' },
  { param: 'inboundAuthUsername', setting: 'auth.username', type: 'string' },
  { param: 'inboundAuthPassword', setting: 'auth.password', type: 'password', secret: true },
  { param: 'inboundBearerToken', setting: 'auth.bearerToken', type: 'password', secret: true },
  ...system('openlmis', [
    { param: 'openlmisClientId', setting: 'openlmis.clientId', type: 'string' },
    { param: 'openlmisClientSecret', setting: 'openlmis.clientSecret', type: 'password', secret: true },
    { param: 'openlmisAuthorizeStep', setting: 'openlmis.authorizeStep', type: 'bool' },
    { param: 'openlmisStockApi', setting: 'openlmis.stockApi', type: 'option' },
  ]),
  ...system('dhis2', [
    { param: 'dhis2ApiToken', setting: 'dhis2.apiToken', type: 'password', secret: true },
    { param: 'dhis2DataSet', setting: 'dhis2.dataSet', type: 'string' },
    { param: 'dhis2StockTarget', setting: 'dhis2.stockTarget', type: 'option' },
    // issue 11: id schemes, period type and the RTS program/stage/data element UIDs from the console too
    { param: 'dhis2DataElementIdScheme', setting: 'dhis2.dataElementIdScheme', type: 'option' },
    { param: 'dhis2OrgUnitIdScheme', setting: 'dhis2.orgUnitIdScheme', type: 'option' },
    { param: 'dhis2PeriodType', setting: 'dhis2.periodType', type: 'option' },
    { param: 'dhis2RtsProgram', setting: 'dhis2.rtsProgram', type: 'string' },
    { param: 'dhis2ConsignmentProgram', setting: 'dhis2.consignmentProgram', type: 'string' },
    { param: 'dhis2ConsignmentStage', setting: 'dhis2.consignmentStage', type: 'string' },
    { param: 'dhis2ConsignmentDataElements', setting: 'dhis2.consignmentDataElements', type: 'string' },
    { param: 'dhis2RequisitionProgram', setting: 'dhis2.requisitionProgram', type: 'string' },
    { param: 'dhis2RequisitionStage', setting: 'dhis2.requisitionStage', type: 'string' },
    { param: 'dhis2RequisitionDataElements', setting: 'dhis2.requisitionDataElements', type: 'string' },
    { param: 'dhis2RtsItemCode', setting: 'dhis2.rtsItemCode', type: 'option' },
  ]),
  ...system('msupply'),
  ...system('openmrs', [
    { param: 'openmrsRegistryCodeAttributeType', setting: 'openmrs.registryCodeAttributeType', type: 'string' },
    { param: 'openmrsFacilityTags', setting: 'openmrs.facilityTags', type: 'string' },
  ]),
  { param: 'deliveryDeadlineMs', setting: 'outbox.deadlineMs', type: 'number' },
  { param: 'outboxMaxAttempts', setting: 'outbox.maxAttempts', type: 'number' },
  { param: 'outboxBaseDelayMs', setting: 'outbox.backoffBaseMs', type: 'number' },
  { param: 'outboxMaxDelayMs', setting: 'outbox.backoffCapMs', type: 'number' },
  { param: 'outboxBreakerFailures', setting: 'outbox.breakerFailures', type: 'number' },
  { param: 'outboxBreakerOpenMs', setting: 'outbox.breakerOpenMs', type: 'number' },
  { param: 'scheduleReconcile', setting: 'schedules.reconcile', type: 'string' },
  { param: 'productCodeSystem', setting: 'mapping.productCodeSystem', type: 'option' },
  { param: 'nationalProductCodeSystem', setting: 'mapping.nationalProductCodeSystem', type: 'string' },
  { param: 'orchestrationBodyLimitBytes', setting: 'openhim.orchestrationBodyLimitBytes', type: 'number' },
  { param: 'logLevel', setting: 'log.level', type: 'option' },
];

/** The typed view of the config OpenHIM hands back on heartbeat (every key optional: core may hold an older set). */
export interface OpenHimConfig {
  publicBaseUrl?: string;
  inboundAuthUsername?: string;
  inboundAuthPassword?: string;
  inboundBearerToken?: string;
  openlmisBaseUrl?: string;
  openlmisUsername?: string;
  openlmisPassword?: string;
  openlmisClientId?: string;
  openlmisClientSecret?: string;
  openlmisAuthorizeStep?: boolean;
  openlmisStockApi?: 'auto' | 'code' | 'uuid';
  openlmisTimeoutMs?: number;
  dhis2TimeoutMs?: number;
  msupplyTimeoutMs?: number;
  openmrsTimeoutMs?: number;
  dhis2DataElementIdScheme?: 'CODE' | 'UID';
  dhis2OrgUnitIdScheme?: 'CODE' | 'UID';
  dhis2PeriodType?: string;
  dhis2RtsProgram?: string;
  dhis2ConsignmentProgram?: string;
  dhis2ConsignmentStage?: string;
  dhis2ConsignmentDataElements?: string;
  dhis2RequisitionProgram?: string;
  dhis2RequisitionStage?: string;
  dhis2RequisitionDataElements?: string;
  dhis2RtsItemCode?: 'dhis2' | 'msupply';
  dhis2BaseUrl?: string;
  dhis2Username?: string;
  dhis2Password?: string;
  msupplyBaseUrl?: string;
  msupplyUsername?: string;
  msupplyPassword?: string;
  openmrsBaseUrl?: string;
  openmrsUsername?: string;
  openmrsPassword?: string;
  openmrsRegistryCodeAttributeType?: string;
  openmrsFacilityTags?: string;
  deliveryDeadlineMs?: number;
  outboxMaxAttempts?: number;
  outboxBaseDelayMs?: number;
  outboxMaxDelayMs?: number;
  outboxBreakerFailures?: number;
  outboxBreakerOpenMs?: number;
  scheduleReconcile?: string;
  productCodeSystem?: 'gtin' | 'national';
  nationalProductCodeSystem?: string;
  orchestrationBodyLimitBytes?: number;
  logLevel?: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
  [param: string]: unknown;
}

const JS_TYPE: Record<ConfigParamType, string> = {
  string: 'string',
  bigstring: 'string',
  password: 'string',
  option: 'string',
  number: 'number',
  bool: 'boolean',
  map: 'object',
  struct: 'object',
};

function isUsable(mapping: OpenHimSettingMapping, value: unknown): boolean {
  if (typeof value !== JS_TYPE[mapping.type] || value === null) return false;
  if (typeof value === 'number' && !Number.isFinite(value)) return false;
  // An empty console field means "not set in OpenHIM": the env/file value keeps applying,
  // so an unfilled password never blanks a credential given by env.
  if (typeof value === 'string' && value.trim() === '') return false;
  // '**********' is core's display mask; it is never a real credential.
  if (mapping.secret && value === '**********') return false;
  return true;
}

/**
 * A console value equal to the default we registered (mediator-config.json `config`) is one nobody
 * changed: core stores the registered config on first registration and keeps stored values when a
 * newer version registers (openhim-core-js src/api/mediators.js addMediator), so the heartbeat
 * hands back every default. Such a value must not override the environment or the config file.
 */
export function isRegisteredDefault(
  param: string,
  value: unknown,
  registeredDefaults: Record<string, unknown> | undefined,
): boolean {
  if (!registeredDefaults || !(param in registeredDefaults)) return false;
  const registered = registeredDefaults[param];
  return typeof value === 'string' && typeof registered === 'string'
    ? value.trim() === registered.trim()
    : value === registered;
}

/**
 * OpenHIM config → flat settings (`openlmis.baseUrl`, …). Unknown params, wrong-typed values,
 * empty strings and values equal to the registered defaults are left out, so the result only
 * overrides what an operator actually set in the console.
 */
export function openhimConfigToSettings(
  config: OpenHimConfig | Record<string, unknown> | null | undefined,
  options: { knownSetting?: (key: string) => boolean; registeredDefaults?: Record<string, unknown> } = {},
): Record<string, unknown> {
  const settings: Record<string, unknown> = {};
  if (!config || typeof config !== 'object') return settings;
  for (const mapping of OPENHIM_SETTINGS) {
    // lets the config module skip keys its table does not have yet instead of rejecting the whole config
    if (options.knownSetting && !options.knownSetting(mapping.setting)) continue;
    const value = (config as Record<string, unknown>)[mapping.param];
    if (!isUsable(mapping, value) || isRegisteredDefault(mapping.param, value, options.registeredDefaults)) continue;
    settings[mapping.setting] = typeof value === 'string' && !mapping.secret ? value.trim() : value;
  }
  return settings;
}

/** A console value of another JSON type than its configDef's: a string where a number belongs. */
export interface WrongConsoleType {
  param: string;
  setting: string;
  /** The JSON type the configDef asks for. */
  expected: string;
  /** The JSON type the console holds (never the value: it may be a secret). */
  given: string;
}

function jsonType(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
}

/**
 * The console values openhimConfigToSettings leaves out for their type. Core checks a config's
 * types when it is saved from the console (api/mediators.js validateConfigField), but not a
 * config imported with POST /metadata or registered by an older release, so one can still arrive
 * as `"8080"` for a number; left out silently, the operator would think it in force.
 */
export function wronglyTypedConsoleValues(
  config: Record<string, unknown> | null | undefined,
  options: { knownSetting?: (key: string) => boolean } = {},
): WrongConsoleType[] {
  if (!config || typeof config !== 'object') return [];
  const wrong: WrongConsoleType[] = [];
  for (const mapping of OPENHIM_SETTINGS) {
    if (options.knownSetting && !options.knownSetting(mapping.setting)) continue;
    const value = config[mapping.param];
    if (value === undefined || value === null) continue; // not set in the console
    const expected = JS_TYPE[mapping.type];
    const given = jsonType(value);
    if (given !== expected) wrong.push({ param: mapping.param, setting: mapping.setting, expected, given });
  }
  return wrong;
}

/** Settings keys whose values are secrets (for log redaction and masked diagnostics). */
export const SECRET_SETTINGS: readonly string[] = OPENHIM_SETTINGS.filter((m) => m.secret).map((m) => m.setting);
