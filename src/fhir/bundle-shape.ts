import { MediatorError, type Issue } from '../domain/errors.js';
import type { Json } from './codecs/common.js';
import { preconditionIssue } from './preconditions.js';

/**
 * The shape of a batch or transaction Bundle, checked before any entry runs (the official schema
 * is not applied to Bundles, whose entries are validated one by one): `entry` is an array of
 * objects, each `fullUrl` an absolute URI used once (bdl-7), each request a method and a URL
 * (bdl-3) on this server. A malformed Bundle is one 400, never a 500 or an empty success.
 */
const ABSOLUTE_URI = /^[A-Za-z][A-Za-z0-9+.-]*:\S+$/;
const ID = '(?!\\.{1,2}(?:[/?]|$))[A-Za-z0-9\\-.]{1,64}';
/** What an entry may ask: [type], [type]/[id], [type]/[id]/_history/[vid], each with an optional query. */
const INTERACTION_URL = new RegExp(`^/?[A-Za-z]{1,64}(?:/${ID}(?:/_history/${ID})?)?(?:\\?.*)?$`);

/** A request URL relative to the base (an absolute one on our base loses it). */
function relativeTo(url: string, baseUrl: string | undefined): string {
  return baseUrl && url.startsWith(`${baseUrl}/`) ? url.slice(baseUrl.length + 1) : url;
}

function isObject(value: unknown): value is Json {
  return !!value && typeof value === 'object' && !Array.isArray(value);
}

function entryIssues(entry: unknown, i: number, seen: Map<string, number>, baseUrl: string | undefined): Issue[] {
  const at = `Bundle.entry[${i}]`;
  if (!entry || typeof entry !== 'object' || Array.isArray(entry)) {
    return [
      {
        code: 'structure',
        diagnostics: `${at} must be an object (with request, and resource for POST/PUT)`,
        expression: [at],
      },
    ];
  }
  const e = entry as Json;
  const issues: Issue[] = [];
  if (e.fullUrl !== undefined) {
    if (typeof e.fullUrl !== 'string' || !ABSOLUTE_URI.test(e.fullUrl)) {
      issues.push({
        code: 'value',
        diagnostics: `${at}.fullUrl must be an absolute URI (e.g. urn:uuid:…), got ${JSON.stringify(e.fullUrl).slice(0, 100)}`,
        expression: [`${at}.fullUrl`],
      });
    } else if (seen.has(e.fullUrl)) {
      issues.push({
        code: 'duplicate',
        diagnostics: `${at}.fullUrl '${e.fullUrl}' is also the fullUrl of Bundle.entry[${seen.get(e.fullUrl)}]; each entry needs its own (bdl-7)`,
        expression: [`${at}.fullUrl`],
      });
    } else {
      seen.set(e.fullUrl, i);
    }
  }
  if (e.resource !== undefined && (!e.resource || typeof e.resource !== 'object' || Array.isArray(e.resource))) {
    issues.push({
      code: 'structure',
      diagnostics: `${at}.resource must be a FHIR resource (a JSON object)`,
      expression: [`${at}.resource`],
    });
  }
  const request = e.request;
  if (request === undefined || (isObject(request) && (!request.method || !request.url))) {
    // bdl-3: every entry of a batch or transaction says what it asks; told of every entry at once
    issues.push({
      code: 'required',
      diagnostics: `${at}.request with method and url is required in a batch or transaction (bdl-3)`,
      expression: [`${at}.request`],
    });
  }
  if (request !== undefined && !isObject(request)) {
    issues.push({
      code: 'structure',
      diagnostics: `${at}.request must be an object with method and url`,
      expression: [`${at}.request`],
    });
  } else if (request) {
    if (request.method !== undefined && typeof request.method !== 'string')
      issues.push({
        code: 'structure',
        diagnostics: `${at}.request.method must be a string`,
        expression: [`${at}.request.method`],
      });
    for (const [key, header] of [
      ['ifMatch', 'If-Match'],
      ['ifNoneMatch', 'If-None-Match'],
    ] as const) {
      const issue = preconditionIssue(request[key], `${at}.request.${key}`, header);
      if (issue) issues.push(issue);
    }
    if (request.ifModifiedSince !== undefined && typeof request.ifModifiedSince !== 'string')
      issues.push({
        code: 'structure',
        diagnostics: `${at}.request.ifModifiedSince must be an instant (the lastModified a read answered)`,
        expression: [`${at}.request.ifModifiedSince`],
      });
    if (request.ifNoneExist !== undefined && typeof request.ifNoneExist !== 'string')
      issues.push({
        code: 'structure',
        diagnostics: `${at}.request.ifNoneExist must be a string (a search query: identifier=system|value)`,
        expression: [`${at}.request.ifNoneExist`],
      });
    if (request.url !== undefined && typeof request.url !== 'string')
      issues.push({
        code: 'structure',
        diagnostics: `${at}.request.url must be a string`,
        expression: [`${at}.request.url`],
      });
    else if (
      typeof request.url === 'string' &&
      /^[a-z][a-z0-9+.-]*:/i.test(request.url) &&
      !(baseUrl && request.url.startsWith(`${baseUrl}/`))
    ) {
      issues.push({
        code: 'value',
        diagnostics: `${at}.request.url '${request.url.slice(0, 200)}' is not on this server; use a URL relative to the base ([type]/[id])`,
        expression: [`${at}.request.url`],
      });
    } else if (typeof request.url === 'string' && !INTERACTION_URL.test(relativeTo(request.url, baseUrl))) {
      issues.push({
        code: 'value',
        diagnostics: `${at}.request.url '${request.url.slice(0, 200)}' is not [type], [type]/[id] or [type]?[query] (ids are [A-Za-z0-9-.]{1,64}, not '.' or '..')`,
        expression: [`${at}.request.url`],
      });
    }
  }
  return issues;
}

/** Throws one 400 listing every structural problem of the Bundle's entries. */
export function assertBundleShape(bundle: Json, baseUrl?: string): void {
  const issues = [...entryShapeIssues(bundle, baseUrl).values()].flat();
  if (issues.length) throw new MediatorError(400, issues);
}

/**
 * Each malformed entry's structural problems, by its index (a transaction names them with the
 * other entries' problems). An `entry` that is no array is a 400 of its own.
 */
export function entryShapeIssues(bundle: Json, baseUrl?: string): Map<number, Issue[]> {
  const found = new Map<number, Issue[]>();
  if (bundle.entry === undefined) return found;
  if (!Array.isArray(bundle.entry)) {
    throw new MediatorError(400, {
      code: 'structure',
      diagnostics: `Bundle.entry must be an array of entries, got ${typeof bundle.entry}`,
      expression: ['Bundle.entry'],
    });
  }
  const seen = new Map<string, number>();
  (bundle.entry as unknown[]).forEach((entry, i) => {
    const issues = entryIssues(entry, i, seen, baseUrl);
    if (issues.length) found.set(i, issues);
  });
  return found;
}
