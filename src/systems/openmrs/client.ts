import { isHtmlPage } from '../../upstream/answer-shape.js';
import { createUpstreamClient, type UpstreamClient, type UpstreamRequest } from '../../upstream/client.js';
import { sessionCookieAuth } from '../../upstream/auth/session-cookie.js';
import { malformedAnswer, asRecord } from '../../upstream/errors.js';
import { MAX_PAGES } from '../../upstream/paging.js';
import { OPENMRS, decodeOpenMrsError, junkAnswer, makeOpenMrsError } from './errors.js';
import type { OpenMrsSettings } from './settings.js';

/**
 * The OpenMRS client: the shared transport (upstream/client.ts) with OpenMRS's session login and
 * error shapes. Every call after the first rides on the JSESSIONID cookie got from
 * `GET /ws/rest/v1/session` with Basic credentials; the login only counts when that answer says
 * `authenticated: true`, because OpenMRS lets a wrong password through as an anonymous caller
 * (openmrs/openmrs-module-webservices.rest AuthorizationFilter.java). An expired session answers
 * 401 "Session timed out": one fresh login and the call is replayed (upstream/auth/session-cookie.ts).
 */
export const REST = '/ws/rest/v1';

export type OpenMrsRequest = UpstreamRequest;

export interface OpenMrsClient {
  send: UpstreamClient<OpenMrsSettings>['send'];
  call<T>(req: OpenMrsRequest): Promise<T>;
  /** Every result of a REST list, following `links[rel=next]` (limit ≤ 100). */
  all<T>(req: Omit<OpenMrsRequest, 'method'>): Promise<T[]>;
  settings(): OpenMrsSettings;
  /** Opens (or reuses) the session: throws the login error when OpenMRS does not authenticate us. */
  login(): Promise<void>;
  reconfigure(next: OpenMrsSettings): void;
  close(): Promise<void>;
}

export interface OpenMrsClientOptions {
  retries?: number;
  retryDelayMs?: number;
  /** The clock of the session login's holds (a refused login, a login a gateway paged); tests move it. */
  now?: () => number;
}

interface RestPage {
  results?: unknown[];
  links?: { rel?: string; uri?: string }[];
}

/**
 * The startIndex of the next page, from its link. Only the index is taken from the link: OpenMRS
 * writes links with the host it believes it has (GP webservices.rest.uriPrefix), which behind a
 * proxy is not the one we call, so the next request is our own with that index.
 */
export function nextStartIndex(page: RestPage): number | undefined {
  const next = page.links?.find((l) => l.rel === 'next')?.uri;
  if (!next) return undefined;
  const raw = new URL(next, 'http://relative.invalid').searchParams.get('startIndex');
  const n = raw === null ? NaN : Number(raw);
  return Number.isInteger(n) && n >= 0 ? n : NaN;
}

/**
 * The `results` of a REST list answer. A 2xx without them (a gateway's `{"message": …}`) is no
 * list: read as none, an inventory read showed no stock, and an adjustment or a near-expiry
 * count was refused for good as taking from a batch that "holds none". Transient instead.
 */
export function resultsOf<T>(body: unknown, path: string): T[] {
  const results = asRecord(body)?.results;
  if (!Array.isArray(results))
    throw malformedAnswer(OPENMRS, `GET ${path} answered without a results list`, makeOpenMrsError);
  return results as T[];
}

/**
 * A 2xx JSON that no OpenMRS REST call answers: every representation carries its `uuid`
 * (BaseDelegatingResource), every list its `results`, the session its `authenticated`. A gateway's
 * `{"message": "maintenance"}` has none. The callers' own checks (object-answer.ts, answered, the
 * results list) say why it is no answer; here it only tells that the session met a page.
 */
function jsonPage(body: unknown): boolean {
  const record = asRecord(body);
  if (!record) return false;
  return typeof record.uuid !== 'string' && !Array.isArray(record.results) && typeof record.authenticated !== 'boolean';
}

/**
 * The request with OpenMRS's answer check: a 2xx that is not OpenMRS's JSON is an error with its
 * status (errors.ts junkAnswer), thrown inside the client's retry loop so a read is read again. A
 * gateway in front of OpenMRS answers so, with 200, a session it no longer knows (its login form,
 * or its JSON "maintenance" page, which it serves to that cookie until the cookie expires): the
 * session the call went with is dropped, so the next attempt (the client's retry of a read, the
 * outbox's of a write, which looks first) logs in afresh instead of showing the same cookie until
 * it gives up. Only that session: calls that met the page together share one new login. The write
 * itself is not replayed here: whether it applied is unknown.
 */
function checkingJson(req: OpenMrsRequest, dropSession: (credential: string | undefined) => void): OpenMrsRequest {
  if (req.decodeAnswer) return req;
  return {
    ...req,
    decodeAnswer: (res, credential) => {
      const page = isHtmlPage(res.body, res.headers) || jsonPage(res.body);
      if (page && res.status >= 200 && res.status < 300) dropSession(credential);
      const junk = junkAnswer(res.status, res.body, req.method, req.path);
      if (junk) throw junk;
    },
  };
}

export function createOpenMrsClient(
  settings: () => OpenMrsSettings,
  options: OpenMrsClientOptions = {},
): OpenMrsClient {
  const upstream = createUpstreamClient<OpenMrsSettings>({
    system: OPENMRS,
    settings,
    auth: (current) =>
      sessionCookieAuth({
        credentials: () => ({ username: current().username, password: current().password }),
        sessionPath: `${REST}/session`,
        missing: 'no OpenMRS user configured (set openmrs.username and openmrs.password)',
        refused: (code) =>
          `login as '${current().username}' refused (${code}): OpenMRS did not authenticate the user, check openmrs.username and openmrs.password`,
        now: options.now,
      }),
    decodeError: decodeOpenMrsError,
    makeError: makeOpenMrsError,
    retries: options.retries,
    retryDelayMs: options.retryDelayMs,
  });

  const dropSession = (credential: string | undefined) => {
    if (credential) upstream.auth.refused(credential);
  };
  const send: OpenMrsClient['send'] = (req) => upstream.send(checkingJson(req, dropSession));
  const client: OpenMrsClient = {
    send,
    async call<T>(req: OpenMrsRequest): Promise<T> {
      return (await send<T>(req)).body;
    },
    async all<T>(req: Omit<OpenMrsRequest, 'method'>): Promise<T[]> {
      const limit = upstream.settings().pageSize;
      const out: T[] = [];
      let startIndex = 0;
      for (let page = 0; page < MAX_PAGES; page++) {
        const body = asRecord(
          await client.call<unknown>({ ...req, method: 'GET', query: { ...req.query, limit, startIndex } }),
        ) as RestPage | undefined;
        const results = resultsOf<T>(body, req.path);
        out.push(...results);
        const next = nextStartIndex(body!);
        if (next === undefined || results.length === 0) return out;
        if (Number.isNaN(next) || next <= startIndex)
          throw malformedAnswer(
            OPENMRS,
            `GET ${req.path} gave a next link that does not move forward (startIndex ${startIndex})`,
            makeOpenMrsError,
          );
        startIndex = next;
      }
      throw malformedAnswer(
        OPENMRS,
        `GET ${req.path} kept paging past ${MAX_PAGES} pages`,
        makeOpenMrsError,
        'too-costly',
      );
    },
    settings: upstream.settings,
    async login() {
      await upstream.auth.authorize(upstream.authContext());
    },
    reconfigure: (next) => upstream.reconfigure(next),
    close: () => upstream.close(),
  };
  return client;
}
