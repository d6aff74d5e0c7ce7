/**
 * The mediator's OpenHIM registration document (mediator-config.json at the repo root) and the
 * types of core's mediator model (openhim-core-js src/model/mediators.js, channels.js).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export type ConfigParamType = 'string' | 'bool' | 'number' | 'option' | 'bigstring' | 'map' | 'struct' | 'password';
export const CONFIG_PARAM_TYPES: readonly ConfigParamType[] = [
  'string',
  'bool',
  'number',
  'option',
  'bigstring',
  'map',
  'struct',
  'password',
];

export interface ConfigDef {
  param: string;
  displayName?: string;
  description?: string;
  type: ConfigParamType;
  values?: string[];
  template?: ConfigDef[];
  array?: boolean;
}

export interface RouteDef {
  name: string;
  type?: 'http' | 'kafka';
  host?: string;
  port?: number | string;
  path?: string;
  pathTransform?: string;
  primary?: boolean;
  secured?: boolean;
  username?: string;
  password?: string;
  forwardAuthHeader?: boolean;
  status?: 'enabled' | 'disabled';
  [key: string]: unknown;
}

export interface ChannelDef {
  name: string;
  urlPattern: string;
  description?: string;
  methods?: string[];
  type?: 'http' | 'tcp' | 'tls' | 'polling';
  routes?: RouteDef[];
  timeout?: number;
  autoRetryEnabled?: boolean;
  autoRetryPeriodMinutes?: number;
  autoRetryMaxAttempts?: number;
  [key: string]: unknown;
}

export interface MediatorRegistration {
  urn: string;
  version: string;
  name: string;
  description?: string;
  endpoints: RouteDef[];
  defaultChannelConfig?: ChannelDef[];
  configDefs?: ConfigDef[];
  config?: Record<string, unknown>;
}

const FILE_NAME = 'mediator-config.json';

/** Walks up from this module so the same code works from src/ (tsx) and dist/src/ (built). */
export function findMediatorConfigPath(startDir = path.dirname(fileURLToPath(import.meta.url))): string {
  let dir = startDir;
  for (;;) {
    const candidate = path.join(dir, FILE_NAME);
    if (existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`${FILE_NAME} not found above ${startDir}`);
    dir = parent;
  }
}

export function loadMediatorConfig(file = findMediatorConfigPath()): MediatorRegistration {
  return JSON.parse(readFileSync(file, 'utf8')) as MediatorRegistration;
}

/**
 * Points the endpoint and every default channel route at where OpenHIM reaches this instance
 * (the file carries the docker-compose service name and port). A deep copy; the input is untouched.
 */
export function withRouteTarget(
  registration: MediatorRegistration,
  target: { host?: string; port?: number; secured?: boolean },
): MediatorRegistration {
  const copy = structuredClone(registration);
  const retarget = (route: RouteDef) => {
    if (target.host !== undefined) route.host = target.host;
    if (target.port !== undefined) route.port = target.port;
    if (target.secured !== undefined) route.secured = target.secured;
  };
  copy.endpoints.forEach(retarget);
  for (const channel of copy.defaultChannelConfig ?? []) (channel.routes ?? []).forEach(retarget);
  return copy;
}
