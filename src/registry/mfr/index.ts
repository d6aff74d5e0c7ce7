export type { RegistryClient, RegistryPage, RegistryRecord, ChangeFeed } from './types.js';
export { createRegistryClient, declaresLocationHistory, type RegistryClientOptions } from './client.js';
export { registrySettingsFrom, DEFAULT_IDENTIFIER_SYSTEM, type RegistrySettings } from './settings.js';
export { REGISTRY, RegistryError } from './errors.js';
export { locationKind } from './location-kind.js';
