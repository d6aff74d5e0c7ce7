import {
  ChangedMeanwhileError,
  ChecksTooSlowError,
  MediatorError,
  MethodNotAllowedError,
  UpstreamError,
  isTransient,
  type Issue,
} from '../domain/errors.js';
import type { Part } from './adapters.js';
import type { Json } from './codecs/common.js';
import type { BundleEntries, WriteOutcome } from './services.js';
import type { EntryAnswer } from '../store/types.js';
import {
  changeBegun,
  changedMeanwhile,
  checkIfMatch,
  checkIfNoneMatch,
  conditionalMatch,
  create,
  createdId,
  createdLocks,
  exclusively,
  decodePart,
  inPlaceNow,
  alreadyDeleted,
  deleteAnswer,
  changedByOtherId,
  deletedResource,
  patchedResource,
  read,
  readCurrent,
  readToChange,
  requireRoute,
  writeLocks,
  sameGroup,
  serviceFor,
  staleIfMatch,
  update,
  updateOfDeleted,
  updateStatus,
  validationOptions,
  versionHeaders,
  vread,
  writeResult,
  type Current,
  type FhirContext,
  type FhirResult,
} from './interactions.js';
import { patchFromBinary } from './patch.js';
import { retriedWrite } from './applied-already.js';
import { operationOutcome, toMediatorError } from './outcome.js';
import { assertBundleShape, entryShapeIssues } from './bundle-shape.js';
import { EntryProblems } from './entry-problems.js';
import {
  assertDeliveryLinesAgree,
  assertDestinationFormsAgree,
  assertOneR5Delivery,
  deliveryOfLines,
  type DeliveryLineEntry,
} from './bundle-delivery-lines.js';
import type { Delivery } from '../domain/index.js';
import type { Identifier } from '../domain/identifiers.js';
import type { FhirVersion } from './versions.js';
import { assertNoEntryReference, entryReferences } from './bundle-references.js';
import { fhirPathTranslator, inPostedTerms, transactionTranslator } from './domain-paths.js';
import { parseQuery } from './query.js';
import { routeFor, type ResourceType } from './routes.js';
import { search } from './search.js';
import { validateResource } from './validation/index.js';
import { encodeWrittenOnce } from './written-encodings.js';

interface Entry {
  index: number;
  method: string;
  type: string;
  id?: string;
  /** GET [type]/[id]/_history/[vid]: a vread of that version. */
  vid?: string;
  query?: string;
  resource?: Json;
  ifMatch?: string;
  ifNoneMatch?: string;
  /** A GET entry's `request.ifModifiedSince` (an instant): with ifNoneMatch, a conditional read. */
  ifModifiedSince?: string;
  ifNoneExist?: string;
  /** Answered without a write: a DELETE of what is deleted already. */
  done?: FhirResult;
  /** A DELETE carried out as the PUT it amounts to: answered as a DELETE (deleteAnswer). */
  deleted?: boolean;
  /**
   * A PATCH or DELETE made the PUT it amounts to: the If-Match its client sent. `ifMatch` is then
   * the version it was made from, which its write must find.
   */
  sent?: { ifMatch?: string };
}

const STATUS_TEXT: Record<number, string> = {
  200: '200 OK',
  201: '201 Created',
  202: '202 Accepted',
  204: '204 No Content',
  301: '301 Moved Permanently',
  304: '304 Not Modified',
};

function parseEntry(raw: Json, index: number): Entry {
  const path = `Bundle.entry[${index}]`;
  const request = raw?.request;
  if (!request?.method || !request?.url) {
    throw new MediatorError(400, {
      code: 'required',
      diagnostics: `${path}.request with method and url is required in a batch or transaction (bdl-3)`,
      expression: [`${path}.request`],
    });
  }
  const method = String(request.method).toUpperCase();
  const [pathPart, query] = String(request.url)
    .replace(/^https?:\/\/[^/]+\/(fhir\/(R5\/)?)?/, '')
    .split('?');
  const [type, id, extra, vid] = pathPart.replace(/^\//, '').split('/');
  if (extra !== undefined && !(method === 'GET' && extra === '_history')) {
    throw new MediatorError(400, {
      code: 'not-supported',
      diagnostics: `${path}.request.url '${request.url}' is not an interaction we serve`,
      expression: [`${path}.request.url`],
    });
  }
  if (!['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].includes(method)) {
    throw new MethodNotAllowedError(
      `${path}.request.method ${method} is not supported`,
      ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
      [`${path}.request.method`],
    );
  }
  if ((method === 'POST' || method === 'PUT' || method === 'PATCH') && !raw.resource) {
    throw new MediatorError(400, {
      code: 'required',
      diagnostics: `${path}.resource is required for ${method}`,
      expression: [`${path}.resource`],
    });
  }
  if (['PUT', 'PATCH', 'DELETE'].includes(method) && !id) {
    throw new MediatorError(400, {
      code: 'not-supported',
      diagnostics: `${path}.request.url must be [type]/[id] for ${method} (conditional ${method} is not supported)`,
      expression: [`${path}.request.url`],
    });
  }
  return {
    index,
    method,
    type,
    id,
    vid: extra === '_history' ? vid : undefined,
    query,
    resource: raw.resource,
    ifMatch: request.ifMatch,
    ifNoneMatch: request.ifNoneMatch,
    ifModifiedSince: request.ifModifiedSince,
    ifNoneExist: request.ifNoneExist,
  };
}

/** Rewrites the expressions of a resource's issues to point into the Bundle entry. */
function inEntry(issues: Issue[], index: number, type: string): Issue[] {
  // plain string tests: the type may come from the client (a batch entry), so it is never a pattern
  const rebase = (e: string) =>
    e === type || e.startsWith(`${type}.`) || e.startsWith(`${type}[`)
      ? `Bundle.entry[${index}].resource${e.slice(type.length)}`
      : e;
  const entry = `Bundle.entry[${index}].resource`;
  const esc = type.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  // the words too: "SupplyRequest.quantity.value …", "Unknown element 'x' in SupplyRequest"
  const words = (d: string) =>
    d
      .replace(new RegExp(`(^|[^\\w.])${esc}(?=[.[])`, 'g'), `$1${entry}`)
      .replace(new RegExp(`( in )${esc}$`), `$1${entry}`);
  return issues.map((i) => {
    const expression = (i.expression ?? [type]).map(rebase);
    const rebased = expression.some((e) => e.startsWith(entry));
    return { ...i, expression, ...(rebased && i.diagnostics ? { diagnostics: words(i.diagnostics) } : {}) };
  });
}

export async function processBundle(ctx: FhirContext, body: unknown): Promise<FhirResult> {
  const bundle = body as Json;
  if (bundle?.resourceType !== 'Bundle') {
    throw new MediatorError(400, {
      code: 'invalid',
      diagnostics: `POST to the base needs a Bundle of type batch or transaction, got ${bundle?.resourceType ?? 'no resourceType'}`,
      expression: ['resourceType'],
    });
  }
  if (bundle.type !== 'batch' && bundle.type !== 'transaction') {
    throw new MediatorError(400, {
      code: 'invalid',
      diagnostics: `Bundle.type must be 'batch' or 'transaction', got '${bundle.type}'`,
      expression: ['Bundle.type'],
    });
  }
  if (bundle.type === 'batch') {
    assertBundleShape(bundle, ctx.baseUrl);
    return processBatch(ctx, bundle.entry ?? []);
  }
  return processTransaction(ctx, bundle.entry ?? [], entryShapeIssues(bundle, ctx.baseUrl));
}

async function runEntry(ctx: FhirContext, e: Entry): Promise<FhirResult> {
  if (e.method === 'GET') {
    // a version asked for is checked as GET of that URL checks it, never answered by the current one
    const conditions = { ifNoneMatch: e.ifNoneMatch, ifModifiedSince: e.ifModifiedSince };
    if (e.id && e.vid !== undefined) return vread(ctx, e.type, e.id, e.vid, conditions);
    if (e.id) return read(ctx, e.type, e.id, conditions);
    return search(ctx, e.type, parseQuery(e.query ?? ''));
  }
  if (e.method === 'POST') return create(ctx, e.type, e.resource, e.ifNoneExist);
  const put = await asPut(ctx, e);
  if (put.done) return put.done;
  const result = await update(ctx, put.type, put.id!, put.resource, put.ifMatch, put.ifNoneMatch);
  return put.deleted ? deleteAnswer(put.type, put.id!, result) : result;
}

/**
 * PATCH and DELETE entries become the PUT they amount to, against the resource as it is now: a
 * JSON Patch carried in a Binary (the Android FHIR SDK's bundle upload) applied to it; a facility
 * deactivated. Each is guarded by the version it was made from.
 */
async function asPut(ctx: FhirContext, e: Entry): Promise<Entry> {
  const where = `Bundle.entry[${e.index}].resource`;
  const at = { method: `Bundle.entry[${e.index}].request.method`, id: `Bundle.entry[${e.index}].request.url` };
  if (e.method === 'PATCH') {
    const [resource, ifMatch] = await patchedResource(
      ctx,
      e.type,
      e.id!,
      patchFromBinary(e.resource, where),
      e.ifMatch,
      where,
      at,
    ).catch(changedByOtherId(at.id));
    return { ...e, method: 'PUT', resource, ifMatch, sent: { ifMatch: e.ifMatch } };
  }
  if (e.method === 'DELETE') {
    const deleted = await deletedResource(ctx, e.type, e.id!, e.ifMatch, at)
      .catch(alreadyDeleted(e.type, e.id!))
      .catch(changedByOtherId(at.id));
    if ('status' in deleted) return { ...e, done: deleted };
    const [resource, ifMatch] = deleted;
    return { ...e, method: 'PUT', resource, ifMatch, deleted: true, sent: { ifMatch: e.ifMatch } };
  }
  return e;
}

function responseEntry(result: FhirResult): Json {
  return {
    ...(result.body && result.status < 300 && result.body.resourceType !== 'OperationOutcome'
      ? { resource: result.body }
      : {}),
    response: {
      status: STATUS_TEXT[result.status] ?? String(result.status),
      ...(result.headers?.Location ? { location: result.headers.Location } : {}),
      ...(result.headers?.ETag ? { etag: result.headers.ETag } : {}),
      ...(result.headers?.['Last-Modified']
        ? { lastModified: new Date(result.headers['Last-Modified']).toISOString() }
        : {}),
      ...(result.body?.resourceType === 'OperationOutcome' ? { outcome: result.body } : {}),
    },
  };
}

/** Batch: every entry on its own; a failed entry carries its OperationOutcome, the others go ahead. */
async function processBatch(ctx: FhirContext, raw: Json[]): Promise<FhirResult> {
  const out: Json[] = [];
  // through OpenHIM, several entries: each write records its entry in the Bundle's entry map
  const batch =
    ctx.transactionId && raw.length > 1 ? { transactionId: ctx.transactionId, count: raw.length } : undefined;
  const named = raw.map((r, i) => ({ index: i, fullUrl: r?.fullUrl, method: '', resource: r?.resource }));
  // one bound for the whole batch, not one per entry after another (N entries, N deadlines, past
  // OpenHIM's channel timeout): an entry reached once it is spent is answered as a single write
  // past it is (checks-deadline.ts: queued unchecked, or a 504 with nothing recorded)
  const begun = changeBegun(ctx);
  for (let i = 0; i < raw.length; i++) {
    const entryCtx = batch ? { ...begun, batchEntry: { ...batch, index: i } } : begun;
    try {
      assertNoEntryReference(named[i], named);
      out.push(responseEntry(await runBatchEntry(entryCtx, parseEntry(raw[i], i))));
    } catch (err) {
      const e = toMediatorError(err);
      // an entry's resource is named as it sits in the Bundle, as in a transaction
      const type =
        typeof raw[i]?.resource?.resourceType === 'string' ? String(raw[i].resource.resourceType) : undefined;
      out.push({
        response: { status: String(e.status), outcome: operationOutcome(type ? inEntry(e.issues, i, type) : e.issues) },
      });
    }
  }
  if (batch) await recordBatchAnswers(ctx, batch, out);
  return { status: 200, body: { resourceType: 'Bundle', type: 'batch-response', entry: out } };
}

/**
 * A batch's entry; a read (GET) within what is left of the batch's time (FhirServices.answered):
 * its writes are answered within their checks' bound plus the deadline from the batch's start
 * (checks-deadline.ts), and a read entry hanging on its system kept the whole batch's answer past
 * OpenHIM's channel timeout. Past it the entry alone is a 504 naming the system; it wrote nothing.
 */
function runBatchEntry(ctx: FhirContext, e: Entry): Promise<FhirResult> {
  const since = ctx.checksSince;
  if (e.method !== 'GET' || since === undefined || !ctx.services.answered) return runEntry(ctx, e);
  return ctx.services.answered(() => runEntry(ctx, e), since);
}

/**
 * The rest of a batch's entry map, once every entry is answered: each entry's answer, kept only
 * where its write did not record the entry already. Until this is recorded the map is short, and
 * the transaction's update waits (transaction-update-sweep.ts). Failing here changes no answer:
 * the writes are recorded; the update then goes out without these entries once the wait is over.
 */
async function recordBatchAnswers(ctx: FhirContext, batch: { transactionId: string; count: number }, out: Json[]) {
  const entries = out.map((e, i) => ({ entry: i, answer: answerOf(e.response) }));
  await ctx.services.recordEntries?.({ ...batch, entries }).catch(() => undefined);
}

interface Group {
  type: string;
  parts: {
    entry: Entry;
    part: Part<unknown>;
    /** A PUT's resource as it is now. */
    current?: Current;
    /** What the entry asks for is already in place (inPlaceNow). */
    inPlace: boolean;
  }[];
  /** The order (or delivery) its PUT entries change, as it stands. */
  current?: Current;
}

/**
 * The write a group of entries amounts to. Entries that change only some lines of a standing
 * order change those lines: the others go on, as a PUT or DELETE of one line alone does (a
 * DELETE of one line cancels that line, not the order). A group that names every line of the
 * order describes the whole order, as the client wrote it.
 */
function groupValue(g: Group): unknown {
  const named = new Set(g.parts.map((p) => p.part.id));
  let value: unknown = g.current && !g.current.ids.every((id) => named.has(id)) ? g.current.value : undefined;
  for (const { part } of g.parts) value = part.build(value);
  return value;
}

/**
 * A transaction changes each resource at most once (FHIR http.html#trules: overlapping identities
 * fail the transaction). Two entries changing one resource would become one write of the last, and
 * both be answered as if each had been written. Each later entry changing one resource is named.
 */
function changedTwice(entries: Entry[]): Map<number, Issue> {
  const first = new Map<string, number>();
  const twice = new Map<number, Issue>();
  for (const e of entries) {
    if (!['PUT', 'PATCH', 'DELETE'].includes(e.method)) continue;
    const target = `${e.type}/${e.id}`;
    const earlier = first.get(target);
    if (earlier === undefined) first.set(target, e.index);
    else
      twice.set(e.index, {
        code: 'invalid',
        diagnostics: `Bundle.entry[${e.index}] changes ${target}, as Bundle.entry[${earlier}] does: a transaction changes each resource at most once`,
        expression: [`Bundle.entry[${e.index}].request.url`],
      });
  }
  return twice;
}

/**
 * Two creates that make one resource (an order's line is named by the order number and the
 * product, so two POSTs of one product in one order are one line) overlap as two PUTs of one id
 * do: the write would keep the later and answer both as created.
 */
function assertNewResource(groups: Map<string, Group>, e: Entry, part: Group['parts'][number]['part']): void {
  for (const group of groups.values()) {
    if (group.type !== e.type) continue;
    const earlier = group.parts.find((p) => p.part.id === part.id);
    if (!earlier) continue;
    const line = e.type === 'SupplyRequest';
    throw new MediatorError(400, {
      code: 'invalid',
      diagnostics: `Bundle.entry[${e.index}] is the same ${line ? 'order line' : 'resource'} as Bundle.entry[${earlier.entry.index}] (${e.type}/${part.id}): a transaction changes each resource at most once; send one entry${line ? ' with the quantity wanted' : ''}`,
      expression: [`Bundle.entry[${e.index}].resource`],
    });
  }
}

/**
 * A transaction whose change of an order lost to another change of the same revision: the entries
 * of that order are named, each as a PUT would be (412 where the entry carried If-Match, else 409).
 */
function lostRace(err: ChangedMeanwhileError, parts: Group['parts']): MediatorError {
  const lost = parts.filter(({ part }) => err.ids.includes(part.id));
  const answers = (lost.length ? lost : parts).map(({ entry, part }) => {
    const at = `Bundle.entry[${entry.index}]`;
    const answer = changedMeanwhile(`${entry.type}/${part.id}`, entry.ifMatch, [
      `${at}.request.ifMatch`,
      `${at}.resource`,
    ]);
    return {
      status: answer.status,
      issues: answer.issues.map((i) => ({ ...i, diagnostics: `${at} ${i.diagnostics}` })),
    };
  });
  const status = answers.some((a) => a.status === 412) ? 412 : 409;
  return new MediatorError(
    status,
    answers.flatMap((a) => a.issues),
  );
}

/** An entry as its request asks, with the fullUrl others may name it by; `refused`: malformed. */
type Requested = Entry & { fullUrl?: string; refused?: boolean };

/**
 * Transaction: all or nothing. Every entry is parsed, validated, decoded and its conditions
 * checked before anything is written; entries of one order (or one delivery) become one write;
 * then `services.writeAll` records them together, so the outbox accepts all of them or none.
 * An entry refused at any step is left out of the later ones, which the others still go through
 * (writing nothing), so one answer names every entry's problems.
 */
async function processTransaction(request: FhirContext, raw: Json[], shape: Map<number, Issue[]>): Promise<FhirResult> {
  // every read before the writes are recorded (If-None-Exist searches, the resources PUT, PATCH
  // and DELETE entries change) and the writes' checks share one bound from the start: past it the
  // transaction is refused whole, a 504 naming the system, nothing recorded (readToChange)
  const ctx = changeBegun(request);
  const problems = new EntryProblems();
  const requested = requestedEntries(ctx, raw, shape, problems);
  /** Entries refused already: left out of the later checks. */
  const refused = new Set(requested.filter((e) => e.refused).map((e) => e.index));
  const referenced = await entryReferences(requested, async (e) => {
    if (refused.has(e.index)) return null;
    try {
      return await referenceTo(ctx, e);
    } catch (err) {
      problems.add(err); // its If-None-Exist, say: the entry's own problem
      refused.add(e.index);
      return null;
    }
  });
  if (referenced.issues.length) problems.add(new MediatorError(422, referenced.issues));
  for (const index of referenced.unresolved) refused.add(index);
  const twice = changedTwice(referenced.entries.filter((e) => !refused.has(e.index)));
  if (twice.size) problems.add(new MediatorError(400, [...twice.values()]));
  const entries: Entry[] = [];
  for (const e of referenced.entries) {
    if (refused.has(e.index) || twice.has(e.index)) continue;
    await problems.check(async () => entries.push(await asPut(ctx, e)));
  }
  const results = new Map<number, FhirResult>();
  const invalid = new Set<number>();
  for (const e of entries) {
    if (e.done) results.set(e.index, e.done);
    if (e.method === 'GET' || e.done) continue;
    const found = resourceIssues(ctx, e);
    if (found.length) {
      invalid.add(e.index);
      problems.add(new MediatorError(400, found));
    }
  }
  if (problems.any()) {
    // the valid entries are still checked, writing nothing (no lock: nothing is written), so the
    // answer names their problems too: an unknown facility is not left for the next round trip
    await acceptAll(
      ctx,
      entries.filter((e) => !invalid.has(e.index)),
      results,
      problems,
    );
    throw problems.answer(); // acceptAll, given a refusal, has thrown it already with the rest
  }
  await guarded(ctx, entries, () => acceptAll(ctx, entries, results));
  // read after the writes are recorded: not bounded, a 504 now would say nothing was
  for (const e of entries.filter((x) => x.method === 'GET')) results.set(e.index, await runEntry(request, e));
  return {
    status: 200,
    body: {
      resourceType: 'Bundle',
      type: 'transaction-response',
      entry: entries.map((e) => responseEntry(results.get(e.index)!)),
    },
  };
}

/**
 * Every entry's shape (bundle-shape.ts) and request (method, URL, a type this base serves, a flow
 * a system is configured for, GETs included, which run after the writes): a malformed one is a
 * problem in `problems` and kept only as the fullUrl other entries may name (`refused`; none if
 * the entry's shape is wrong), so the rest are still checked.
 */
function requestedEntries(
  ctx: FhirContext,
  raw: Json[],
  shape: Map<number, Issue[]>,
  problems: EntryProblems,
): Requested[] {
  return raw.map((r, index) => {
    const issues = shape.get(index);
    if (issues) {
      problems.add(new MediatorError(400, issues));
      return { index, method: '', type: '', refused: true };
    }
    const fullUrl = typeof r.fullUrl === 'string' ? r.fullUrl : undefined;
    try {
      const e = parseEntry(r, index);
      assertEntryServed(ctx, e);
      return { ...e, fullUrl };
    } catch (err) {
      problems.add(err);
      return { index, method: '', type: '', fullUrl, refused: true };
    }
  });
}

/** The entry's type is served on this base and its flow has a system, or a refusal at its request.url. */
function assertEntryServed(ctx: FhirContext, e: Entry): void {
  try {
    serviceFor(ctx, requireRoute(ctx, e.type));
  } catch (err) {
    if (!(err instanceof MediatorError)) throw err;
    const at = `Bundle.entry[${e.index}]`;
    throw new MediatorError(
      err.status,
      err.issues.map((i) => ({ ...i, diagnostics: `${at}: ${i.diagnostics}`, expression: [`${at}.request.url`] })),
    );
  }
}

/** What a write entry's resource lacks, each issue at its place in the Bundle. */
function resourceIssues(ctx: FhirContext, e: Entry): Issue[] {
  const found = inEntry(validateResource(ctx.version, e.resource, e.type, validationOptions(ctx)), e.index, e.type);
  if (e.method === 'PUT' && e.resource?.id !== e.id) {
    found.push({
      code: 'invalid',
      diagnostics: `Bundle.entry[${e.index}].resource.id must equal the id in request.url (${e.id})`,
      expression: [`Bundle.entry[${e.index}].resource.id`],
    });
  }
  return found;
}

/**
 * What a reference to an entry of a transaction becomes: the resource its write makes or changes
 * (a create's id is the one its business identifiers give it, as its answer's Location says), or
 * for a conditional create that finds its resource, that resource.
 */
async function referenceTo(ctx: FhirContext, e: Entry): Promise<string | undefined> {
  const route = routeFor(ctx.version, e.type);
  if (e.method === 'GET' || !route) return undefined;
  if (e.method !== 'POST') return `${e.type}/${e.id}`;
  const id = () => createdId(ctx, route, e.resource!);
  const existing =
    e.ifNoneExist === undefined
      ? undefined
      : await conditionalMatch(ctx, e.type, e.ifNoneExist, id, `Bundle.entry[${e.index}].request.ifNoneExist`);
  const made = existing?.id ?? id();
  return made ? `${e.type}/${made}` : undefined;
}

/** An entry's answer as its OpenHIM transaction update lists it (no resource: OpenHIM keeps a summary). */
function entryAnswer(result: FhirResult): EntryAnswer {
  return answerOf(responseEntry(result).response);
}

function answerOf({ status, location, outcome }: Json): EntryAnswer {
  return { status, ...(location ? { location } : {}), ...(outcome ? { outcome } : {}) };
}

/** A written entry's answer once its write is delivered: 201, or 200 for a PUT of what existed. */
function deliveredAnswer(ctx: FhirContext, p: Group['parts'][number], existed: Set<number>): EntryAnswer {
  const status = p.entry.method === 'POST' || !existed.has(p.entry.index) ? 201 : 200;
  return { status: STATUS_TEXT[status], location: `${ctx.baseUrl}/${p.entry.type}/${p.part.id}` };
}

/**
 * A transaction through OpenHIM with more than one entry: its entries answered without a write,
 * recorded with its writes for the transaction's update (store v24). Its GET entries run after
 * the writes, and a failed one fails the whole answer: each is 200 in any answer given.
 */
function bundleEntries(
  ctx: FhirContext,
  entries: Entry[],
  results: Map<number, FhirResult>,
): BundleEntries | undefined {
  if (!ctx.transactionId || entries.length < 2) return undefined;
  const answered = entries.flatMap((e) => {
    if (e.method === 'GET') return [{ entry: e.index, answer: { status: STATUS_TEXT[200] } }];
    const result = results.get(e.index);
    return result ? [{ entry: e.index, answer: entryAnswer(result) }] : [];
  });
  return { transactionId: ctx.transactionId, count: entries.length, answered };
}

/**
 * Runs the checks and the writes of a transaction as one step with every other write of what it
 * changes, as a PUT does (interactions.exclusively): every resource its entries write is locked,
 * in one stable order (the store sorts the names), so two transactions, or a transaction and a
 * PUT, from one version cannot both pass the check and one change be lost; an entry without
 * ifMatch cannot land between another write's If-Match check and its write; and two transactions
 * locking some of the same resources cannot each hold one the other waits for. A lock per resource
 * rather than one for every Bundle: a transaction waits only for writes of what it changes.
 */
function guarded<T>(ctx: FhirContext, entries: Entry[], fn: () => Promise<T>): Promise<T> {
  const names = entries.flatMap((e) => {
    if (e.done) return [];
    const route = requireRoute(ctx, e.type);
    if (e.method === 'PUT') return writeLocks(ctx, route, e.id!, e.resource!);
    if (e.method !== 'POST') return [];
    return createdLocks(ctx, route, createdId(ctx, route, e.resource!), e.resource!);
  });
  return exclusively(ctx, names, fn);
}

/**
 * A transaction sent again after it applied (retriedWrite): each write whose entries are all in
 * place is answered without a write, each entry 200 with its resource as it is, and taken out of
 * `groups`; in the others every If-Match a client sent must name the current version, or the
 * transaction is a 412 naming each such entry, and nothing of it is written.
 */
function inPlaceOrStale(ctx: FhirContext, groups: Map<string, Group>, results: Map<number, FhirResult>): void {
  const issues: Issue[] = [];
  for (const [key, g] of groups) {
    const decision = retriedWrite(
      g.parts.map((p) => ({
        index: p.entry.index,
        inPlace: p.inPlace,
        staleIfMatch: staleIfMatch(p.current?.resource, sentIfMatch(p.entry)),
      })),
    );
    if (decision.inPlace) {
      for (const p of g.parts) results.set(p.entry.index, inPlaceAnswer(ctx, p.entry, p.current!));
      groups.delete(key);
      continue;
    }
    for (const { index, others } of decision.refused) {
      const p = g.parts.find((x) => x.entry.index === index)!;
      issues.push(...staleIssues(p.entry, p.current, sentIfMatch(p.entry), others));
    }
  }
  if (issues.length) throw new MediatorError(412, issues);
}

/** The If-Match the client sent with an entry (a PATCH's or DELETE's: not the version it was made from). */
function sentIfMatch(e: Entry): string | undefined {
  return e.sent ? e.sent.ifMatch : e.ifMatch;
}

/** An entry in place answered as a PUT of what is there already: 200, the resource as it is, its ETag. */
function inPlaceAnswer(ctx: FhirContext, e: Entry, current: Current): FhirResult {
  const result = { status: 200, headers: versionHeaders(ctx, current.resource), body: current.resource };
  return e.deleted ? deleteAnswer(e.type, e.id!, result) : result;
}

/** What the entries of one write make, by type: the lines of one order, of one delivery. */
const WRITTEN_AS_ONE: Record<string, string> = { SupplyRequest: 'order', SupplyDelivery: 'delivery' };

/**
 * The 412 of an entry whose If-Match is stale; one in place already says what keeps it from being
 * answered as a change sent again: the entries of its write that would change something.
 */
function staleIssues(e: Entry, current: Current | undefined, ifMatch: string | undefined, others: number[]): Issue[] {
  const at = `Bundle.entry[${e.index}]`;
  try {
    checkIfMatch(current?.resource, ifMatch, `${at} ${e.type}/${e.id}`, `${at}.request.ifMatch`);
    return [];
  } catch (err) {
    const issues = toMediatorError(err).issues;
    if (!others.length) return issues;
    const changing = others.map((i) => `Bundle.entry[${i}]`).join(', ');
    const because = `; what it asks for is in place already, but ${changing} of the same ${WRITTEN_AS_ONE[e.type] ?? 'write'} would change it, so this is not the same transaction sent again: read ${e.type}/${e.id} again and send the change with its current version`;
    return issues.map((i) => ({ ...i, diagnostics: `${i.diagnostics}${because}` }));
  }
}

/**
 * The writes of a checked transaction: each entry's conditions checked against the resource as it
 * is now, entries of one order (or one delivery) made one write, all recorded together by
 * `services.writeAll`; each entry's answer set in `results`.
 */
async function acceptAll(
  ctx: FhirContext,
  entries: Entry[],
  results: Map<number, FhirResult>,
  problems = new EntryProblems(),
): Promise<void> {
  const groups = new Map<string, Group>();
  /** PUT entries whose resource exists: answered 200, not 201. */
  const existed = new Set<number>();
  // an entry refused does not stop the others' checks: every problem is answered at once
  for (const e of entries.filter((x) => x.method !== 'GET' && !x.done))
    await problems.check(() => groupEntry(ctx, e, groups, existed, results));
  refuseDisagreeingDeliveries(ctx.version, groups, problems);
  await refuseOtherDestinations(ctx, groups, problems);
  await problems.check(() => inPlaceOrStale(ctx, groups, results));
  const writes = [...groups.values()].map((g) => ({ group: g, value: mergedValue(g) }));
  const planned = writes.map((w) => {
    const route = requireRoute(ctx, w.group.type);
    const mode: 'create' | 'update' = w.group.parts.every((p) => p.entry.method === 'PUT') ? 'update' : 'create';
    serviceFor<unknown>(ctx, route); // a flow with no system configured fails before anything is accepted
    const context = { mode, actor: ctx.actor, transactionId: ctx.transactionId, checksSince: ctx.checksSince };
    const answers = w.group.parts.map((p) => ({ entry: p.entry.index, answer: deliveredAnswer(ctx, p, existed) }));
    return { ...w, route, context, entries: answers };
  });
  // an order's lines are one write: encoded once for all their entries, not once per entry
  const encode = encodeWrittenOnce(ctx.version);
  const record = (w: (typeof planned)[number], outcome: WriteOutcome<unknown>) => {
    for (const { entry, part } of w.group.parts) {
      const answered =
        entry.method === 'PUT'
          ? { ...outcome, status: updateStatus(outcome.status, existed.has(entry.index)) }
          : outcome;
      // a PUT is answered under the id it named, whatever write it was found the same as
      const sent = entry.method === 'PUT' ? w.value : undefined;
      const result = writeResult({ ...ctx, preferReturn: undefined }, w.group.type, part.id, answered, sent, encode);
      results.set(entry.index, entry.deleted ? deleteAnswer(w.group.type, part.id, result) : result);
    }
  };
  // each write's own translator: a refusal routing pins on one write names that write's entries
  const partsOf = (w: (typeof planned)[number]) =>
    w.group.parts.map(({ entry, part }) => ({
      id: part.id,
      path: `Bundle.entry[${entry.index}].resource`,
      resource: entry.resource!,
    }));
  // and the whole transaction's, for a refusal no single write owns
  const posted = transactionTranslator(
    ctx.version,
    planned.map((w) => ({ type: w.group.type, value: w.value, parts: partsOf(w) })),
  );
  const sent = planned.map((w) => ({
    flow: w.route.flow,
    value: w.value,
    context: w.context,
    entries: w.entries,
    posted: (err: unknown) =>
      inPostedTerms(err, fhirPathTranslator(ctx.version, w.group.type as ResourceType, w.value, partsOf(w))),
  }));
  if (problems.any()) {
    // refused already: the other writes get the checks writeAll would make, and nothing is recorded
    await problems.check(async () => {
      for (const refusal of (await ctx.services.checkAll?.(sent)) ?? []) problems.add(refusal);
    });
    throw problems.answer();
  }
  try {
    const outcomes = await ctx.services.writeAll(sent, bundleEntries(ctx, entries, results));
    planned.forEach((w, i) => record(w, outcomes[i]));
  } catch (err) {
    if (err instanceof ChangedMeanwhileError)
      throw lostRace(
        err,
        planned.flatMap((w) => w.group.parts),
      );
    throw inPostedTerms(err, posted);
  }
}

/**
 * The lines of one delivery that disagree on what the delivery says (bundle-delivery-lines.ts), or
 * on R5 two entries of one delivery: refused, and their write taken out of `groups`, so the other
 * writes' checks do not check a merge of them that no client sent.
 */
function refuseDisagreeingDeliveries(version: FhirVersion, groups: Map<string, Group>, problems: EntryProblems): void {
  for (const [key, g] of groups) {
    if (g.type !== 'SupplyDelivery') continue;
    try {
      if (version === 'r5') assertOneR5Delivery(deliveryLines(g));
      else assertDeliveryLinesAgree(deliveryLines(g));
    } catch (err) {
      problems.add(err);
      groups.delete(key);
    }
  }
}

/** A delivery's entries as bundle-delivery-lines.ts checks and merges them. */
function deliveryLines(g: Group): DeliveryLineEntry[] {
  return g.parts.map((p) => ({ index: p.entry.index, part: p.part as Part<Delivery>, resource: p.entry.resource! }));
}

/**
 * R4 lines of one delivery naming its destination by id and by identifier, as two facilities
 * (bundle-delivery-lines.ts assertDestinationFormsAgree): refused, their write taken out.
 */
async function refuseOtherDestinations(ctx: FhirContext, groups: Map<string, Group>, problems: EntryProblems) {
  if (ctx.version === 'r5') return;
  for (const [key, g] of groups) {
    if (g.type !== 'SupplyDelivery') continue;
    try {
      await assertDestinationFormsAgree(deliveryLines(g), (id) => locationIdentifiers(ctx, id));
    } catch (err) {
      problems.add(err);
      groups.delete(key);
    }
  }
}

/**
 * LocationIdentifiers through the facilities flow: a read refused is no facility; one not
 * answered now is its transient error, and one its system refuses for good (a 403: the mediator's
 * user may not read facilities; a login page) is that error: either way the lines are not let
 * through unchecked. Any other, unknown.
 */
async function locationIdentifiers(ctx: FhirContext, id: string): Promise<Identifier[] | undefined> {
  const facilities = ctx.services.facilities;
  if (!facilities) return undefined;
  try {
    return (await readToChange(ctx, () => facilities.read(id)))?.identifiers ?? [];
  } catch (err) {
    if (err instanceof ChecksTooSlowError) throw err; // the transaction's bound spent: refused whole
    if (err instanceof UpstreamError && (isTransient(err) || err.status >= 500)) throw err;
    if (err instanceof MediatorError && err.status < 500) return [];
    return undefined;
  }
}

/** A group's write; a delivery's lines merged as they say (bundle-delivery-lines.ts deliveryOfLines). */
function mergedValue(g: Group): unknown {
  const value = groupValue(g);
  return g.type === 'SupplyDelivery' ? deliveryOfLines(value as Delivery, deliveryLines(g)) : value;
}

/**
 * One entry of a transaction made part of its write (`groups`): its conditions checked against the
 * resource as it is now and its resource decoded. An entry answered without a write (a
 * conditional create that finds its resource, a PUT of a deleted order line) is set in `results`.
 */
async function groupEntry(
  ctx: FhirContext,
  e: Entry,
  groups: Map<string, Group>,
  existed: Set<number>,
  results: Map<number, FhirResult>,
): Promise<void> {
  const route = requireRoute(ctx, e.type);
  if (e.ifNoneExist !== undefined) {
    const existing = await conditionalMatch(
      ctx,
      e.type,
      e.ifNoneExist,
      () => createdId(ctx, route, e.resource!),
      `Bundle.entry[${e.index}].request.ifNoneExist`,
    );
    if (existing) {
      results.set(e.index, { status: 200, body: existing, headers: { ETag: `W/"${existing.meta.versionId}"` } });
      return;
    }
  }
  let current: Current | undefined;
  if (e.method === 'PUT') {
    try {
      current = await readToChange(ctx, () => readCurrent(ctx, route, e.id!));
    } catch (err) {
      // a PUT of a deleted resource (a cancelled order line): answered without a write, or a 409
      results.set(e.index, updateOfDeleted(e.type, e.id!, e.resource!, err, `Bundle.entry[${e.index}].resource`));
      return;
    }
    if (current) existed.add(e.index);
    // a PATCH or DELETE writes over the version it was made from or not at all; the If-Match a
    // client sent is checked once its write is known (inPlaceOrStale)
    if (e.sent)
      checkIfMatch(
        current?.resource,
        e.ifMatch,
        `Bundle.entry[${e.index}] ${e.type}/${e.id}`,
        `Bundle.entry[${e.index}].request.ifMatch`,
      );
    checkIfNoneMatch(
      current?.resource,
      e.ifNoneMatch,
      `Bundle.entry[${e.index}] ${e.type}/${e.id}`,
      `Bundle.entry[${e.index}].request.ifNoneMatch`,
    );
  }
  const part = decodePart(
    ctx,
    route,
    e.resource!,
    e.method === 'PUT' ? 'update' : 'create',
    `Bundle.entry[${e.index}].resource`,
  );
  const key = `${e.type}|${part.groupKey}`;
  assertNewResource(groups, e, part);
  const group = groups.get(key) ?? { type: e.type, parts: [] };
  const inPlace =
    e.method === 'PUT' && (await inPlaceNow(ctx, route, e.id!, current?.resource, e.resource!, current?.value));
  group.parts.push({ entry: e, part, current, inPlace });
  if (!group.current && current && sameGroup(ctx, route, current.resource, part)) group.current = current;
  groups.set(key, group);
}
