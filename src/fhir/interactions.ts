import {
  ChangedMeanwhileError,
  ConflictError,
  GoneError,
  KnownAsError,
  MediatorError,
  MethodNotAllowedError,
  NotConfiguredError,
  UpstreamError,
} from '../domain/errors.js';
import type { SearchCriteria } from '../routing/ports.js';
import { adapters, type Part } from './adapters.js';
import { writtenEntries, type BatchEntry } from './batch-entries.js';
import { alreadyInPlace } from './applied-already.js';
import type { Json } from './codecs/common.js';
import { informational } from './outcome.js';
import { allowedMethods, resourceRoutes, routeFor, type ResourceRoute } from './routes.js';
import { applyJsonPatch } from './patch.js';
import { fhirPathTranslator, inPostedTerms } from './domain-paths.js';
import { parseQuery } from './query.js';
import { isResultParam, searchResources } from './search.js';
import { systemsForFlow, type FhirServices, type FlowService, type WriteOutcome } from './services.js';
import { assertValidResource, type ValidateOptions } from './validation/index.js';
import { httpDate } from './http-date.js';
import { etagVersions, notModified, type ReadConditions } from './conditional-read.js';
import { basePath, type FhirVersion } from './versions.js';
import { atVersion } from './version-id.js';
import { encodeWritten, type EncodeWritten } from './written-encodings.js';

export interface FhirContext {
  version: FhirVersion;
  services: FhirServices;
  /** Public base of this FHIR version, e.g. https://hie.example.org/fhir (links, Location headers). */
  baseUrl: string;
  actor?: string;
  transactionId?: string;
  /** An entry of a batch Bundle through OpenHIM: its write records it in the Bundle's entry map. */
  batchEntry?: BatchEntry;
  /** `Prefer: handling=strict`: unknown search parameters are errors. */
  strictHandling?: boolean;
  /** `Prefer: return=minimal|representation|OperationOutcome`. */
  preferReturn?: string;
  defaultCount: number;
  maxCount: number;
  /** When the reads a write rests on began: its change's first read, its batch's start (WriteContext.checksSince). */
  checksSince?: number;
}

/** The context of a change whose reads begin now, unless they began before (its batch's, a PATCH's). */
export function changeBegun(ctx: FhirContext): FhirContext {
  return ctx.checksSince === undefined ? { ...ctx, checksSince: performance.now() } : ctx;
}

/**
 * A read a change is made to (the proof of delivery a confirmation changes), or a create's
 * If-None-Exist search, within the bound of the write's checks (FhirServices.checked): a system
 * hanging here answered past OpenHIM's channel timeout, which reported a failure while the change
 * was recorded and delivered once the read came back (a client's retry then found it in place).
 * Past the bound there is nothing to queue (the change is made to what is read; a create may find
 * its resource made already): a 504 naming the system, nothing recorded, as a transaction's checks.
 */
export function readToChange<T>(ctx: FhirContext, read: () => Promise<T>): Promise<T> {
  const since = ctx.checksSince;
  return since !== undefined && ctx.services.checked ? ctx.services.checked(read, since) : read();
}

export interface FhirResult {
  status: number;
  body?: Json;
  headers?: Record<string, string>;
}

/** What the edge's validation needs to know of this server: its base (for absolute references) and the types it serves. */
export function validationOptions(ctx: FhirContext): ValidateOptions {
  // the base of the request before, asked first: its URL is nearly always the same string object
  // (fhir/plugin.ts ctxFor), where the key below is a fresh string to hash per request
  if (ctx.baseUrl === lastValidation.baseUrl && ctx.version === lastValidation.version) return lastValidation.opts;
  // the same few bases on every request: built once each (the Host header can vary, so bounded)
  const key = `${ctx.version} ${ctx.baseUrl}`;
  let opts = knownValidationOptions.get(key);
  if (!opts) {
    if (knownValidationOptions.size >= 64) knownValidationOptions.clear();
    knownValidationOptions.set(key, (opts = buildValidationOptions(ctx)));
  }
  lastValidation = { version: ctx.version, baseUrl: ctx.baseUrl, opts };
  return opts;
}

let lastValidation: { version?: FhirVersion; baseUrl?: string; opts: ValidateOptions } = { opts: {} };

const knownValidationOptions = new Map<string, ValidateOptions>();

function buildValidationOptions(ctx: FhirContext): ValidateOptions {
  const root = ctx.baseUrl.slice(0, ctx.baseUrl.length - basePath[ctx.version].length);
  const otherBaseUrls = (Object.keys(basePath) as FhirVersion[])
    .filter((v) => v !== ctx.version)
    .map((v) => `${root}${basePath[v]}`);
  return { baseUrl: ctx.baseUrl, otherBaseUrls, servedTypes: resourceRoutes.map((r) => r.type) };
}

export function requireRoute(ctx: FhirContext, type: string): ResourceRoute {
  const route = routeFor(ctx.version, type);
  if (!route) {
    const other = routeFor(ctx.version === 'r4' ? 'r5' : 'r4', type);
    const hint = other ? ` (it is served on the ${ctx.version === 'r4' ? 'R5 base /fhir/R5' : 'R4 base /fhir'})` : '';
    throw new MediatorError(404, {
      code: 'not-supported',
      diagnostics: `Resource type '${type}' is not supported on this base${hint}`,
      expression: ['type'],
    });
  }
  return route;
}

export function serviceFor<T>(ctx: FhirContext, route: ResourceRoute): FlowService<T> {
  const service = ctx.services[route.flow] as FlowService<T> | undefined;
  if (!service) throw new NotConfiguredError(`${route.type} (${route.flow})`, systemsForFlow[route.flow]);
  return service;
}

/**
 * Whether no write of this resource is queued or given up (a service that keeps no outbox: yes).
 * An "already in place" answer is given only then: otherwise the outbox answers.
 */
async function settledNow(service: FlowService<unknown>, id: string): Promise<boolean> {
  return (await service.settled?.(id)) ?? true;
}

/**
 * Whether an update of `id` asking for `resource` finds it in place in `current` (alreadyInPlace),
 * no write to it pending: a transaction entry that would change nothing (bundle.ts).
 */
export async function inPlaceNow(
  ctx: FhirContext,
  route: ResourceRoute,
  id: string,
  current: Json | undefined,
  resource: Json,
  held?: unknown,
): Promise<boolean> {
  return (
    !!current && alreadyInPlace(route.type, current, resource, held) && (await settledNow(serviceFor(ctx, route), id))
  );
}

export function versionHeaders(ctx: FhirContext, resource: Json): Record<string, string> {
  const meta = resource.meta ?? {};
  return {
    ETag: `W/"${meta.versionId}"`,
    'Last-Modified': httpDate(meta.lastUpdated),
    Location: `${ctx.baseUrl}/${resource.resourceType}/${resource.id}/_history/${meta.versionId}`,
  };
}

/** The current resource with this id, or undefined (a read: no update's bookkeeping, see readCurrent). */
export async function readResource(ctx: FhirContext, route: ResourceRoute, id: string): Promise<Json | undefined> {
  const value = await serviceFor(ctx, route).read(id);
  return value ? resourceOf(ctx, route, id, value) : undefined;
}

/**
 * The resource with this id among those this base serves `value` as; by the id the other release
 * serves it under, OtherReleaseId (servedWhole); else undefined.
 */
function resourceOf(ctx: FhirContext, route: ResourceRoute, id: string, value: unknown): Json | undefined {
  const adapter = adapters[route.type];
  const resources = adapter.encode(ctx.version, value);
  return (
    resources.find((r) => r.id === id) ??
    otherCase(id, resources) ??
    servedWhole(ctx, id, resources, () => adapter.encode(otherRelease(ctx), value))
  );
}

/**
 * A read by an id its system found the record under whatever the case (OpenMRS's uuids, which
 * MySQL's collation matches so: `Location/<UUID IN CAPITALS>`), which this base serves under the
 * system's own spelling: that resource, redirected to (KnownAsError), not an unknown one. Only
 * when the connector found the record by this id: a system whose ids tell case apart (DHIS2's)
 * finds none, and no other record is served for it.
 */
function otherCase(id: string, resources: Json[]): undefined {
  const lower = id.toLowerCase();
  const same = resources.filter((r) => typeof r.id === 'string' && r.id.toLowerCase() === lower);
  if (same.length !== 1) return undefined;
  throw new KnownAsError(
    id,
    String(same[0].id),
    'differs only in letter case from the id it is served under (its system ignores the case of ids)',
  );
}

const otherRelease = (ctx: FhirContext): FhirVersion => (ctx.version === 'r4' ? 'r5' : 'r4');

/**
 * A read on one base by the id of a resource the other release cuts the value into (R4's one
 * SupplyDelivery per line, a line id the mediator gave a POSTed delivery) finds the value, which
 * this base serves as one resource under another id (R5's one SupplyDelivery for the delivery):
 * it is that resource, not an unknown one (a 404 made a client that wrote on R4 think its R5 read
 * had lost the delivery). KnownAsError: the read redirects there. Only an id of the other
 * release's rendering (not a line since removed from an order), and only to one resource (an R5
 * delivery's id on R4, whose lines are several resources, stays a 404).
 */
function servedWhole(ctx: FhirContext, id: string, resources: Json[], other: () => Json[]): undefined {
  const [whole] = resources;
  if (resources.length !== 1 || typeof whole.id !== 'string' || !other().some((r) => r.id === id)) return undefined;
  const base = ctx.version === 'r4' ? 'R5 base /fhir/R5' : 'R4 base /fhir';
  throw new OtherReleaseId(
    id,
    whole.id,
    `is its id on the ${base}, which serves it as other resources; here it is one`,
  );
}

/**
 * servedWhole's finding: the id is the other release's for a resource this base serves under
 * another. A read redirects (301); a PUT, PATCH or transaction entry by it is a 409 naming the id
 * to change it as, nothing written (KnownAsError's rule). Not a 301: a client following it
 * (OkHttp, the Android FHIR SDK) turns the PUT or PATCH into a GET without its body, reads the
 * resource unchanged and takes the change as uploaded. Taken as an unknown id, a PUT created a
 * second resource with the client's id, or wrote the delivery through an id this base does not serve.
 */
class OtherReleaseId extends KnownAsError {}

/**
 * A change by an id the record is not served under here (the other release's, OtherReleaseId; a
 * system's own or former one, routing's KnownAsError): the 409 at `where`.id naming the id to
 * change it as, as a read's 301 names it; else rethrown.
 */
function changedAt(type: string, where = type) {
  return changedByOtherId(`${where}.id`);
}

/** changedAt, the 409 at `expression` (a transaction's PATCH or DELETE entry: its request.url). */
export function changedByOtherId(expression: string) {
  return (err: unknown): never => {
    if (err instanceof KnownAsError)
      throw new ConflictError(err.issues[0].diagnostics ?? err.message, 409, [expression]);
    throw err;
  };
}

/** What an update changes: the flow object (an order), the resource read, and every id it holds (its lines). */
export interface Current {
  value: unknown;
  resource: Json;
  ids: string[];
}

export async function readCurrent(ctx: FhirContext, route: ResourceRoute, id: string): Promise<Current | undefined> {
  const value = await serviceFor(ctx, route).read(id);
  if (!value) return undefined;
  const resources = adapters[route.type].encode(ctx.version, value);
  const resource = resourceOf(ctx, route, id, value);
  return resource ? { value: stripLastUpdated(value), resource, ids: resources.map((r) => String(r.id)) } : undefined;
}

/**
 * read; with `conditions` (If-None-Match, If-Modified-Since) a conditional read: 304 with the
 * version's ETag and Last-Modified and no body when the client holds this version already.
 */
export async function read(
  ctx: FhirContext,
  type: string,
  id: string,
  conditions?: ReadConditions,
): Promise<FhirResult> {
  const route = requireRoute(ctx, type);
  let resource: Json | undefined;
  try {
    resource = await readResource(ctx, route, id);
  } catch (err) {
    if (err instanceof KnownAsError) return movedTo(ctx, type, err);
    throw err;
  }
  if (!resource)
    throw new MediatorError(404, { code: 'not-found', diagnostics: `${type}/${id} is not known`, expression: ['id'] });
  const { Location: _l, ...headers } = versionHeaders(ctx, resource);
  if (notModified(resource, conditions)) return { status: 304, headers };
  return { status: 200, body: resource, headers };
}

/**
 * A read by a system's own id of a record served under another, or by an id it was served under
 * before (KnownAsError, which says which): 301 to that id, so
 * a client following it stores one resource. Not answered as that resource in place: a read
 * answers the id it was asked for (http.html#read).
 */
function movedTo(ctx: FhirContext, type: string, err: KnownAsError): FhirResult {
  return {
    status: 301,
    headers: { Location: `${ctx.baseUrl}/${type}/${err.known}` },
    body: informational(
      err.formerly
        ? `${type}/${err.asked} is ${type}/${err.known}: ${err.asked} ${err.formerly}, ${type}/${err.known}; read and change it as ${type}/${err.known}`
        : `${type}/${err.asked} is ${type}/${err.known}: ${err.asked} is its system's own id (or one derived for it), and this server serves it under the id its write came under; read and change it as ${type}/${err.known}`,
    ),
  };
}

/** Whether an If-Match names no version the resource is at now (or a resource that does not exist). */
export function staleIfMatch(current: Json | undefined, ifMatch: string | undefined): boolean {
  if (!ifMatch) return false;
  if (!current) return true;
  const versions = etagVersions(ifMatch);
  return versions !== '*' && !atVersion(current, versions);
}

export function checkIfMatch(
  current: Json | undefined,
  ifMatch: string | undefined,
  path: string,
  where = 'If-Match',
): void {
  if (!ifMatch) return;
  if (!current) throw new ConflictError(`If-Match ${ifMatch} given but ${path} does not exist`, 412, [where]);
  if (staleIfMatch(current, ifMatch)) {
    throw new ConflictError(
      `${path} has changed: it is at version W/"${current.meta?.versionId}", If-Match asked for ${ifMatch}`,
      412,
      [where],
    );
  }
}

/** If-None-Match on an update: `*` writes only what does not exist yet, a version list anything but those. */
export function checkIfNoneMatch(
  current: Json | undefined,
  ifNoneMatch: string | undefined,
  path: string,
  where = 'If-None-Match',
): void {
  if (!ifNoneMatch || !current) return;
  const versions = etagVersions(ifNoneMatch);
  if (versions === '*')
    throw new ConflictError(
      `${path} exists (version W/"${current.meta?.versionId}"): If-None-Match * creates only`,
      412,
      [where],
    );
  if (atVersion(current, versions))
    throw new ConflictError(`${path} is at version W/"${current.meta?.versionId}", which If-None-Match excludes`, 412, [
      where,
    ]);
}

/** Shapes the reply of a write from the service outcome and the client's Prefer header. */
export function writeResult(
  ctx: FhirContext,
  type: string,
  id: string,
  outcome: WriteOutcome<unknown>,
  sent?: unknown,
  encode: EncodeWritten = encodeWritten(ctx.version),
): FhirResult {
  const { resource, held } = answeredResource(type, id, outcome.value, sent, encode);
  const headers = versionHeaders(ctx, resource);
  if (outcome.status === 'accepted') {
    // the id Location names: a POST found the same as a queued write is that write, under its id.
    // A PUT answered with what it sent names no version of it (none was ever served: a vread of
    // it was a 410), and its state is read under the held write's id
    const readAs = held?.id ?? resource.id ?? id;
    const location = held ? `${ctx.baseUrl}/${type}/${resource.id ?? id}` : headers.Location;
    return {
      status: 202,
      headers: { Location: location },
      body: informational(
        `Accepted and queued: ${outcome.message ?? 'the upstream system did not answer in time'}. It will be delivered exactly once; read ${type}/${readAs} for its state.`,
      ),
    };
  }
  const status = outcome.status === 'created' ? 201 : 200;
  if (ctx.preferReturn === 'minimal') return { status, headers };
  if (ctx.preferReturn === 'OperationOutcome')
    return { status, headers, body: informational(`${type}/${id} ${outcome.status}`) };
  return { status, headers, body: resource };
}

/**
 * The resource a write is answered with: the one under `id` of the value written. A PUT (`sent`:
 * what it asked for) found the same as a write held under other ids (a queued POST of the same
 * delivery confirmation, under the id its number derives: RoutedFlow.asWritten) is answered with
 * what it sent, under the id its client chose, not as a resource it never named.
 */
function answeredResource(
  type: string,
  id: string,
  value: unknown,
  sent: unknown,
  encode: EncodeWritten,
): { resource: Json; held?: Json } {
  const resources = encode(type, value);
  const mine = resources.find((r) => r.id === id);
  if (mine || sent === undefined) return { resource: mine ?? resources[0] };
  const asked = encode(type, sent).find((r) => r.id === id);
  // `held`: the write it was found the same as, read under its own id
  return asked ? { resource: asked, held: resources[0] } : { resource: resources[0] };
}

/** Decodes a validated resource into a part of its flow object (the path is for error expressions). */
export function decodePart(
  ctx: FhirContext,
  route: ResourceRoute,
  resource: Json,
  mode: 'create' | 'update',
  path: string = route.type,
): Part<unknown> {
  return adapters[route.type].decode(ctx.version, resource, path, mode);
}

export async function create(ctx: FhirContext, type: string, body: unknown, ifNoneExist?: string): Promise<FhirResult> {
  const route = requireRoute(ctx, type);
  assertValidResource(ctx.version, body, type, validationOptions(ctx));
  const service = serviceFor<unknown>(ctx, route);
  // its search and its write's checks share one bound (readToChange)
  ctx = ifNoneExist === undefined ? ctx : changeBegun(ctx);
  if (ifNoneExist !== undefined) {
    const existing = await conditionalMatch(ctx, type, ifNoneExist, () => createdId(ctx, route, body as Json));
    if (existing) {
      const { Location: _l, ...headers } = versionHeaders(ctx, existing);
      return { status: 200, headers, body: ctx.preferReturn === 'minimal' ? undefined : existing };
    }
  }
  const part = decodePart(ctx, route, body as Json, 'create');
  const value = part.build(undefined);
  const write = () =>
    service
      .write(value, {
        mode: 'create',
        actor: ctx.actor,
        transactionId: ctx.transactionId,
        checksSince: ctx.checksSince,
        entries: writtenEntries(ctx.batchEntry, 201, `${ctx.baseUrl}/${type}/${part.id}`),
      })
      .catch((err: unknown) => {
        throw inPostedTerms(
          err,
          fhirPathTranslator(ctx.version, route.type, value, [
            { id: part.id, path: route.type, resource: body as Json },
          ]),
        );
      });
  const outcome = await exclusively(ctx, createdLocks(ctx, route, part.id, body as Json), write);
  return writeResult(ctx, type, part.id, outcome);
}

/**
 * The names a create is serialized under: none, unless a create of its type replaces what exists
 * (ResourceRoute.createReplaces), when it is a write of that resource like a PUT.
 */
export function createdLocks(ctx: FhirContext, route: ResourceRoute, id: string | undefined, resource: Json): string[] {
  // the group is decoded as an update's, which takes its id from the body: a POSTed body has none,
  // and every create would share the one group `Location/undefined`, each waiting for the last
  return route.createReplaces && id ? writeLocks(ctx, route, id, { ...(resource as object), id } as Json) : [];
}

/** The group an update of this resource writes (its decoded groupKey), if it decodes. */
function groupOf(ctx: FhirContext, route: ResourceRoute, resource: Json): string | undefined {
  try {
    return decodePart(ctx, route, resource, 'update').groupKey;
  } catch {
    return undefined; // refused inside the step, where the write decodes it again
  }
}

/** The id a create of this resource gives it, if it decodes (its refusal is the create's to answer). */
export function createdId(ctx: FhirContext, route: ResourceRoute, resource: Json): string | undefined {
  try {
    return decodePart(ctx, route, resource, 'create').id;
  } catch {
    return undefined;
  }
}

/**
 * If-None-Exist: 0 matches → undefined (create), 1 → that resource, more → 412. `wouldBe`: the id
 * this create gives its resource (from its business identifiers). An order's identifier is shared
 * by its lines, and no search parameter names one line, so the retry of a create of an order of
 * several lines matches them all: when the very resource this create makes is among them, the
 * create was made before and that resource is the match, not a 412 the client cannot avoid.
 */
/**
 * A refusal of the condition's search, told about the condition: the client sent a header, not a
 * search. A system's refusal of the search (422: OpenLMIS reads stock per facility) too, or it
 * read as a refusal of the resource posted (at `InventoryReport`), which had nothing wrong.
 */
function conditionRefused(err: unknown, where: string, query: string): unknown {
  if (!(err instanceof MediatorError) || (err.status !== 400 && err.status !== 422)) return err;
  return new MediatorError(
    err.status,
    err.issues.map((i) => ({
      ...i,
      diagnostics: `${where} '${query}': ${i.diagnostics.replace(' (Prefer: handling=strict)', '')}`,
      expression: [where],
    })),
  );
}

export async function conditionalMatch(
  ctx: FhirContext,
  type: string,
  query: string,
  wouldBe: () => string | undefined = () => undefined,
  where = 'If-None-Exist',
): Promise<Json | undefined> {
  const params = parseQuery(query.replace(/^\?/, '').replace(new RegExp(`^${type}\\?`), ''));
  // a search with no criterion matches everything: the create would answer some other resource
  // (or, on an empty header, none) instead of being made
  if (!Object.entries(params).some(([name, values]) => !isResultParam(name) && values.some((v) => v !== '')))
    throw new MediatorError(400, {
      code: 'required',
      diagnostics: `${where} '${query}' names no search criterion; give the resource's business identifier (identifier=system|value), or leave the condition out`,
      expression: [where],
    });
  const found = await readToChange(ctx, () =>
    searchResources({ ...ctx, strictHandling: true }, type, params, { all: true }),
  ).catch((err: unknown) => {
    throw conditionRefused(err, where, query);
  });
  if (found.resources.length <= 1) return found.resources[0];
  const id = wouldBe();
  const itself = found.resources.find((r) => r.id === id);
  if (itself) return itself;
  // FHIR http.html#ccreate: 412, the criteria not selective enough; `conflict` would say a version clash
  throw new MediatorError(412, {
    code: 'multiple-matches',
    diagnostics: `If-None-Exist '${query}' matches ${found.resources.length} resources; it must identify at most one`,
    expression: [where],
  });
}

export async function update(
  ctx: FhirContext,
  type: string,
  id: string,
  body: unknown,
  ifMatch?: string,
  ifNoneMatch?: string,
): Promise<FhirResult> {
  const route = requireRoute(ctx, type);
  assertValidResource(ctx.version, body, type, validationOptions(ctx));
  const resource = body as Json;
  if (resource.id !== id) {
    throw new MediatorError(400, {
      code: 'invalid',
      diagnostics: `The body's id '${resource.id ?? '(none)'}' must equal the id in the URL '${id}'`,
      expression: [`${type}.id`],
    });
  }
  const service = serviceFor<unknown>(ctx, route);
  const conditions = { ifMatch, ifNoneMatch };
  const begun = changeBegun(ctx);
  return exclusively(ctx, writeLocks(ctx, route, id, resource), () =>
    updateChecked(begun, route, service, resource, conditions),
  ).catch(changedAt(type));
}

/**
 * The names a write of a resource is serialized under (FhirServices.exclusively): its id; the
 * group it is written as one object with (an order line: its order), since a change of one line
 * is a revision of the whole order built on the order as read, and two revisions built on one read
 * would undo each other's lines; and, for a type whose creates replace what exists, each business
 * identifier it carries. Such a create finds what it replaces by identifier, not by id (a POST of
 * a facility's code and a PUT of Location/[its OpenLMIS id] write one facility): they meet on the
 * identifier. The group is the one the body names: a line read back in another group is refused
 * inside the step (updateChecked), so the group locked is the one written.
 */
export function writeLocks(ctx: FhirContext, route: ResourceRoute, id: string, resource: Json): string[] {
  const names = [`${route.type}/${id}`];
  const group = groupOf(ctx, route, resource);
  if (group && group !== names[0]) names.push(`${route.type}@${group}`);
  if (!route.createReplaces || !Array.isArray(resource?.identifier)) return names;
  for (const i of resource.identifier as Json[])
    if (typeof i?.system === 'string' && typeof i?.value === 'string')
      names.push(`${route.type}?identifier=${i.system}|${i.value}`);
  return names;
}

/**
 * Runs a write of these resources as one step with every other write of them. An If-Match is
 * checked and written in that step, so another update from the same version waits, then reads the
 * version this one wrote and gets its 412. Writes without If-Match take the same step: one that
 * could land between an If-Match's check and its write would have the If-Match client replace a
 * version it never saw. (Each write's upstream delivery is attempted inside the step, so writes of
 * one resource also reach its system in the order they were taken.)
 */
export function exclusively<T>(ctx: FhirContext, names: string[], fn: () => Promise<T>): Promise<T> {
  return names.length && ctx.services.exclusively ? ctx.services.exclusively(names, fn) : fn();
}

async function updateChecked(
  ctx: FhirContext,
  route: ResourceRoute,
  service: FlowService<unknown>,
  resource: Json,
  { ifMatch, ifNoneMatch }: { ifMatch?: string; ifNoneMatch?: string },
): Promise<FhirResult> {
  const { type } = route;
  const id = String(resource.id);
  let currentValue: unknown;
  try {
    currentValue = await readToChange(ctx, () => service.read(id));
  } catch (err) {
    return updateOfDeleted(type, id, resource, err);
  }
  const current = currentValue ? resourceOf(ctx, route, id, currentValue) : undefined;
  // what is asked for is there already (a read sent back unedited; a change sent again after its
  // answer was lost, its If-Match now naming an older version): 200 with the resource as it is,
  // not a 412 nor a second write. Not while a write to it is queued or given up: the outbox
  // answers that, and the If-Match is checked as always.
  if (
    current &&
    currentValue &&
    alreadyInPlace(type, current, resource, currentValue) &&
    (await settledNow(service, id))
  ) {
    checkIfNoneMatch(current, ifNoneMatch, `${type}/${id}`);
    return writeResult(ctx, type, id, { status: 'unchanged', value: currentValue });
  }
  checkIfMatch(current, ifMatch, `${type}/${id}`);
  checkIfNoneMatch(current, ifNoneMatch, `${type}/${id}`);
  const part = decodePart(ctx, route, resource, 'update');
  const previous = currentValue && sameGroup(ctx, route, current, part) ? stripLastUpdated(currentValue) : undefined;
  if (current && !previous) {
    throw new ConflictError(
      `${type}/${id} belongs to another order or delivery number; it cannot be moved by an update`,
      409,
      [`${type}.identifier`],
    );
  }
  const value = part.build(previous);
  const outcome = await service
    .write(value, {
      mode: 'update',
      actor: ctx.actor,
      transactionId: ctx.transactionId,
      current: { value: currentValue },
      checksSince: ctx.checksSince,
      entries: writtenEntries(ctx.batchEntry, current ? 200 : 201, `${ctx.baseUrl}/${type}/${id}`),
    })
    .catch((err: unknown) => {
      if (err instanceof ChangedMeanwhileError) throw changedMeanwhile(`${type}/${id}`, ifMatch, ['If-Match', type]);
      throw inPostedTerms(
        err,
        fhirPathTranslator(ctx.version, route.type, value, [{ id: part.id, path: route.type, resource }]),
      );
    });
  return writeResult(ctx, type, id, { ...outcome, status: updateStatus(outcome.status, !!currentValue) }, value);
}

/**
 * The answer to a change that lost to another change of the same version (routing's
 * ChangedMeanwhileError: two changes of one order from one revision, the other accepted first).
 * FHIR's version conflict (http.html#concurrency): 412 to a client that sent If-Match, whose
 * version is no longer current; else 409. It names the resource and what to do, not the outbox's
 * business key. `where`: the If-Match and the resource, as the request names them.
 */
export function changedMeanwhile(
  ref: string,
  ifMatch: string | undefined,
  [ifMatchAt, resourceAt]: [string, string],
): ConflictError {
  return new ConflictError(
    `${ref} changed meanwhile: another change of ${ref.includes('SupplyRequest/') ? 'its order' : 'it'}, made from the same version${ifMatch ? ` (${ifMatch})` : ''}, was accepted first and nothing of this one was written; read ${ref} again, apply your change to what it holds now and send it again`,
    ifMatch ? 412 : 409,
    [ifMatch ? ifMatchAt : resourceAt],
  );
}

/** An update of a resource that exists answers 200, one that makes it 201 (FHIR http.html#update). */
export function updateStatus(
  status: WriteOutcome<unknown>['status'],
  existed: boolean,
): WriteOutcome<unknown>['status'] {
  if (existed && status === 'created') return 'updated';
  if (!existed && status === 'updated') return 'created';
  return status;
}

/**
 * vread: only the current version is kept (each system of record keeps its own history, if any),
 * so an older version is 410 Gone with the version that is current.
 */
export async function vread(
  ctx: FhirContext,
  type: string,
  id: string,
  vid: string,
  conditions?: ReadConditions,
): Promise<FhirResult> {
  const result = await read(ctx, type, id);
  if (result.status === 301) return result;
  const resource = result.body as Json;
  // a version of the earlier form is the current one while the content is unchanged (version-id.ts)
  if (!atVersion(resource, [vid])) {
    throw new MediatorError(410, {
      code: 'deleted',
      diagnostics: `${type}/${id} version ${vid} is no longer available: only the current version W/"${resource.meta?.versionId}" is kept`,
      expression: ['vid'],
    });
  }
  if (notModified(resource, conditions)) return { status: 304, headers: result.headers };
  return result;
}

/** Where a request's method and id are named in an error: the HTTP request, or a Bundle entry's. */
export interface RequestParts {
  method: string;
  id: string;
}
const REQUEST: RequestParts = { method: 'method', id: 'id' };

/** PATCH with a JSON Patch: applied to the current resource, then written as that PUT would be. */
export async function patch(
  ctx: FhirContext,
  type: string,
  id: string,
  body: unknown,
  ifMatch?: string,
): Promise<FhirResult> {
  // its read of the resource patched and its write share one bound (readToChange)
  const begun = changeBegun(ctx);
  return patchedResource(begun, type, id, body, ifMatch, 'PATCH').then(
    (change) => update(begun, type, id, ...change),
    changedAt(type),
  );
}

/** The resource a JSON Patch makes of the current one, and the If-Match that guards its write. */
export async function patchedResource(
  ctx: FhirContext,
  type: string,
  id: string,
  body: unknown,
  ifMatch: string | undefined,
  where: string,
  at = REQUEST,
): Promise<[Json, string]> {
  const [current, guard] = await currentToChange(ctx, type, id, ifMatch, at, {
    interaction: 'patch',
    notAllowed: `PATCH ${type}/${id} is not supported`,
    notFound: `${type}/${id} is not known: a patch needs the resource it changes`,
    // a patch sent again after it applied (the SDK's upload retried): applied to the current
    // version it changes nothing. One that fails there (a `test`) is not in place: its 412 stands
    inPlace: async (c, held) =>
      patchLeaves(c, body, where, type, held) && (await settledNow(serviceFor(ctx, requireRoute(ctx, type)), id)),
  });
  return [applyJsonPatch(current, body, where), guard];
}

/**
 * Whether this patch, applied to `current`, leaves what it asks for in place (alreadyInPlace),
 * judged with the value the system read (`held`) as a PUT's is: what it keeps of a delivery's
 * date received is there, not in the FHIR.
 */
function patchLeaves(current: Json, patch: unknown, where: string, type: string, held: unknown): boolean {
  try {
    return alreadyInPlace(type, current, applyJsonPatch(current, patch, where), held);
  } catch {
    return false;
  }
}

/**
 * DELETE means what it means for the resource: a facility is deactivated (status inactive, as a
 * registry closes it; its record stays in every system); an order line is cancelled (the order is
 * changed or cancelled upstream as far as its system allows); other types say what they allow.
 */
export async function remove(ctx: FhirContext, type: string, id: string, ifMatch?: string): Promise<FhirResult> {
  // by an id the record is not served under here: the 409 at its id, as a PUT's or PATCH's
  const begun = changeBegun(ctx);
  const deleted = await deletedResource(begun, type, id, ifMatch)
    .catch(alreadyDeleted(type, id))
    .catch(changedAt(type));
  if ('status' in deleted) return deleted;
  return deleteAnswer(type, id, await update(begun, type, id, ...deleted));
}

/**
 * The answer to a DELETE carried out as an update (alone or as a transaction entry). One line of a
 * standing order cancelled: the order written back holds the others, not this one, so the answer
 * says the line is deleted instead of showing another line under its ETag.
 */
export function deleteAnswer(type: string, id: string, result: FhirResult): FhirResult {
  if (result.status < 300 && result.body?.id !== undefined && result.body.id !== id)
    return { status: result.status, body: informational(`${type}/${id} is deleted: ${removedFrom(type)}`) };
  return result;
}

function removedFrom(type: string): string {
  return type === 'SupplyRequest' ? 'the order line is cancelled and its order goes on without it' : 'it is removed';
}

/**
 * A DELETE of what is deleted already (an order line cancelled before; its read is 410) changes
 * nothing and answers 200 (FHIR http.html#delete), so a client retrying its upload succeeds.
 */
export function alreadyDeleted(type: string, id: string) {
  return (err: unknown): FhirResult => {
    if (!(err instanceof GoneError)) throw err;
    return { status: 200, body: informational(`${type}/${id} is already deleted: nothing changed`) };
  };
}

const DELETED_STATUS: Record<string, string> = { Location: 'inactive', SupplyRequest: 'cancelled' };

/**
 * A change is made to the resource as its system holds it now; when that system does not answer
 * the read (down, timing out), the change is refused before anything is recorded. Said so, with
 * the system's own reason: the bare failure of a GET would not tell the client that its change
 * was not taken, or that sending it again later is the remedy. Transient and status are kept (a
 * 502/504 OpenHIM may retry).
 */
export function unreadableForChange(ref: string, err: unknown): unknown {
  if (!(err instanceof UpstreamError) || !err.transient) return err;
  const reason = err.issues[0]?.diagnostics?.replace(`${err.system}: `, '') ?? 'no answer';
  return new UpstreamError({
    system: err.system,
    transient: true,
    status: err.status,
    code: err.issues[0]?.code,
    upstreamStatus: err.upstreamStatus,
    diagnostics: `${ref} could not be read as ${err.system} holds it now, to apply this change to (${reason}); nothing of the change was written or queued: send it again later`,
  });
}

/**
 * A PUT of a resource that reads as deleted (410: an order line cancelled out of its order). FHIR
 * lists 410 for a read, not for an update (http.html#update: 400, 404, 405, 409, 412, 422), and
 * leaves it to the server whether an update brings a deleted resource back. Sending the deletion
 * again (status cancelled) changes nothing and answers 200, as a second DELETE does; anything else
 * is a 409, as a change of a cancelled whole order is: the line is not put back into its order.
 */
export function updateOfDeleted(type: string, id: string, resource: Json, err: unknown, where = type): FhirResult {
  // a transaction entry by an id served as another (readCurrent): its 409 names the entry's id
  if (err instanceof KnownAsError) changedAt(type, where)(err);
  if (!(err instanceof GoneError)) throw unreadableForChange(`${type}/${id}`, err);
  if (resource?.status === DELETED_STATUS[type]) return alreadyDeleted(type, id)(err);
  throw new ConflictError(
    `${type}/${id} is deleted (${err.issues[0]?.diagnostics ?? 'gone'}); it cannot be changed or brought back into its order`,
    409,
    [`${where}.status`],
  );
}

export async function deletedResource(
  ctx: FhirContext,
  type: string,
  id: string,
  ifMatch: string | undefined,
  at = REQUEST,
): Promise<[Json, string]> {
  const deleted = DELETED_STATUS[type] ?? 'inactive';
  const [current, guard] = await currentToChange(ctx, type, id, ifMatch, at, {
    interaction: 'delete',
    notAllowed: `DELETE ${type}/${id} is not supported: change its status with PUT or PATCH`,
    notFound: `${type}/${id} is not known`,
    // a DELETE asks for the status alone: one sent again after it applied finds it in place
    // (not while a write to it is queued: its If-Match is checked as always)
    inPlace: async (c) => c.status === deleted && (await settledNow(serviceFor(ctx, requireRoute(ctx, type)), id)),
  });
  return [{ ...current, status: deleted }, guard];
}

/**
 * The current resource a PATCH or DELETE turns into a PUT, checked against If-Match, and the
 * If-Match that guards that PUT: the version changed is the version written over, so a change in
 * between is a 412, not lost.
 */
async function currentToChange(
  ctx: FhirContext,
  type: string,
  id: string,
  ifMatch: string | undefined,
  at: RequestParts,
  refusals: {
    interaction: 'patch' | 'delete';
    notAllowed: string;
    notFound: string;
    /**
     * Whether the change is already in place in this current resource (then a stale If-Match is
     * no 412); `held`: the value its system read.
     */
    inPlace?: (current: Json, held: unknown) => Promise<boolean>;
  },
): Promise<[Json, string]> {
  const route = requireRoute(ctx, type);
  if (!route.interactions.includes(refusals.interaction)) {
    throw new MethodNotAllowedError(refusals.notAllowed, allowedMethods(route, 'instance'), [at.method]);
  }
  const read = await readToChange(ctx, () => readCurrent(ctx, route, id)).catch((err: unknown) => {
    throw unreadableForChange(`${type}/${id}`, err);
  });
  if (!read) throw new MediatorError(404, { code: 'not-found', diagnostics: refusals.notFound, expression: [at.id] });
  const current = read.resource;
  // in place already: the update of the current version that follows writes nothing (updateChecked)
  if (!ifMatch || !(await refusals.inPlace?.(current, read.value))) checkIfMatch(current, ifMatch, `${type}/${id}`);
  // the version changed, not the If-Match as sent: an If-Match * must not let a change made in
  // between be written over
  return [current, `W/"${current.meta?.versionId}"`];
}

export function sameGroup(
  ctx: FhirContext,
  route: ResourceRoute,
  current: Json | undefined,
  part: Part<unknown>,
): boolean {
  if (!current) return false;
  const adapter = adapters[route.type];
  const key = adapter.groupKeyOf ? adapter.groupKeyOf(current) : decodePart(ctx, route, current, 'update').groupKey;
  return key === part.groupKey;
}

function stripLastUpdated<T>(value: T): T {
  return { ...(value as object), lastUpdated: undefined } as T;
}

export async function validateOperation(ctx: FhirContext, type: string, body: unknown): Promise<FhirResult> {
  requireRoute(ctx, type);
  const resource =
    (body as Json)?.resourceType === 'Parameters'
      ? (body as Json).parameter?.find((p: Json) => p.name === 'resource')?.resource
      : body;
  assertValidResource(ctx.version, resource, type, validationOptions(ctx));
  return {
    status: 200,
    body: {
      resourceType: 'OperationOutcome',
      issue: [
        {
          severity: 'information',
          code: 'informational',
          diagnostics: `${type} is valid FHIR ${ctx.version.toUpperCase()}`,
        },
      ],
    },
  };
}

export type { SearchCriteria };
