import type { Settings } from '../../config/settings.js';
import { basicAuth } from '../../upstream/auth/basic.js';
import { staticTokenAuth } from '../../upstream/auth/static-token.js';
import { anonymous, type AuthStrategy } from '../../upstream/auth/types.js';
import { createUpstreamClient } from '../../upstream/client.js';
import { asRecord, malformedAnswer } from '../../upstream/errors.js';
import type { Query } from '../../upstream/http.js';
import { AreaDirectory } from './area-paths.js';
import { instantBeforeDate, readBundle, type BundlePage } from './bundle.js';
import { REGISTRY, decodeRegistryError, makeRegistryError } from './errors.js';
import { heldSinceTracker, registryName, type MarkHeldReport } from './feed-held.js';
import { historyFeed, lastUpdatedFeed, readAllPages, type PageReader } from './feed.js';
import { historyEntryOf, recordOf } from './record.js';
import { registrySettingsFrom, type RegistrySettings } from './settings.js';
import type { RegistryClient, RegistryPage, RegistryRecord } from './types.js';

/**
 * The master facility registry client: an mCSD directory (FHIR R4 Location) read through the
 * shared transport (upstream/client.ts: pool, deadline, retries of GETs, decoded errors). Changes
 * come from the mCSD Update Option (`Location/_history?_since=`) where the directory has it, else
 * from `_lastUpdated` searches (feed.ts); the full list from a plain search followed page by page.
 */
export interface RegistryClientOptions {
  retries?: number;
  retryDelayMs?: number;
  /** Told when a pull keeps the change feed's mark where it was (feed-held.ts: logged and counted). */
  onMarkHeld?: (held: MarkHeldReport) => void;
}

/** Statuses with which a server says it has no type-level history (HAPI 405, others 404 or 501). */
const NO_HISTORY = [404, 405, 501];
/** A read's answers for a Location the registry does not hold (never did, deleted it, unpublished it). */
const GONE = [404, 410];
/** Parent ids per search when fetching jurisdictions a page refers to. */
const ID_BATCH = 50;
/** Full reads tried before giving up when the list keeps changing under the read. */
const FULL_READ_ATTEMPTS = 3;

/** Bearer token when configured, else Basic when a user is, else none (an open directory). */
export function registryAuth(settings: () => RegistrySettings): AuthStrategy {
  const token = staticTokenAuth({ token: () => settings().token, scheme: 'Bearer' });
  const basic = basicAuth(
    () => ({ username: settings().username, password: settings().password }),
    'registry.username is set without registry.password',
  );
  return {
    authorize: (ctx, kind) => {
      const s = settings();
      if (s.token) return token.authorize(ctx, kind);
      if (s.username) return basic.authorize(ctx, kind);
      return anonymous.authorize(ctx, kind);
    },
    refused: () => false,
    reset: () => undefined,
  };
}

/** Does the CapabilityStatement list `history-type` for Location? undefined when it cannot tell. */
export function declaresLocationHistory(capability: unknown): boolean | undefined {
  const cs = asRecord(capability);
  if (cs?.resourceType !== 'CapabilityStatement' || !Array.isArray(cs.rest)) return undefined;
  const location = cs.rest
    .flatMap((r) => (Array.isArray(asRecord(r)?.resource) ? (asRecord(r)!.resource as unknown[]) : []))
    .map(asRecord)
    .find((r) => r?.type === 'Location');
  if (!location) return false;
  const interactions = Array.isArray(location.interaction) ? location.interaction : [];
  return interactions.some((i) => asRecord(i)?.code === 'history-type');
}

export function createRegistryClient(
  settings: Settings,
  options: RegistryClientOptions = {},
): RegistryClient | undefined {
  const initial = registrySettingsFrom(settings);
  if (!initial) return undefined;
  let current: RegistrySettings = initial;
  const upstream = createUpstreamClient<RegistrySettings>({
    system: REGISTRY,
    settings: () => current,
    auth: registryAuth,
    decodeError: decodeRegistryError,
    makeError: makeRegistryError,
    retries: options.retries,
    retryDelayMs: options.retryDelayMs,
  });
  const areas = new AreaDirectory();
  /** Learnt once per configuration: does the directory serve Location/_history? */
  let hasHistory: boolean | undefined;

  const get = async (path: string, query?: Query, accept?: number[]) =>
    upstream.send<unknown>({
      method: 'GET',
      path,
      query,
      accept,
      // HAPI JPA answers a search asked again within a minute from its cache (the Locations of the
      // first search, in their current versions): a feed asking the same search from an unmoved
      // mark would miss one created since and move past it on a cached one changed later
      headers: { accept: 'application/fhir+json, application/json;q=0.9', 'cache-control': 'no-cache' },
    });
  const page = async (path: string, query?: Query): Promise<BundlePage> => {
    const res = await get(path, query);
    const bundle = readBundle(res.body, `GET ${path.split('?')[0]}`, current.baseUrl);
    return { ...bundle, at: bundle.at ?? instantBeforeDate(res.headers.date) };
  };

  const heldSince = heldSinceTracker();
  const reader: PageReader = {
    get: page,
    records: (p) => p.entries.map((e) => recordOf(e, current.identifierSystem)).filter((r) => !!r),
    historyEntries: (p) => p.entries.map((e) => historyEntryOf(e, current.identifierSystem)).filter((r) => !!r),
    get pageSize() {
      return current.pageSize;
    },
    markHeld: (held) =>
      options.onMarkHeld?.({ ...held, registry: registryName(current.baseUrl), heldSince: heldSince(held.mark) }),
  };

  /** Fetches the jurisdictions (and their parents) a batch refers to but no page has shown. */
  async function resolveAreas(records: RegistryRecord[]): Promise<void> {
    areas.learn(records);
    for (let round = 0; round < 20; round++) {
      const unknown = areas.unknownAncestors(records);
      if (!unknown.length) break;
      for (let i = 0; i < unknown.length; i += ID_BATCH) {
        const ids = unknown.slice(i, i + ID_BATCH);
        const pages = await readAllPages(reader, '/Location', { _id: ids.join(','), _count: current.pageSize });
        areas.learn(pages.flatMap((p) => reader.records(p)));
        areas.markMissing(ids);
      }
    }
    areas.annotate(records);
  }

  async function probeHistory(): Promise<boolean | undefined> {
    const res = await get('/metadata', undefined, NO_HISTORY);
    return res.status >= 200 && res.status < 300 ? declaresLocationHistory(res.body) : undefined;
  }

  /** The first history page, or undefined when the directory has no history (auto falls back). */
  async function firstHistoryPage(cursor: string | undefined): Promise<BundlePage | undefined> {
    const query = { _since: cursor, _count: current.pageSize };
    if (current.changeFeed === 'history') return page('/Location/_history', query);
    const res = await get('/Location/_history', query, NO_HISTORY);
    if (NO_HISTORY.includes(res.status)) return undefined;
    return readBundle(res.body, 'GET /Location/_history', current.baseUrl);
  }

  async function* changesSince(cursor: string | undefined): AsyncGenerator<RegistryPage> {
    let first: BundlePage | undefined;
    if (current.changeFeed !== 'lastUpdated') {
      if (current.changeFeed === 'auto' && hasHistory === undefined) hasHistory = (await probeHistory()) ?? true;
      if (current.changeFeed === 'history' || hasHistory) {
        first = await firstHistoryPage(cursor);
        if (!first) hasHistory = false;
      }
    }
    const batches = first ? historyFeed(reader, cursor, first) : lastUpdatedFeed(reader, cursor);
    for await (const batch of batches) {
      await resolveAreas(batch.records);
      yield { records: batch.records, cursor: batch.cursor };
    }
  }

  /** One full read; undefined when the list changed under it (Bundle.total moved or did not add up). */
  async function fullRead(): Promise<RegistryRecord[] | undefined> {
    const pages = await readAllPages(reader, '/Location', { _count: current.pageSize });
    const totals = new Set(pages.map((p) => p.total).filter((t) => t !== undefined));
    const byId = new Map<string, RegistryRecord>();
    for (const p of pages) for (const r of reader.records(p)) byId.set(r.id, r);
    const total = pages[0].total;
    if (totals.size > 1 || (total !== undefined && total !== byId.size)) return undefined;
    return [...byId.values()];
  }

  async function listAll(): Promise<RegistryRecord[]> {
    for (let attempt = 1; attempt <= FULL_READ_ATTEMPTS; attempt++) {
      const records = await fullRead();
      if (!records) continue;
      // the full list holds every jurisdiction: paths come from it alone, nothing is fetched
      areas.clear();
      areas.learn(records);
      areas.annotate(records);
      return records;
    }
    throw malformedAnswer(
      REGISTRY,
      `GET /Location: the list changed during each of ${FULL_READ_ATTEMPTS} full reads (Bundle.total moved between pages); absence from it cannot be trusted, try again later`,
      makeRegistryError,
      'transient',
    );
  }

  /** A read of one Location; 404 and 410 (never there, deleted, unpublished) are no Location. */
  async function currentVersion(id: string): Promise<RegistryRecord | undefined> {
    const res = await get(`/Location/${encodeURIComponent(id)}`, undefined, GONE);
    if (GONE.includes(res.status)) return undefined;
    const record = recordOf({ resource: res.body }, current.identifierSystem);
    if (!record || record.id !== id)
      throw malformedAnswer(REGISTRY, `GET /Location/${id} answered another resource`, makeRegistryError);
    await resolveAreas([record]);
    return record;
  }

  return {
    changesSince,
    listAll,
    current: currentVersion,
    async ping() {
      await upstream.call({ method: 'GET', path: '/Location', query: { _count: 1 }, retry: false });
    },
    reconfigure(next: Settings) {
      // parse first: a bad setting leaves the running configuration untouched
      const parsed = registrySettingsFrom(next);
      if (!parsed) throw new Error('registry.url was removed: restart to stop reading the registry');
      // called before every run by its users: what was learnt stays unless it may have changed
      if (JSON.stringify(parsed) === JSON.stringify(current)) return;
      const sameDirectory = parsed.baseUrl === current.baseUrl;
      if (!sameDirectory || parsed.changeFeed !== current.changeFeed) hasHistory = undefined;
      if (!sameDirectory || parsed.identifierSystem !== current.identifierSystem) areas.clear();
      current = parsed;
      upstream.reconfigure(parsed);
    },
    close: () => upstream.close(),
  };
}
