import { NS } from '../../domain/namespace.js';
import { shownValue } from '../../config/shown-value.js';

/**
 * The OpenMRS connector's settings from the flat settings table (src/config/settings.ts keys
 * `openmrs.*`). Defaults repeat the table's so the connector also works when built directly
 * (tests, CLI) with only a base URL and credentials.
 */
export interface OpenMrsSettings {
  /** Up to the webapp, e.g. https://emr.example.org/openmrs (the REST API is under /ws/rest/v1). */
  baseUrl: string;
  username?: string;
  password?: string;
  timeoutMs: number;
  concurrency: number;
  /** Name or uuid of the location attribute type holding the registry code (KenyaEMR: "Master Facility Code"). */
  registryCodeAttributeType: string;
  /** The identifier system the registry code is emitted under. */
  registryCodeSystem: string;
  /** Location tags (names or uuids) that make a location a facility; empty = every location. */
  facilityTags: string[];
  /** Page size of REST list calls (OpenMRS caps it at webservices.rest.maxResultsAbsolute, 100 by default). */
  pageSize: number;
}

export const DEFAULT_REGISTRY_CODE_SYSTEM = `${NS}/identifier/registry-facility-code`;
/** The absolute cap of OpenMRS REST paging (GP webservices.rest.maxResultsAbsolute default). */
export const MAX_PAGE_SIZE = 100;

/** A setting the connector cannot work with: what, which setting, why. */
export class OpenMrsSettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OpenMrsSettingsError';
  }
}

const str = (v: unknown): string | undefined => (v === undefined || v === null || v === '' ? undefined : String(v));
const num = (v: unknown, fallback: number): number =>
  v !== '' && v !== undefined && v !== null && Number.isFinite(Number(v)) ? Number(v) : fallback;

/**
 * OpenMRS's REST AuthorizationFilter splits the decoded Basic pair on every `:` and keeps the first
 * two parts (openmrs/openmrs-module-webservices.rest omod-common .../web/filter/AuthorizationFilter.java),
 * so a password holding a colon is silently truncated and the call proceeds anonymously. Refusing it
 * here says why, instead of failing later as "not authenticated".
 */
export function colonProblem(username: string | undefined, password: string | undefined): string | undefined {
  if (username?.includes(':'))
    return "openmrs.username contains ':', which OpenMRS cannot accept in HTTP Basic (its REST filter splits the pair on every colon): use a user name without one";
  if (password?.includes(':'))
    return "openmrs.password contains ':', which OpenMRS cannot accept in HTTP Basic (its REST filter splits the pair on every colon and keeps only the text before the second one): change the integration user's password";
  return undefined;
}

/**
 * The identifier system registry codes are read and written under: a FHIR Identifier.system, so an
 * absolute URI (an http(s) URL or a URN). Checked here because refusals name it ("no identifier in
 * <system>"): anything else, a password pasted into it too, is refused before it can be quoted.
 */
function registryCodeSystem(v: unknown): string {
  const s = str(v) ?? DEFAULT_REGISTRY_CODE_SYSTEM;
  if (!/^(https?:\/\/[^\s/]+\S*|urn:[a-z0-9][a-z0-9-]*:\S+)$/i.test(s))
    throw new OpenMrsSettingsError(
      `openmrs.registryCodeSystem must be an identifier system URI (http(s)://… or urn:…), got ${shownValue(s, 'url')}`,
    );
  return s;
}

export function openmrsSettingsFrom(s: Record<string, unknown>): OpenMrsSettings {
  const baseUrl = str(s['openmrs.baseUrl']);
  if (!baseUrl)
    throw new OpenMrsSettingsError(
      'openmrs.baseUrl is not set: the OpenMRS connector needs the server URL (e.g. https://emr.example.org/openmrs)',
    );
  const username = str(s['openmrs.username']);
  const password = str(s['openmrs.password']);
  const problem = colonProblem(username, password);
  if (problem) throw new OpenMrsSettingsError(problem);
  const tags = str(s['openmrs.facilityTags']) ?? 'Facility Location,Login Location';
  return {
    baseUrl: baseUrl.replace(/\/+$/, ''),
    username,
    password,
    timeoutMs: num(s['openmrs.timeoutMs'], 20_000),
    concurrency: Math.max(1, num(s['openmrs.concurrency'], 4)),
    registryCodeAttributeType: str(s['openmrs.registryCodeAttributeType']) ?? 'Master Facility Code',
    registryCodeSystem: registryCodeSystem(s['openmrs.registryCodeSystem']),
    facilityTags: tags
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean),
    pageSize: Math.min(MAX_PAGE_SIZE, Math.max(1, num(s['openmrs.pageSize'], MAX_PAGE_SIZE))),
  };
}
