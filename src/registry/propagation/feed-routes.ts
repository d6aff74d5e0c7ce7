import type { FastifyPluginAsync } from 'fastify';
import { adminErrorAnswer } from '../../admin/error-answer.js';
import { InvalidInputError, MediatorError, type Issue } from '../../domain/errors.js';
import { contentVersion } from '../../domain/ids.js';
import { operationOutcome } from '../../fhir/outcome.js';
import { validateResource } from '../../fhir/validation/index.js';
import type { Settings } from '../../config/settings.js';
import type { Store } from '../../store/types.js';
import { facilityOf } from '../mfr/record.js';
import type { RegistryClient, RegistryRecord } from '../mfr/types.js';
import { eachLimited } from '../../platform/each-limited.js';
import { registryCodeSystem, type IntakeCounts, type Propagator } from './propagator.js';
import { orderedPush } from './unstamped-push.js';
import { refuseFutureStamp, refuseReusedVersion, staleConflict } from './stamped-push.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- FHIR JSON, validated before use
type Json = Record<string, any>;

export interface FeedRoutesOptions {
  propagator: Propagator;
  settings: () => Settings;
  store: Store;
  /** The registry client of the current settings: what a push without meta.lastUpdated is checked against. */
  registry: () => RegistryClient | undefined;
  now?: () => Date;
}

/**
 * Push in: the registry (or an operator) sends its Locations instead of waiting for the pull, as
 * an mCSD Care Services Feed (ITI-130): `PUT /registry/Location/:id`, `DELETE
 * /registry/Location/:id`, or a batch/transaction Bundle to `POST /registry`. Each Location is an
 * R4 mCSD Location with the registry's own id; it enters the same propagation as a pulled change
 * (its version: meta.versionId, else a hash of its content, so a resend changes nothing). One
 * without meta.lastUpdated, and every DELETE, is taken only where its place in the registry's time
 * is sure (unstamped-push.ts). One with meta.lastUpdated is refused when that is far ahead of this
 * mediator's clock, and is a conflict when older than the version kept (stamped-push.ts). Every
 * entry of a Bundle is checked before any is taken: one bad entry takes none; only in a batch is an
 * entry older than the version kept left out while the others are taken (a transaction is all or
 * nothing, as FHIR's is). Authenticated as the FHIR API is (the inbound credentials OpenHIM sends),
 * since a registry reaches it the same way.
 */
export const registryFeedRoutes: FastifyPluginAsync<FeedRoutesOptions> = async (app, opts) => {
  const now = opts.now ?? (() => new Date());
  // the FHIR surface may have taught the server FHIR JSON already (its parser is shared)
  if (!app.hasContentTypeParser('application/fhir+json'))
    app.addContentTypeParser('application/fhir+json', { parseAs: 'string' }, (_req, body, done) => {
      try {
        done(null, JSON.parse(String(body)));
      } catch {
        done(new InvalidInputError('The body is not valid JSON', '$this'), undefined);
      }
    });
  app.setErrorHandler(adminErrorAnswer);

  const toRecord = (location: Json): RegistryRecord => ({
    id: String(location.id),
    version: String(location.meta?.versionId ?? contentVersion({ ...location, meta: undefined })),
    ...(typeof location.meta?.lastUpdated === 'string'
      ? { lastUpdated: location.meta.lastUpdated }
      : { lastUpdated: now().toISOString(), unstamped: true }),
    facility: facilityOf(location, registryCodeSystem(opts.settings())),
  });
  const deletion = (id: string): RegistryRecord => ({
    id,
    version: `deleted@${now().toISOString()}`,
    lastUpdated: now().toISOString(),
    unstamped: true,
  });
  /**
   * Each record placed in time (or refused) before any is taken; those that change nothing
   * dropped. A stamp too far ahead refuses the whole request; one older than the version kept is a
   * conflict: the request's refusal (409), except in a batch, whose other entries are taken and
   * whose answer names it.
   */
  const take = async (records: { record: RegistryRecord; at: string }[], batch = false): Promise<Taken> => {
    const skewMs = pushClockSkewMs(opts.settings());
    for (const { record, at } of records) if (!record.unstamped) refuseFutureStamp(record, at, now(), skewMs);
    const placed: (RegistryRecord | undefined)[] = [];
    const conflicts: (Issue | undefined)[] = [];
    await eachLimited(
      records.map((r, i) => ({ ...r, i })),
      CHECK_CONCURRENCY,
      async ({ record, at, i }) => {
        if (record.unstamped) {
          placed[i] = await orderedPush(record, at, opts);
          return;
        }
        const kept = await opts.store.getRegistryRecord(record.id);
        refuseReusedVersion(record, at, kept);
        if (!(conflicts[i] = staleConflict(record, at, kept))) placed[i] = record;
      },
    );
    const stale = conflicts.filter((c): c is Issue => !!c);
    if (stale.length && !batch) throw new MediatorError(409, stale);
    const taken = placed.filter((r): r is RegistryRecord => !!r);
    const counts = taken.length ? await opts.propagator.intake(taken) : NOTHING;
    // what is neither a new version nor refused as older is what the mediator already has
    return { counts, stale, unchanged: records.length - stale.length - counts.changed };
  };
  const answer = ({ counts, stale, unchanged }: Taken) =>
    operationOutcome([
      {
        severity: 'information',
        code: 'informational',
        diagnostics: `${counts.changed} change(s) taken: ${counts.queued} queued, ${counts.held} held, ${counts.skipped} with nothing to do (see /admin/propagation)${unchanged ? `; ${unchanged} Location(s) already as kept (the same version, or a DELETE of one closed or never seen), nothing to do` : ''}${stale.length ? `; ${stale.length} entr${stale.length === 1 ? 'y' : 'ies'} not taken, older than the version kept` : ''}`,
      },
      ...stale.map((issue) => ({ ...issue, severity: 'warning' as const })),
    ]);

  app.put('/registry/Location/:id', async (req) => {
    const { id } = req.params as { id: string };
    const location = checkedLocation(req.body, 'Location');
    if (location.id !== id)
      throw new InvalidInputError(
        `Location.id (${location.id ?? 'absent'}) must equal the URL's id (${id})`,
        'Location.id',
      );
    return answer(await take([{ record: toRecord(location), at: 'Location' }]));
  });

  app.delete('/registry/Location/:id', async (req) =>
    answer(await take([{ record: deletion((req.params as { id: string }).id), at: 'Location' }])),
  );

  app.post('/registry', async (req) => {
    const bundle = req.body as Json;
    if (bundle?.resourceType !== 'Bundle' || !['batch', 'transaction'].includes(bundle.type))
      throw new InvalidInputError('POST /registry takes a batch or transaction Bundle of Locations', 'Bundle.type');
    const entries: Json[] = Array.isArray(bundle.entry) ? bundle.entry : [];
    const records = entries.map((entry, i) => entryRecord(entry, i));
    refuseRepeatedIds(records);
    return answer(
      await take(
        records.map((r, i) => ({
          record: r.location ? toRecord(r.location) : deletion(r.id),
          at: r.location ? `Bundle.entry[${i}].resource` : `Bundle.entry[${i}]`,
        })),
        bundle.type === 'batch',
      ),
    );
  });
};

/** Registry reads at once while a Bundle's pushes without meta.lastUpdated are checked. */
const CHECK_CONCURRENCY = 4;
/** registry.pushClockSkewMs's default: 5 min, a clock set by hand or an NTP step, not a wrong date. */
const DEFAULT_PUSH_CLOCK_SKEW_MS = 300_000;
const NOTHING: IntakeCounts = { read: 0, changed: 0, queued: 0, held: 0, skipped: 0, refused: 0 };

/** What a push took, and the entries of a batch not taken because a newer version is kept. */
interface Taken {
  counts: IntakeCounts;
  stale: Issue[];
  /** Locations pushed that the mediator already holds as they are: nothing to do. */
  unchanged: number;
}

/** How far ahead of this mediator's clock a pushed meta.lastUpdated may be (registry.pushClockSkewMs). */
function pushClockSkewMs(settings: Settings): number {
  const v = settings['registry.pushClockSkewMs'];
  return typeof v === 'number' && v >= 0 ? v : DEFAULT_PUSH_CLOCK_SKEW_MS;
}

/** A valid R4 Location with an id, or a 400 naming every problem (what, where, why). */
function checkedLocation(body: unknown, at: string): Json {
  const issues = validateResource('r4', body, 'Location');
  const location = body as Json;
  if (issues.length === 0 && !location.id)
    issues.push({
      code: 'required',
      diagnostics: "a registry Location carries the registry's own id",
      expression: ['id'],
    });
  if (issues.length)
    throw new MediatorError(
      400,
      issues.map((i) => prefixed(i, at)),
    );
  return location;
}

function prefixed(issue: Issue, at: string): Issue {
  const expression = issue.expression?.map((e) =>
    e.startsWith('Location') ? `${at}${e.slice('Location'.length)}` : `${at}.${e}`,
  );
  return { ...issue, severity: 'error', ...(expression ? { expression } : {}) };
}

function entryRecord(entry: Json, i: number): { id: string; location?: Json } {
  const at = `Bundle.entry[${i}]`;
  const method = entry?.request?.method;
  if (method === 'DELETE') {
    const id = /^Location\/([^/?#]+)$/.exec(String(entry.request.url ?? ''))?.[1];
    if (!id) throw new InvalidInputError('a DELETE entry names Location/[id] in request.url', `${at}.request.url`);
    return { id };
  }
  if (method !== undefined && method !== 'PUT' && method !== 'POST')
    throw new InvalidInputError(`request.method ${method} is not a create, update or delete`, `${at}.request.method`);
  const location = checkedLocation(entry?.resource, `${at}.resource`);
  // as FHIR's update: the URL and the resource name one Location, or which one changes is a guess
  const url = entry?.request?.url;
  if (method === 'PUT' && url !== undefined && String(url) !== `Location/${String(location.id)}`)
    throw new InvalidInputError(
      `request.url (${String(url)}) must be Location/${String(location.id)}, the id of the Location it carries`,
      `${at}.request.url`,
    );
  return { id: String(location.id), location };
}

/**
 * One Location twice in a Bundle is refused (what FHIR says of a transaction that changes one
 * resource twice): which of the two the systems end with would depend on the entries' order.
 */
function refuseRepeatedIds(records: { id: string }[]): void {
  const first = new Map<string, number>();
  records.forEach(({ id }, i) => {
    const earlier = first.get(id);
    if (earlier !== undefined)
      throw new InvalidInputError(
        `Location/${id} is already changed by Bundle.entry[${earlier}]; send one change per Location`,
        `Bundle.entry[${i}]`,
      );
    first.set(id, i);
  });
}
