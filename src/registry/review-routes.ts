import type { FastifyBaseLogger, FastifyPluginAsync, FastifyRequest } from 'fastify';
import { adminErrorAnswer } from '../admin/error-answer.js';
import type { Facility } from '../domain/facility.js';
import { ConflictError, InvalidInputError, MediatorError, NotFoundError } from '../domain/errors.js';
import { describeError } from '../outbox/errors.js';
import type { Store } from '../store/types.js';
import type { CrosswalkStateCount } from '../store/crosswalk-query.js';
import { crosswalkToCsv, crosswalkToLocationBundle } from './crosswalk.js';
import { holdsRegistryId, isGoneFromList, isHumanDecision, type CrosswalkRow } from './crosswalk-types.js';
import { applyReview, type ReviewOperation } from './review.js';
import { oneReviewAtATime } from './review-lock.js';
import { assertOpenInRegistry } from './closed-link.js';
import { decodeRow, StoreCrosswalkRepository } from './store-crosswalk.js';
import { bearerCheck, type AdminToken } from '../platform/admin-auth.js';
import { offsetSchema } from '../admin/offset-schema.js';
import { assertShownInstant, sameInstant } from './shown-instant.js';
import { knownBodyOnly, knownFieldsOnly, knownQueryOnly } from '../admin/known-query.js';
import { actorHeader, checkedActor } from '../admin/actor-name.js';

export interface ReviewRoutesOptions {
  store: Store;
  /** Static bearer token for `Authorization: Bearer <token>`; registering without one throws. */
  adminToken: AdminToken;
  /** The registry list, for names in the review queue and for the mCSD export (ids only without it). */
  registry?: () => Promise<Facility[]>;
  /** Base of the per-system identifier namespaces in the mCSD export. */
  identifierBase?: string;
  now?: () => Date;
  /**
   * Called after each decision on a system's record: registry changes held for that system until
   * a person decided are planned again (src/registry/propagation). A failure there is logged, not
   * the decision's: the decision is recorded and the next propagation run tries again.
   */
  onDecision?: (system: string) => Promise<unknown>;
  /**
   * The systems whose facilities this mediator reconciles (a queue may exist for each, empty or
   * not). A system neither named here nor with a stored crosswalk (`reconcile --store` keeps one
   * under any name) is a 404 naming these, not an empty queue: a typo must not read as "no work".
   */
  systems?: () => string[];
}

type Op = 'accept' | 'reject' | 'no-match' | 'flag' | 'break' | 'ignore';
const OPS: Op[] = ['accept', 'reject', 'no-match', 'flag', 'break', 'ignore'];

interface ReviewBody {
  registryId?: string;
  comment?: string;
  actor?: string;
  /** The row's decidedAt as the caller was shown it ('' for none): a row changed since is not decided on. */
  seenDecidedAt?: string;
  /** An accept of a registry facility the registry has closed, meant as such (assertOpenInRegistry). */
  linkClosed?: boolean;
}

/**
 * The operation a body asks for. A registryId is trimmed, as the actor and the comment are: no
 * registry id has spaces around it (a list's cells are trimmed when read, a FHIR id has none), so
 * " R4 " (a value pasted from a spreadsheet) means R4 and was refused as a registry id unknown.
 */
function operationOf(op: Op, body: ReviewBody): ReviewOperation {
  const registryId = body.registryId?.trim() || undefined;
  switch (op) {
    case 'accept':
      if (!registryId) throw new InvalidInputError('accept needs the registryId to link', 'registryId');
      return { op, registryId };
    case 'reject':
      return { op, registryId };
    case 'flag':
      if (!body.comment?.trim()) throw new InvalidInputError('flag needs a comment saying what to check', 'comment');
      return { op, comment: body.comment.trim() };
    default:
      return { op };
  }
}

/**
 * The console session deciding: the `X-Console-Session` header the console sends (its session's
 * tag, admin/ui/session.ts decisionTag), kept on the decision (v67) so the console tells its own
 * double click from a colleague signed in under the same name. Absent through the API alone.
 */
function consoleSessionOf(request: FastifyRequest): string | undefined {
  const given = request.headers['x-console-session'];
  if (given === undefined) return undefined;
  if (typeof given !== 'string' || !/^[0-9a-f]{32}$/.test(given))
    throw new InvalidInputError(
      'X-Console-Session must be 32 lowercase hex digits (a console session tag)',
      'X-Console-Session',
    );
  return given;
}

/** The reviewer: the `X-Actor` header, else the body's `actor`; required, and never 'auto'. */
function actorOf(request: FastifyRequest, body: ReviewBody): string {
  const actor = actorHeader(request.headers['x-actor']) || body.actor?.trim();
  if (!actor) throw new InvalidInputError('say who decides: X-Actor header or body "actor"', 'actor');
  return checkedActor(actor, 'actor');
}

/**
 * One registry record links at most one record of a system: accepting a second needs a break
 * first. A flagged row that still carries its pick holds it too (the flag questions the link, it
 * does not release it).
 */
export async function assertFree(repo: StoreCrosswalkRepository, row: CrosswalkRow, registryId: string): Promise<void> {
  const holders = (await repo.listByRegistryId(registryId)).filter(
    (r) => r.system === row.system && r.systemId !== row.systemId && holdsRegistryId(r.state),
  );
  if (holders.length > 0) {
    throw new ConflictError(
      `registry record ${registryId} is already linked to ${row.system}/${holders[0].systemId}; break that match first`,
    );
  }
}

/**
 * What an accept links must be a registry facility: one of the record's candidates, one the
 * registry pull has kept, or one the registry list names (registry-facilities.ts). A typo would otherwise
 * link the record to nothing, and that "link" would hold its place against every later run.
 */
async function assertKnownRegistryId(
  row: CrosswalkRow,
  registryId: string,
  op: 'accept' | 'reject',
  known: { registry?: () => Promise<Facility[]>; store: Store },
): Promise<void> {
  const kept = (await known.store.getRegistryRecord(registryId))?.record as { facility?: Facility } | undefined;
  // a candidate the registry dropped is no facility to link, but rejecting it is the right answer
  if (row.suggestions.some((s) => s.registryId === registryId))
    return op === 'accept' ? assertStillInRegistry(row, registryId, known, kept) : undefined;
  // the pull keeps every registry Location, its jurisdictions too: a district is no facility to link
  if (kept?.facility?.kind === 'area')
    throw new InvalidInputError(
      `registryId ${JSON.stringify(registryId)} is a registry jurisdiction (${kept.facility.name}), not a facility: link ${row.system}/${row.systemId} to a facility`,
      'registryId',
    );
  if (kept) return;
  const purpose = `to check registryId ${JSON.stringify(registryId)}, which is no candidate of the run`;
  const listed = known.registry ? await registryRead(known.registry, purpose, 'nothing was decided') : [];
  if (listed.some((f) => f.id === registryId)) return;
  throw new InvalidInputError(
    `registryId ${JSON.stringify(registryId)} is neither a candidate of ${row.system}/${row.systemId} nor a facility the registry lists`,
    'registryId',
  );
}

/**
 * The registry's list, read to check an id that is no candidate or to name the export's
 * facilities. A registry that cannot be read (its server down, its `registry.file` refused for its
 * own cells) is no fault of the request: that file's 400 answered a data manager's accept as if
 * the accept were malformed. 503, naming what could not be read and why, and what was not done.
 */
async function registryRead(read: () => Promise<Facility[]>, purpose: string, outcome: string): Promise<Facility[]> {
  try {
    return await read();
  } catch (err) {
    // the registry server's own failure (502, 504) says already what the registry did
    if (err instanceof MediatorError && err.status >= 500) throw err;
    throw new MediatorError(503, {
      code: 'transient',
      diagnostics: `the registry could not be read ${purpose}: ${describeError(err)}; ${outcome} (try again once registry.url or registry.file can be read)`,
    });
  }
}

/**
 * Who last wrote a row, in a data manager's words: a reconcile run re-scoring it was told as
 * "by auto", the store's name for the matcher, which names no one a person could ask.
 */
function changedBy(row: CrosswalkRow): string {
  if (!row.decidedBy) return 'nobody';
  return isHumanDecision(row) ? row.decidedBy : 'a reconcile run (re-scored)';
}

/**
 * An accept or a flag of a record its system no longer lists (a reconcile run retired the row) is
 * refused: the link would point at nothing, hold its registry facility against every other record,
 * and the registry changes planned over it would be written to a record that is not there (a
 * script deciding from an old review.csv, a page shown before the run). Taking a link back, a
 * no-match or an ignore of it stays allowed: they link nothing.
 */
function assertStillListed(row: CrosswalkRow, op: Op): void {
  if ((op === 'accept' || op === 'flag') && isGoneFromList(row))
    throw new ConflictError(
      `${row.system}/${row.systemId} is no longer in ${row.system}'s facility list (the reconcile run at ${row.decidedAt} retired it): there is no record to ${op === 'accept' ? 'link' : 'check'}; nothing was decided`,
    );
}

/**
 * A candidate the registry has since dropped (a facility removed from `registry.file`, the run
 * that proposed it older than the removal) is no facility to link: the link would hold a registry
 * id nothing names, and the console showed the suggestion as a bare id. Refused (409) when the
 * registry list reads and lacks it and the registry pull keeps no record of it; a registry that
 * cannot be read, or lists nothing (none configured), does not stop a review: taken as before.
 */
async function assertStillInRegistry(
  row: CrosswalkRow,
  registryId: string,
  known: { registry?: () => Promise<Facility[]> },
  kept: unknown,
): Promise<void> {
  if (kept || !known.registry) return;
  const listed = await known.registry().catch(() => undefined);
  if (!listed?.length || listed.some((f) => f.id === registryId)) return;
  throw new ConflictError(
    `registry facility ${registryId}, a candidate of ${row.system}/${row.systemId}, is no longer in the registry's list: link another or wait for the next reconcile run; nothing was decided`,
  );
}

const systemParams = {
  type: 'object',
  required: ['system'],
  properties: { system: { type: 'string', minLength: 1, maxLength: 200 } },
} as const;
const recordParams = {
  type: 'object',
  required: ['system', 'systemId'],
  properties: {
    system: { type: 'string', minLength: 1, maxLength: 200 },
    systemId: { type: 'string', minLength: 1, maxLength: 500 },
  },
} as const;
const reviewBody = {
  type: ['object', 'null'],
  properties: {
    registryId: { type: 'string', minLength: 1, maxLength: 500 },
    comment: { type: 'string', maxLength: 2000 },
    actor: { type: 'string', maxLength: 200 },
    seenDecidedAt: { type: 'string', maxLength: 100 },
    linkClosed: { type: 'boolean' },
  },
  additionalProperties: false,
} as const;

interface QueueParams {
  state?: 'review' | 'flagged' | 'matched';
  band?: 'high' | 'medium' | 'low';
  systemIds?: string[];
  at?: string;
  limit: number;
  offset: number;
}

const queueQuery = {
  type: 'object',
  properties: {
    state: { type: 'string', enum: ['review', 'flagged', 'matched'] },
    band: { type: 'string', enum: ['high', 'medium', 'low'] },
    at: { type: 'string', minLength: 1, maxLength: 500 },
    limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
    offset: offsetSchema,
  },
  additionalProperties: false,
} as const;
/** The most crosswalk rows one GET …/crosswalk answers, and how many when no limit is given. */
export const CROSSWALK_PAGE = 1000;

const crosswalkQuery = {
  type: 'object',
  properties: {
    at: { type: 'string', minLength: 1, maxLength: 500 },
    limit: { type: 'integer', minimum: 1, maximum: CROSSWALK_PAGE, default: CROSSWALK_PAGE },
    offset: offsetSchema,
  },
  additionalProperties: false,
} as const;
const systemIds = {
  type: 'array',
  maxItems: 100_000,
  items: { type: 'string', minLength: 1, maxLength: 500 },
} as const;

/** Of the records that needed a person (decided by one, or waiting), how many are done. */
function progressOf(states: CrosswalkStateCount[]) {
  const sum = (keep: (c: CrosswalkStateCount) => boolean) => states.filter(keep).reduce((n, c) => n + c.count, 0);
  const isWaiting = (c: CrosswalkStateCount) => c.state === 'review' || c.state === 'flagged';
  const waiting = sum(isWaiting);
  const decided = sum((c) => !c.auto && !isWaiting(c));
  const auto = sum((c) => c.auto && c.state === 'auto-match');
  return { waiting, decided, total: waiting + decided, auto };
}

/**
 * Review API for the crosswalk (register under a prefix, e.g. `{ prefix: '/admin' }`):
 *   GET  /reconcile/:system/review           queue (review + flagged) with ranked suggestions and reasons;
 *        ?state=review|flagged|matched&band=high|medium|low&at=<id>&limit&offset, filtered and paged in the store
 *   POST /reconcile/:system/review/_search   the same, with `systemIds` (only those records) in the body
 *   GET  /reconcile/:system/crosswalk        the system's rows by systemId, paged (?at&limit&offset)
 *   GET  /reconcile/:system/export.csv|json  crosswalk CSV / mCSD Location Bundle
 *   POST /reconcile/:system/:systemId/{accept,reject,no-match,flag,break,ignore}
 * Each decision is written with its audit entry in one transaction. Errors are OperationOutcomes:
 * 400 bad input, 401 no/wrong token, 404 unknown record or system, 409 a transition the state forbids.
 */
export const reviewRoutes: FastifyPluginAsync<ReviewRoutesOptions> = async (app, opts) => {
  if (!opts.adminToken) throw new Error('reviewRoutes needs an adminToken');
  const repo = new StoreCrosswalkRepository(opts.store);
  const now = opts.now ?? (() => new Date());
  app.addHook('preHandler', bearerCheck(opts.adminToken));
  app.setErrorHandler(adminErrorAnswer);

  /**
   * The queue's names. The registry server down must not stop a review: the suggestions are shown
   * by id (logged). The export and an accept's check need the list itself and fail instead.
   */
  const registryNames = async (log: FastifyBaseLogger): Promise<Map<string, string>> => {
    try {
      return new Map((opts.registry ? await opts.registry() : []).map((f) => [f.id ?? '', f.name]));
    } catch (err) {
      log.warn({ err: describeError(err) }, 'review: the registry list could not be read; suggestions shown by id');
      return new Map();
    }
  };

  /**
   * 404 for a system nobody configured and of which nothing is stored (`stored`: whether the
   * store holds crosswalk rows of it, from the query the route makes anyway).
   */
  const assertKnownSystem = (system: string, stored: boolean) => {
    const configured = opts.systems?.() ?? [];
    if (stored || configured.includes(system)) return;
    throw new MediatorError(404, {
      code: 'not-found',
      diagnostics: `no system '${system}' to reconcile: ${configured.length ? `configured: ${configured.join(', ')}` : 'none is configured'}; no crosswalk is stored under that name (a list reconciled with \`reconcile --store\` is found under the name it was stored with)`,
      expression: ['system'],
    });
  };

  /**
   * One page of the queue, filtered in the store: waiting records (best first candidate first) or,
   * with state=matched, links already made (weakest first), a score band, only some records
   * (`systemIds`: the console's area), starting at a record (`at`). With the system's progress.
   */
  const queuePage = async (system: string, q: QueueParams, log: FastifyBaseLogger) => {
    const linked = q.state === 'matched';
    const [page, states, names] = await Promise.all([
      opts.store.queryCrosswalk(system, {
        view: linked ? 'linked' : 'waiting',
        state: q.state === 'review' || q.state === 'flagged' ? q.state : undefined,
        band: q.band,
        systemIds: q.systemIds,
        at: q.at,
        limit: q.limit,
        offset: q.offset,
      }),
      opts.store.countCrosswalkStates(system),
      registryNames(log),
    ]);
    assertKnownSystem(system, states.length > 0);
    const suggestionsOf = (r: CrosswalkRow) =>
      linked && r.registryId
        ? [{ rank: 1, registryId: r.registryId, score: r.score ?? 0, reasons: r.reasons }]
        : r.suggestions.map((s, i) => ({ rank: i + 1, ...s }));
    return {
      system,
      total: page.total,
      offset: page.offset,
      // the record after this page: `at=<next>` continues there, whatever was decided meanwhile
      next: page.next ?? null,
      progress: progressOf(states),
      items: page.rows.map((r) => ({
        systemId: r.systemId,
        state: r.state,
        comment: r.comment,
        decidedBy: r.decidedBy,
        decidedAt: r.decidedAt,
        suggestions: suggestionsOf(r).map((s) => ({ ...s, registryName: names.get(s.registryId) })),
      })),
    };
  };

  app.get(
    '/reconcile/:system/review',
    { schema: { params: systemParams, querystring: queueQuery }, preValidation: knownQueryOnly(queueQuery.properties) },
    async (req) => queuePage((req.params as { system: string }).system, req.query as QueueParams, req.log),
  );

  // the same with `systemIds` (a list too long for a URL: every record of an area), FHIR's POST _search style
  app.post(
    '/reconcile/:system/review/_search',
    {
      schema: { params: systemParams, body: { ...queueQuery, properties: { ...queueQuery.properties, systemIds } } },
      preValidation: knownBodyOnly({ ...queueQuery.properties, systemIds }),
    },
    async (req) => queuePage((req.params as { system: string }).system, req.body as QueueParams, req.log),
  );

  /** A known system's stored crosswalk (404 for a system unknown: assertKnownSystem). */
  const crosswalkOf = async (system: string) => {
    const rows = await repo.listBySystem(system);
    assertKnownSystem(system, rows.length > 0);
    return rows;
  };

  /**
   * The stored crosswalk a page at a time, by systemId: a national list (10k+ facilities) came
   * back whole, however slow to read, send and parse. Paged as the queue is (limit, offset, at
   * and `next`); without them the first CROSSWALK_PAGE rows, `next` naming the record after.
   * The exports (export.csv, export.json) still give the whole crosswalk as a file.
   */
  app.get(
    '/reconcile/:system/crosswalk',
    {
      schema: { params: systemParams, querystring: crosswalkQuery },
      preValidation: knownQueryOnly(crosswalkQuery.properties),
    },
    async (req) => {
      const { system } = req.params as { system: string };
      const q = req.query as { limit: number; offset: number; at?: string };
      const page = await opts.store.queryCrosswalk(system, { view: 'all', ...q });
      assertKnownSystem(system, page.total > 0);
      return {
        system,
        total: page.total,
        offset: page.offset,
        next: page.next ?? null,
        rows: page.rows.map(decodeRow),
      };
    },
  );

  app.get('/reconcile/:system/export.csv', { schema: { params: systemParams } }, async (req, reply) => {
    const { system } = req.params as { system: string };
    return reply.type('text/csv; charset=utf-8').send(crosswalkToCsv(await crosswalkOf(system)));
  });

  app.get('/reconcile/:system/export.json', { schema: { params: systemParams } }, async (req, reply) => {
    const { system } = req.params as { system: string };
    const rows = await crosswalkOf(system);
    const registry = opts.registry
      ? await registryRead(opts.registry, 'to name the linked facilities', 'no export was made')
      : [];
    const bundle = crosswalkToLocationBundle(rows, registry, opts.identifierBase ?? 'urn:fhir-supply-mediator:system');
    return reply.type('application/fhir+json').send(bundle);
  });

  for (const op of OPS) {
    app.post(
      `/reconcile/:system/:systemId/${op}`,
      // a misspelt seenDecidedAt is a 400, not dropped: the decision would overrule unseen work
      {
        schema: { params: recordParams, body: reviewBody },
        preValidation: knownFieldsOnly(reviewBody.properties, 'decision'),
      },
      async (req) => {
        const { system, systemId } = req.params as { system: string; systemId: string };
        const body = (req.body ?? {}) as ReviewBody;
        const actor = actorOf(req, body);
        const operation = operationOf(op, body);
        assertShownInstant(body.seenDecidedAt, 'seenDecidedAt');
        const shown = await repo.get(system, systemId);
        if (!shown) throw new NotFoundError(`no crosswalk record ${system}/${systemId}`);
        // may ask the registry server: checked before the lock, which it would otherwise hold
        // a reject of a typo was recorded as rejected while the candidate meant stayed proposed
        if ((operation.op === 'accept' || operation.op === 'reject') && operation.registryId)
          await assertKnownRegistryId(shown, operation.registryId, operation.op, {
            registry: opts.registry,
            store: opts.store,
          });
        if (operation.op === 'accept' && operation.registryId)
          await assertOpenInRegistry(shown, operation.registryId, opts, body.linkClosed, 'link');
        const next = await oneReviewAtATime(opts.store, system, async () => {
          const row = await repo.get(system, systemId);
          if (!row) throw new NotFoundError(`no crosswalk record ${system}/${systemId}`);
          // a decision made on a stale view (a colleague decided, a run re-scored) would silently
          // overrule what the person never saw
          if (body.seenDecidedAt !== undefined && !sameInstant(body.seenDecidedAt, row.decidedAt))
            throw new ConflictError(
              `${system}/${systemId} changed since it was shown: now '${row.state}', by ${changedBy(row)} at ${row.decidedAt ?? 'no time'}; look at it again (nothing was decided)`,
            );
          assertStillListed(row, operation.op);
          if (operation.op === 'accept' && operation.registryId) await assertFree(repo, row, operation.registryId);
          const decision = applyReview(row, operation, {
            user: actor,
            at: now().toISOString(),
            session: consoleSessionOf(req),
          });
          await repo.put(decision, {
            actor,
            action: `review.${op}`,
            subject: `${system}/${systemId}`,
            details: {
              from: row.state,
              to: decision.state,
              registryId: decision.registryId ?? null,
              previousRegistryId: row.registryId ?? null,
              comment: decision.comment ?? null,
              ...(operation.op === 'accept' && body.linkClosed ? { linkClosed: true } : {}),
              before: row,
            },
          });
          return decision;
        });
        await opts
          .onDecision?.(system)
          .catch((err: unknown) =>
            req.log.warn({ err, system }, 'held registry changes not released after a review decision'),
          );
        return { row: next };
      },
    );
  }
};
