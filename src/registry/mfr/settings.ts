import type { Settings } from '../../config/settings.js';
import { isHttpUrl } from '../../config/http-url.js';
import { shownValue } from '../../config/shown-value.js';
import type { TransportSettings } from '../../upstream/pool.js';
import type { ChangeFeed } from './types.js';

/**
 * The registry client's settings from the flat table (src/config/settings.ts `registry.*`).
 * Defaults repeat the table's so the client also works when built directly (tests, CLI).
 */
export interface RegistrySettings extends TransportSettings {
  username?: string;
  password?: string;
  /** Bearer token: preferred over Basic when set. */
  token?: string;
  changeFeed: ChangeFeed;
  pageSize: number;
  /** The registry's code namespace: identifiers without a system are read as codes in it. */
  identifierSystem: string;
}

/** The same default as openmrs.registryCodeSystem, so registry codes line up across systems. */
export const DEFAULT_IDENTIFIER_SYSTEM = 'http://fhir-supply-mediator.org/fhir/identifier/registry-facility-code';
const FEEDS: ChangeFeed[] = ['auto', 'history', 'lastUpdated'];

const str = (v: unknown): string | undefined => (v === undefined || v === null || v === '' ? undefined : String(v));
const num = (v: unknown, fallback: number): number =>
  v !== '' && v !== undefined && v !== null && Number.isFinite(Number(v)) ? Number(v) : fallback;

/** undefined when registry.url is not set (no registry configured). */
export function registrySettingsFrom(s: Settings): RegistrySettings | undefined {
  const url = str(s['registry.url']);
  if (!url) return undefined;
  const feed = str(s['registry.changeFeed']) ?? 'auto';
  if (!FEEDS.includes(feed as ChangeFeed))
    throw new Error(`registry.changeFeed must be one of ${FEEDS.join(', ')}, got ${shownValue(feed, 'word')}`);
  // never the value itself: a URL that does not parse may still carry user:password@ (this is also
  // reached without loadSettings' checks, by a client built directly)
  if (!isHttpUrl(url))
    throw new Error(
      `registry.url must be an absolute http(s) URL (the FHIR base, e.g. https://mfr.example.org/fhir), got ${shownValue(url, 'url')}`,
    );
  return {
    // the FHIR base without a trailing slash: every path here starts with one
    baseUrl: url.replace(/\/+$/, ''),
    username: str(s['registry.username']),
    password: str(s['registry.password']),
    token: str(s['registry.token']),
    timeoutMs: num(s['registry.timeoutMs'], 20_000),
    concurrency: 4,
    changeFeed: feed as ChangeFeed,
    // HAPI caps _count at its maximum page size (often 200..1000); a larger one is just cut
    pageSize: Math.min(1_000, Math.max(1, num(s['registry.pageSize'], 100))),
    identifierSystem: str(s['registry.identifierSystem']) ?? DEFAULT_IDENTIFIER_SYSTEM,
  };
}
