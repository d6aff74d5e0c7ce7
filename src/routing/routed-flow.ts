import {
  ChangedMeanwhileError,
  CompletedUpstreamError,
  ConflictError,
  GoneError,
  KnownAsError,
  MediatorError,
  NotConfiguredError,
  NotFoundError,
  SearchNeedsParameterError,
  UnknownFacilityError,
  isTransient,
} from '../domain/errors.js';
import { KeyTakenError } from '../outbox/errors.js';
import { acceptAsHeld, type HeldOutcomes, type SameWrite } from './same-write.js';
import type { Flow, FlowService, WriteContext, WriteOutcome } from '../fhir/services.js';
import { systemsForFlow } from '../fhir/services.js';
import type { Outbox } from '../outbox/outbox.js';
import { recordLockWaitMs, underRecordLock } from './record-write-lock.js';
import type {
  AcceptOptions,
  AcceptWriteRequest,
  DeliveryContext,
  FirstOutcome,
  WriteOutcome as OutboxOutcome,
} from '../outbox/types.js';
import type {
  JobStatus,
  LookupsAhead,
  OutboxJob,
  ResourceLink,
  SeenVersion,
  Store,
  WritesAhead,
} from '../store/types.js';
import type { Connector, Page, SearchCriteria, WriteResult } from './ports.js';
import { formerKeyOf, heldAsWriteOf, secondaryKey, type FlowSpec } from './flows.js';
import { storeOrder } from './delivery-overtaken.js';
import { facilityFacts } from './facility-facts.js';
import { jobsWrittenUnder } from './jobs-written-under.js';
import { readOnlyReason, readOnlyReasons, refuseReadOnlyWrite } from './read-only.js';
import { resolveTargets, type FlowRouting, type Targets } from './rules.js';
import { withinDeadline } from '../platform/deadline.js';
import { answeredAtOnce, answeredWithin, checkedOrQueued, writeBudgetOf } from './checks-deadline.js';
import { canonicalJson, contentVersion } from '../domain/ids.js';
import { isWholeSecond, refinedStamp } from './whole-second-stamp.js';
import { SeenVersions, sightingTrustMs, type Sighting } from './seen-versions.js';
import { WrittenLinks } from './written-links.js';

/**
 * The flows whose connectors take a search by id (`_id`) as ids they hold the record under, so an
 * id a write came under is asked as its link's upstream id. The others' searches list by facility
 * or period, and the edge keeps the ids asked for among what they list.
 */
const BY_LINKED_ID = new Set<Flow>(['facilities', 'orders']);

/**
 * One flow served by the connectors that have its capability: reads are live from the system
 * of record (through the resource links when the FHIR id is ours), writes go through the outbox
 * (durable before acknowledged, deduplicated on the business key).
 */
export class RoutedFlow<T> implements FlowService<T> {
  /** Versions of what reads return, hashed again only when the content changed. */
  private readonly seenVersions: SeenVersions;
  /** What a search's upstream objects are linked to by writes, read again only after a link write. */
  private readonly writtenLinks: WrittenLinks;
  /** How each value acceptRequests made requests of came (a PUT's `current`), for sameWrite's answerable. */
  private readonly sentWith = new WeakMap<object, WriteContext>();

  constructor(
    private readonly spec: FlowSpec<T>,
    private readonly connectors: Connector[],
    private readonly outbox: Outbox,
    private readonly store: Store,
    private readonly routing?: FlowRouting,
    /** RoutingDeps.recordsEntries: a batch entry's map is kept only for OpenHIM updates. */
    private readonly recordsEntries: () => boolean = () => true,
  ) {
    this.seenVersions = new SeenVersions(undefined, sightingTrustMs(store));
    this.writtenLinks = new WrittenLinks(store);
  }

  /**
   * The systems a write goes to, by fhir-mappings/routing.json: the system of record for its
   * facility (first matching rule, else the default) and the secondary targets it fans out to.
   * No connector taking the flow at all: 501 naming what to configure; a facility none serves: 422.
   */
  async targets(value: T, lookups: Pick<Store, 'listCrosswalkByRegistryId'> = this.store): Promise<Targets> {
    refuseReadOnlyWrite(this.spec, this.connectors, value);
    const writers = this.connectors.filter((x) => this.spec.write(x));
    if (!writers.length) throw new NotConfiguredError(this.spec.flow, systemsForFlow[this.spec.flow]);
    const by = this.spec.routeBy(value);
    const subject = {
      facility: by.facility,
      program: by.program,
      facts: facilityFacts(lookups, this.connectors, by.facility, by.types),
    };
    return resolveTargets(
      this.spec.flow,
      this.routing,
      subject,
      writers.map((c) => c.system),
      [by.facilityPath],
      readOnlyReasons(this.spec, this.connectors),
    );
  }

  /** Why the flow takes no writes now (only read-only systems serve it), for the CapabilityStatement. */
  readOnly(): string | undefined {
    return readOnlyReason(this.spec, this.connectors);
  }

  private connector(system: string): Connector {
    return this.connectors.find((c) => c.system === system && this.spec.write(c))!;
  }

  async read(id: string): Promise<T | undefined> {
    const value = await this.readLive(id);
    return value && (await this.stampSeen([value]))[0];
  }

  private async readLive(id: string): Promise<T | undefined> {
    const link = await this.store.getLink(this.spec.flow, id);
    const linked = link && (await this.readLinked(link));
    if (linked && !link.jobId && this.spec.keepsWritten !== true) {
      // a link a read made (a search listed it, a delivery named it), not a write's: the record
      // may be one a write made under other ids, which are its ids (refuseSecondId)
      const links = await this.linksOf(link.system, [linked]);
      const own = await this.refuseSecondId(link.system, id, linked, links, this.formerId(link, linked));
      await this.rememberNamed(link.system, linked);
      return own === linked ? this.withWrittenRefs(link.system, linked, links) : own;
    }
    if (linked) {
      await this.rememberNamed(link.system, linked);
      return this.withWrittenRefs(link.system, linked);
    }
    // nothing written under it stands (its write refused): a record its system holds under this
    // id (a PUT of it the system refused) is there as it was
    for (const c of this.readers()) {
      const value = await this.spec.read(c)!(id);
      if (value) {
        // one look-up of the written links serves both: whether `id` is a second id, and the
        // ids the records it names were written under
        const links = this.spec.keepsWritten === true ? undefined : await this.linksOf(c.system, [value]);
        // `id` may be the upstream id of an object that now reads as another (formerIds)
        const own = await this.refuseSecondId(c.system, id, value, links, this.formerIdIn(c, id, id, value));
        await this.rememberNamed(c.system, value, id === (value as { id?: string }).id);
        return own === value ? this.withWrittenRefs(c.system, value, links) : own;
      }
    }
    return undefined;
  }

  /**
   * A read by id links the records of other flows the value names (FlowSpec.namedRecords). One
   * `bySystemId` (read by its system's own id, no link to it) also links each other id it is served
   * under that has no link yet, as a search listing it does (an OpenLMIS delivery's line ids: the
   * R4 id a read by its R5 id on R4 redirects to, unreadable until a search had listed it). A link
   * stored (a write's) is never replaced. One store write, none when nothing is new.
   */
  private async rememberNamed(system: string, value: T, bySystemId = false): Promise<void> {
    const upstreamId = this.readBackId(value);
    const ids = bySystemId && upstreamId ? this.spec.fhirIds(value).filter((id) => id !== upstreamId) : [];
    // one look-up for every id (a 50-line proof of delivery was 50 reads of the store)
    const stored = ids.length ? await this.store.linkedFhirIds(this.spec.flow, ids) : new Set<string>();
    const links: ResourceLink[] = ids
      .filter((id) => !stored.has(id))
      .map((fhirId) => ({ flow: this.spec.flow, fhirId, system, upstreamId: upstreamId!, fromRead: true }));
    links.push(...this.namedLinks(system, [value]));
    if (links.length) await this.store.putLinks(links);
  }

  /**
   * A record read by its system's own id (an org unit's UID) that a write made under another id
   * is that other id, as a search lists it (withWrittenIds): a client must not get it under two
   * ids, and store it twice. `id` is then a second id: KnownAsError names the first. Otherwise
   * the value with what its write gave it where the record keeps its own id (an OpenMRS delivery
   * read on R5 by its operation's uuid: the app's delivery number, as a search lists it, not the
   * operation's), else `value`.
   */
  private async refuseSecondId(
    system: string,
    id: string,
    value: T,
    links?: readonly ResourceLink[],
    /** The id the value now has for `id`, when `id` is one it was served under before (formerId). */
    now?: string,
  ): Promise<T> {
    if (this.spec.keepsWritten === true) return value;
    const [own] = await this.withWrittenIds(system, [value], links);
    if (own === value && now === undefined) return value;
    const ids = this.spec.fhirIds(own);
    const known = ids[this.spec.fhirIds(value).indexOf(now ?? id)];
    if (ids.includes(id)) return ids[0] === this.spec.fhirIds(value)[0] ? own : value;
    if (known === undefined) return value;
    // an id it had before (formerIds): the redirect says what it was, not that it is a system's own
    const connector = now === undefined ? undefined : this.connectors.find((c) => c.system === system);
    const why = connector && this.spec.formerIdsWhy?.(connector);
    // one several records had: its link names the last one listed, maybe not the client's
    const all = connector ? ((await this.spec.formerIdNow?.(connector)?.(value, id)) ?? []) : [];
    if (all.length > 1)
      throw new ConflictError(
        `${id} was an id of ${all.length} records, which have their own ids now: ${all.join(', ')}; it names none of them alone: read and change the one meant by its id`,
        409,
        ['id'],
      );
    throw new KnownAsError(id, known, why);
  }

  /**
   * The id the value read through `link` now has for the id the link was made for, when that is
   * one its connector served it under before (FlowSpec.formerIds): a client holding it is
   * redirected to the one id the record has now, and keeps one copy of it.
   */
  private formerId(link: ResourceLink, value: T): string | undefined {
    const connector = this.connectors.find((c) => c.system === link.system);
    return connector && link.upstreamId ? this.formerIdIn(connector, link.upstreamId, link.fhirId, value) : undefined;
  }

  /** The id `fhirId` now has in the value `connector` read from upstream object `upstreamId`, when it is a former one. */
  private formerIdIn(connector: Connector, upstreamId: string, fhirId: string, value: T): string | undefined {
    return this.spec.formerIds?.(connector)?.(upstreamId, value).get(fhirId);
  }

  /**
   * meta.lastUpdated must be real for incremental sync (`_lastUpdated=gt…`): an object whose system
   * keeps no change time (an OpenLMIS facility) is stamped with the time the mediator first saw
   * this content, kept in the store, so a change shows as a later time and no change as none.
   */
  private async stampSeen(items: T[], seenBy: Pick<Store, 'firstSeen'> = this.store): Promise<T[]> {
    const key = (item: T) => this.spec.fhirIds(item)[0];
    const unstamped = items.filter((item) => this.needsSighting(item) && key(item));
    if (!unstamped.length) return items;
    const sightings = new Map(
      unstamped.map((item) => [key(item), this.seenVersions.sighting(key(item), this.versionOf(item))]),
    );
    const seen = await this.firstSightings(sightings, seenBy);
    return items.map((item) => {
      const at = this.needsSighting(item) ? seen.get(key(item)) : undefined;
      if (at === undefined) return item;
      const upstream = lastUpdatedOf(item);
      const stamp = upstream
        ? () => ({ ...item, lastUpdated: refinedStamp(upstream, at) })
        : () => this.withSeenTime(item, new Date(at).toISOString());
      return this.seenVersions.stamped(sightings.get(key(item))!, item, at, stamp);
    });
  }

  /** An item without a change time, or with one kept only to the second (whole-second-stamp.ts). */
  private needsSighting(item: T): boolean {
    const upstream = lastUpdatedOf(item);
    return !upstream || isWholeSecond(upstream);
  }

  /** What of an item makes its version: not its change time, nor a time that is the read's (FlowSpec.readTime). */
  private versionOf(item: T): T {
    const unread = this.spec.readTime ? this.spec.readTime.without(item) : item;
    // canonicalJson leaves undefined members out: an item without lastUpdated needs no copy
    return lastUpdatedOf(unread) === undefined ? unread : { ...unread, lastUpdated: undefined };
  }

  /** The item stamped with the time its version was first seen, as its change time (and the read's time it stood for). */
  private withSeenTime(item: T, at: string): T {
    const stamped = { ...item, lastUpdated: at };
    return this.spec.readTime ? this.spec.readTime.at(stamped, at) : stamped;
  }

  /**
   * The first sightings of these versions: those the store answered a moment ago for the same
   * version are remembered (seen-versions.ts), the rest are read, and recorded when new. A write's
   * read-back (`seenBy` not the store: its sighting is not on disk yet) always asks.
   */
  private async firstSightings(
    sightings: Map<string, Sighting>,
    seenBy: Pick<Store, 'firstSeen'>,
  ): Promise<Map<string, number>> {
    const known = new Map<string, number>();
    const ask: SeenVersion[] = [];
    for (const [fhirId, s] of sightings) {
      const at = seenBy === this.store ? this.seenVersions.trusted(s) : undefined;
      if (at === undefined) ask.push({ fhirId, version: s.version });
      else known.set(fhirId, at);
    }
    if (!ask.length) return known;
    const answered = await seenBy.firstSeen(this.spec.flow, ask, Date.now());
    for (const { fhirId } of ask) {
      const at = answered.get(fhirId);
      if (seenBy === this.store) this.seenVersions.read(sightings.get(fhirId)!, at);
      if (at !== undefined) known.set(fhirId, at);
    }
    return known;
  }

  async search(criteria: SearchCriteria): Promise<Page<T>> {
    const searchers = this.connectors.filter((c) => this.spec.search(c));
    if (!searchers.length) throw new NotConfiguredError(this.spec.flow, systemsForFlow[this.spec.flow]);
    // one system may page upstream; several each return every match, merged, sorted and paged by
    // the FHIR layer (cursors of two systems cannot make one page)
    const asked = searchers.length === 1 ? criteria : { ...criteria, page: undefined };
    // the writes under the searched identifier, read once for every system (each takes its own)
    let writes: Promise<OutboxJob[]> | undefined;
    const writtenJobs = () => (writes ??= jobsWrittenUnder(this.store, this.spec.writtenUnder, asked.identifier));
    const answers = await Promise.all(
      searchers.map(async (c) => {
        const page = await this.spec.search(c)!(await this.inSystemTerms(c.system, asked)).catch((err: unknown) =>
          err instanceof SearchNeedsParameterError ? err : Promise.reject(err),
        );
        if (page instanceof SearchNeedsParameterError) return page;
        const items = await this.withWrittenIds(c.system, page.items);
        await this.remember(c.system, items, !!asked.supplier && !!this.spec.linksOwnIds?.(c));
        const written = await this.writtenUnderIdentifier(
          c.system,
          await this.inSystemTerms(c.system, asked),
          items,
          writtenJobs,
        );
        return { ...page, items: await this.stampSeen(items), written };
      }),
    );
    // a system that cannot answer the search as asked (stock without a location) adds nothing,
    // and the answer says which were left out and what they need (Page.leftOut); with none that
    // can, each says what it needs in a 422
    const pages = withWrittenOnce(
      answers.filter((a): a is Page<T> & { written: T[] } => !(a instanceof SearchNeedsParameterError)),
    );
    if (!pages.length)
      throw new MediatorError(
        422,
        answers.flatMap((a) => (a instanceof SearchNeedsParameterError ? a.issues : [])),
      );
    if (pages.length === 1 && searchers.length === 1) return pages[0];
    const leftOut = answers.flatMap((a) => (a instanceof SearchNeedsParameterError ? a.issues : []));
    return { items: pages.flatMap((p) => p.items), ...(leftOut.length ? { leftOut } : {}) };
  }

  /**
   * What writes to `system` recorded under the identifier a search names (FlowSpec.writtenUnder),
   * read by the id each write's answer gave, less those the system listed already: the system
   * lists them under its own identifier, so a client searching by its own (an app that lost the
   * answer, a conditional create) found nothing and would write again. A refused write is not one.
   * `writtenJobs`: the jobs recorded under the identifier (jobsWrittenUnder), any system's.
   */
  private async writtenUnderIdentifier(
    system: string,
    criteria: SearchCriteria,
    listed: T[],
    writtenJobs: () => Promise<OutboxJob[]>,
  ): Promise<T[]> {
    const jobs = await writtenJobs();
    if (!jobs.length) return [];
    // every id a listed item is served under: a write confirming what the system lists (its proof
    // of delivery, under the ids the write gave its lines) is listed already
    const have = new Set(listed.flatMap((v) => [(v as { id?: string }).id, ...this.spec.fhirIds(v)]));
    const found: T[] = [];
    for (const job of jobs) {
      if (job.system !== system || job.status === 'rejected' || job.status === 'dead') continue;
      const id = this.spec.fhirIds(job.payload as T)[0];
      if (!id || have.has(id)) continue;
      const value = await this.read(id).catch(undefinedIfGone);
      if (!value || !this.spec.writtenUnder!.matches(value, criteria)) continue;
      found.push(value);
      have.add(id);
    }
    return found;
  }

  /**
   * A search naming a facility by the id the mediator gave a Location it wrote (a create's id,
   * from its identifier, as its answer said): the system of record holds that facility under its
   * own id (the link's upstream id), and is asked by it, so the children of a Location created
   * here, or the deliveries to it, are found by the id the client was given.
   */
  private async inSystemTerms(system: string, criteria: SearchCriteria): Promise<SearchCriteria> {
    let asked = criteria;
    // a Location by its id: the system holds it under its own (and by that id, it is not found:
    // refuseSecondId); an order line by the id its write came under (a client's PUT), as a read
    // finds it: by its order's upstream id (OpenLMIS's requisition), asked once for all its lines
    if (BY_LINKED_ID.has(this.spec.flow) && criteria.ids?.length) {
      const ids = await Promise.all(criteria.ids.map((id) => this.upstreamIdIn(system, id, this.spec.flow)));
      asked = { ...asked, ids: [...new Set(ids)] };
    }
    for (const key of ['partOf', 'facility'] as const) {
      const id = criteria[key];
      if (!id) continue;
      const upstreamId = await this.upstreamIdIn(system, id);
      if (upstreamId !== id) asked = { ...asked, [key]: upstreamId };
    }
    // a delivery's order line by an id the client read it under (its write's, an app's PUT; or one
    // a delivery named), as a read of that line finds it: by its order's upstream id, which each
    // system's deliveries match too (OpenLMIS's requisition, Open mSupply's request requisition)
    if (criteria.basedOn) {
      const order = await this.upstreamIdIn(system, criteria.basedOn, 'orders');
      if (order !== criteria.basedOn) asked = { ...asked, basedOn: order };
    }
    return asked;
  }

  /** The id `system` holds the facility (or `flow`'s record) with this FHIR id under: its link's, else the id itself. */
  private async upstreamIdIn(system: string, id: string, flow: Flow = 'facilities'): Promise<string> {
    const link = await this.store.getLink(flow, id);
    return link?.upstreamId && link.system === system ? link.upstreamId : id;
  }

  /** One write; FhirServices.writeAll accepts several together. */
  async write(sent: T, context: WriteContext): Promise<WriteOutcome<T>> {
    // the store lookups before the write is recorded only feed that write, whose own sync
    // covers what they saw: they need not wait for the disk (Store.lookupsAhead)
    const lookups = this.store.lookupsAhead();
    const budget = writeBudgetOf(this.outbox);
    let value: T;
    let primary: OutboxOutcome;
    let held: OutboxJob | undefined;
    try {
      // its facility's targets are looked up once, for the precheck and for the outbox jobs
      let targets: Targets | undefined;
      const check = async (revised: T) => {
        targets = await this.targets(revised, lookups);
        await this.precheck(revised, [], targets);
      };
      let revising: Promise<T> | undefined;
      const checked = async () => {
        revising = this.revise(sent, context, lookups);
        const revised = await revising;
        // a write the upstream cannot be asked about now is queued: its delivery checks it again
        await check(revised).catch((err: unknown) => {
          if (!isTransient(err)) throw err;
        });
        return revised;
      };
      // a system too slow to answer the checks in time is one that cannot be asked now, as above
      const { value: checkedValue, unchecked } = await checkedOrQueued(
        budget,
        checked,
        () => revising,
        context.checksSince,
      );
      value = checkedValue;
      // the answer is the system of record's; secondary targets are their own jobs (admin API)
      // the job's end settles at its COMMIT (endAhead): the read-back below overlaps its sync
      const options = { endAhead: true, entries: this.recordsEntries() ? context.entries : undefined };
      const requests = await this.acceptRequests(value, context, targets);
      const waited = unchecked
        ? answeredAtOnce(requests)
        : answeredWithin(requests, budget?.deliveryWait(context.checksSince));
      const accepted = await this.acceptAsHeld(waited, options);
      [primary] = accepted.outcomes;
      held = accepted.sameAs.get(0);
    } catch (err) {
      // a refusal may rest on what those lookups saw: it is answered once that is on disk
      await this.store.durable();
      throw this.lostRace(err, value!, context);
    }
    value = this.asWritten(value, primary, held);
    const ahead = this.store.writesAhead();
    // taken now, after the end's COMMIT: the sync of that end, not of what commits later
    const onDisk = ahead.onDisk();
    onDisk.catch(() => undefined); // awaited below; a failure is not "unhandled" meanwhile
    try {
      return await this.asStored(this.toWriteOutcome(value, primary), ahead);
    } finally {
      // nobody is answered before the write's end is on disk
      await onDisk;
    }
  }

  /** Outbox.acceptWrites, a write the same as the one holding its key answered as it (acceptAsHeld). */
  acceptAsHeld(requests: AcceptWriteRequest[], options: AcceptOptions = {}): Promise<HeldOutcomes> {
    const same = this.sameWrite();
    return acceptAsHeld(
      (reqs) => this.outbox.acceptWrites(reqs, options),
      requests,
      (id) => this.store.getJob(id),
      () => same,
    );
  }

  /** FlowSpec.sameWriteOf, for the payload of one of this flow's outbox jobs (acceptAsHeld). */
  sameWrite(): SameWrite | undefined {
    const same = this.spec.sameWriteOf;
    return (
      same && {
        of: (payload, sent) => same(payload as T, sent as T),
        answerable: (sent, held) => this.answerableAs(sent as T, held),
      }
    );
  }

  /**
   * A PUT found the same as a held write is answered as it only when its id reads: one of the
   * held write's ids, or the id its delivery reads under (an R5 PUT by the proof of delivery's
   * id). Under any other id (a fresh UUID) it stays the 409 it was: answered as the held write,
   * its client would keep an id that never reads, queued, delivered or given up.
   */
  private async answerableAs(sent: T, held: OutboxJob): Promise<void> {
    const context = this.sentWith.get(sent as object);
    const id = this.spec.fhirIds(sent)[0];
    const heldIds = this.spec.fhirIds(held.payload as T);
    if (context?.mode !== 'update' || !id || heldIds.includes(id)) return;
    // only "not known" or "removed" mean the id does not read: a redirect reads (as the id it
    // names), and a transient failure is the answer (retried), not a 409 for good
    const reads = context.current
      ? context.current.value
      : await this.read(id).catch((err: unknown) => {
          if (err instanceof KnownAsError) return sent;
          if (err instanceof NotFoundError || err instanceof GoneError) return undefined;
          throw err;
        });
    if (reads !== undefined) return;
    throw new ConflictError(
      `${id} is not an id this delivery is read under: the same confirmation is already waiting to be delivered (outbox job ${held.id}), read under ${heldIds[0]}; read it there, and send it again by PUT under that id or by POST`,
    );
  }

  /**
   * A write found the same as one held (FlowSpec.sameWriteOf; `held`, as acceptAsHeld reported
   * it, so its job is not read again) is answered as that write, under the ids it was made and is
   * read under: the way this one came may have named it otherwise (a POST's derived id, which no
   * read serves, after a PUT by the delivery's id; an R5 resend of an R4 write). Only when the
   * outbox answered it as that job: one that ended meanwhile leaves this write a job of its own.
   */
  asWritten(value: T, outcome: OutboxOutcome, held?: OutboxJob): T {
    return outcome.kind === 'duplicate' && held && outcome.jobId === held.id ? (held.payload as T) : value;
  }

  /**
   * The value as the write it is: an update changing what was written is its next revision
   * (FlowSpec.revise), from the outbox's last write of it. Unchanged for flows without revisions.
   */
  async revise(sent: T, context: WriteContext, lookups: LookupsAhead = this.store): Promise<T> {
    const value = await this.numberedDraft(await this.withWrittenOrder(sent, lookups));
    if (!this.spec.revise) return value;
    const id = this.spec.fhirIds(value)[0];
    const link = id ? await lookups.getLink(this.spec.flow, id) : undefined;
    const job = link?.jobId ? await lookups.getJob(link.jobId) : undefined;
    const written = job && { value: job.payload as T, status: job.status, system: job.system };
    return this.spec.revise(value, context, written);
  }

  /**
   * A draft (FlowSpec.drafts) numbered as the write it is: the draft it is the same write as
   * (acceptAsHeld's comparison), else the next, so a draft saved again with other content is a
   * write of its own and one sent again is the one it equals.
   */
  private async numberedDraft(value: T): Promise<T> {
    const same = this.sameWrite();
    if (!this.spec.drafts || !same) return value;
    const equal = (held: T, sent: T) => canonicalJson(same.of(held, sent)) === canonicalJson(same.of(sent, sent));
    return this.spec.drafts(value, (key, identifier) => this.store.findNumberedJobs(key, identifier), equal);
  }

  /**
   * A write naming order lines by ids their writes came under (an app's PUT of a line under its
   * own id) names the order they were written to (FlowSpec.orderLines): its system holds the
   * lines under ids it derives, and matches the order by its upstream id, as a based-on search.
   */
  private async withWrittenOrder(value: T, lookups: LookupsAhead): Promise<T> {
    const lines = this.spec.orderLines;
    for (const id of lines?.ids(value) ?? []) {
      const link = await lookups.getLink('orders', id);
      if (link?.upstreamId) return lines!.withOrder(value, link.upstreamId);
    }
    return value;
  }

  /**
   * A change whose revision's key the outbox holds for other content lost a race: another change
   * made from the same revision was accepted first (FlowSpec.revise numbers both alike). Told as
   * that, not as the outbox's reused-identifier conflict, which would tell the client to resend
   * or pick a new order number. A create keeps that conflict: its number is taken by another order.
   * A draft (FlowSpec.drafts) numbered alike with another is told so (FlowSpec.draftTaken).
   */
  lostRace(err: unknown, value: T, context: WriteContext): unknown {
    const told = this.spec.draftTaken?.(err, value) ?? err;
    if (told !== err) return told;
    if (!(err instanceof KeyTakenError) || !this.spec.revise || context.mode !== 'update') return err;
    return new ChangedMeanwhileError(this.spec.fhirIds(value));
  }

  /**
   * What the target system would refuse in this write (after `earlier` ones of a Bundle), checked
   * without writing anything. `known`: the write's targets when the caller has resolved them.
   */
  async precheck(value: T, earlier: T[] = [], known?: Targets): Promise<void> {
    const targets = known ?? (await this.targets(value));
    const check = this.spec.precheck(this.connector(targets.primary));
    if (!check) return;
    await check(value, earlier).catch((err: unknown) => {
      // an id of another system's facility: say which rule chose this one (a rule for it goes first);
      // not for another facility the write names (an order's supplier), which no rule places
      const routed = err instanceof UnknownFacilityError && err.refuses(this.spec.routeBy(value).facility);
      throw routed && targets.chosenBy ? err.routedBy(targets.chosenBy) : err;
    });
  }

  /**
   * A delivered write answers with the resource as its system now holds it: what a read returns,
   * so the ETag it carries is one a following If-Match accepts. Should that read fail, the
   * answer is the written value (the write itself succeeded and is not undone by a failed read).
   */
  async asStored(outcome: WriteOutcome<T>, ahead?: WritesAhead): Promise<WriteOutcome<T>> {
    if (outcome.status === 'accepted') return outcome;
    const written = this.spec.fhirIds(outcome.value);
    if (!written.length) return outcome;
    try {
      const stored = await withinDeadline(this.readBack(outcome, written[0], ahead), READ_BACK_MS);
      // only a read that still holds every written resource may stand in for it (an upstream that
      // dropped or re-keyed a line must not make the answer describe another resource)
      if (!stored) return outcome;
      const storedIds = new Set(this.spec.fhirIds(stored));
      return written.every((id) => storedIds.has(id)) ? { ...outcome, value: stored } : outcome;
    } catch {
      return outcome;
    }
  }

  /**
   * The read-back of a write's answer. A write this request has just delivered reads the upstream
   * object its delivery produced, straight from the delivery's result: the link and the job a
   * read by id would look up are the ones this request has just written and synced, so those two
   * lookups (each waiting for the disk while other writes commit: issue 18) tell nothing new.
   * A change of an earlier write, a write kept as written (a cancellation) and a duplicate's
   * answer read as any read does.
   *
   * `ahead`: the caller answers only once the write's end is on disk, so the first sighting of
   * what was read back is recorded without its own wait for the disk (Store.writesAhead). Should
   * a crash lose it, the next read records a later sighting of the same content: its lastUpdated
   * is then later than this answer's, never earlier, and its versionId (a content hash) the same.
   */
  private async readBack(outcome: WriteOutcome<T>, id: string, ahead?: WritesAhead): Promise<T | undefined> {
    const result = outcome.status === 'created' ? outcome.upstream : undefined;
    const written = outcome.value;
    if (!result || this.spec.isChange?.(written) || this.keepsWritten(written)) return this.read(id);
    const upstreamId = primaryId(result.ids);
    const connector = this.connectors.find((c) => c.system === result.system);
    const read = connector && this.spec.read(connector);
    if (!upstreamId || !read) return this.read(id);
    const value = await read(upstreamId);
    const named = value && (await this.withWrittenRefs(result.system, this.spec.withClientIds(value, written)));
    return named && (await this.stampSeen([named], ahead))[0];
  }

  /** Whether the resource with this id is what its system holds: no write to it is waiting, failed or given up. */
  async settled(id: string): Promise<boolean> {
    const link = await this.store.getLink(this.spec.flow, id);
    if (!link?.jobId) return true;
    return (await this.store.getJob(link.jobId))?.status === 'done';
  }

  /**
   * The outbox jobs of one write, the system of record's first. Each secondary target is its own
   * job under its own business key (key|system), so each is delivered, retried and deduplicated
   * on its own, and is not waited for: its outcome shows in the admin API, never in the answer.
   */
  async acceptRequests(value: T, context: WriteContext, known?: Targets): Promise<AcceptWriteRequest[]> {
    const base = await this.keyHeld(value);
    if (!base)
      throw new MediatorError(400, [
        {
          code: 'required',
          diagnostics: `A ${this.spec.flow} write needs a business identifier to deduplicate on`,
          expression: ['identifier'],
        },
      ]);
    const { key, behind } = this.spec.keyedOnReplaced
      ? await this.replacingKey(value, base, context.current)
      : { key: base, behind: undefined };
    // (when the system already holds exactly this version the key ends in from:<that version>: one
    // more write of the same content at most, an idempotent upsert, then duplicates)
    const { primary, secondary } = known ?? (await this.targets(value));
    const linked = [...this.spec.fhirIds(value), ...(await this.removedIds(value))];
    this.sentWith.set(value as object, context);
    const job = (system: string, of: boolean): AcceptWriteRequest => ({
      flow: this.spec.outboxFlow,
      system,
      idempotencyKey: of ? key : secondaryKey(key, system),
      payload: value,
      transactionId: context.transactionId,
      links: linked.map((fhirId) => ({ flow: this.spec.flow, fhirId, ...(of ? {} : { primary: false }) })),
      ...(of ? {} : { deadlineMs: SECONDARY_DEADLINE_MS }),
      ...(of && behind ? { behind } : {}),
      ...this.orderKeyFor(system, value),
    });
    return [job(primary, true), ...secondary.map((s) => job(s, false))];
  }

  /**
   * The write's key: its own, or the one a release before v68 gave it (FlowSpec.formerKey) when a
   * job of this very write stands under that one: accepted by an instance of that release still
   * running after v68 rekeyed what was stored, so its retry here finds that job and is not sent
   * twice. Asked only where the two differ (an identifier holding '|' or '%'); a job under the
   * former key that is another write's (DL-1's copy for DHIS2 under delivery `DL-1|dhis2`'s former
   * key) does not count.
   */
  private async keyHeld(value: T): Promise<string | undefined> {
    const key = this.spec.key(value);
    const former = key && formerKeyOf(this.spec, value, key);
    if (!former) return key;
    const held = await this.store.findJobsByKey(former);
    return held.some((j) => j.flow === this.spec.outboxFlow && heldAsWriteOf(this.spec, j, value)) ? former : key;
  }

  /** A job's order key: a record replaced by its writes, else what an in-order connector's write names (writeKey). */
  private orderKeyFor(system: string, value: T): { orderKey?: string } {
    if (this.spec.keyedOnReplaced) return { orderKey: this.orderKeyOf(system, value) };
    const connector = this.connectors.find((c) => c.system === system);
    const key = connector && this.spec.inOrder?.(connector) ? this.spec.writeKey?.(connector)?.(value) : undefined;
    return key ? { orderKey: key } : {};
  }

  /**
   * The record a write of a flow delivered in order is for, in one system: what that system's
   * write finds it by (a facility's OpenLMIS code, its DHIS2 UID), so a POST by code and a PUT by
   * the system's id of one facility keep their order; else the FHIR id.
   */
  orderKeyOf(system: string, value: T): string | undefined {
    const connector = this.connectors.find((c) => c.system === system);
    const key = connector && this.spec.writeKey?.(connector)?.(value);
    return key ?? this.spec.fhirIds(value)[0];
  }

  /**
   * Gives each job of this flow still waiting the order key its write has today: one accepted
   * before v25 holds its payload id (legacy-order-keys.ts). Run at start, before any write is
   * accepted; the number of jobs re-keyed.
   */
  async keyWaitingJobs(): Promise<number> {
    if (!this.spec.keyedOnReplaced && !this.spec.inOrder) return 0;
    let keyed = 0;
    for (const status of ['pending', 'in-flight'] as const) {
      for (let offset = 0; ; offset += WAITING_PAGE) {
        const page = await this.store.listJobs({ status, flow: this.spec.outboxFlow, limit: WAITING_PAGE, offset });
        // a key that is the payload id is what v25 gave already; the rest of a page in one store turn
        const rekeys = page.flatMap((job) => {
          const orderKey = this.currentOrderKey(job.system, job.payload as T);
          return orderKey && orderKey !== (job.payload as { id?: string }).id ? [{ id: job.id, orderKey }] : [];
        });
        const changed = await Promise.all(rekeys.map((r) => this.store.keyWaitingJob(r.id, r.orderKey)));
        keyed += changed.filter(Boolean).length;
        if (page.length < WAITING_PAGE) break;
      }
    }
    return keyed;
  }

  /** orderKeyFor of a stored payload; one this release cannot read keeps its key (its delivery will say why). */
  private currentOrderKey(system: string, payload: T): string | undefined {
    try {
      return this.orderKeyFor(system, payload).orderKey;
    } catch {
      return undefined;
    }
  }

  /**
   * FHIR ids a change takes away (an order line cancelled out of its order): their links move to
   * this write too, so a read of such an id finds the write that removed it (readLinked: 410).
   */
  private async removedIds(value: T): Promise<string[]> {
    if (!this.spec.isChange?.(value)) return [];
    const ids = this.spec.fhirIds(value);
    const link = ids.length ? await this.store.getLink(this.spec.flow, ids[0]) : undefined;
    const job = link?.jobId ? await this.store.getJob(link.jobId) : undefined;
    if (!job) return [];
    const kept = new Set(ids);
    return this.spec.fhirIds(job.payload as T).filter((id) => !kept.has(id));
  }

  /**
   * The key of a write that replaces a version (facilities): its content, the version it replaces
   * and the write it follows. Content and version alone recur when a change is undone and made
   * again through this mediator (a name A, B, A, B): the second A to B would be a duplicate of the
   * first, answered 200 and never written. The write of this facility last recorded tells them
   * apart: the same content from the same version again, or while that write is still being
   * delivered, is that write repeated (a retry, or an unchanged PUT the system reads back
   * otherwise), any write in between makes it a new one.
   */
  private async replacingKey(
    value: T,
    base: string,
    known?: { value: unknown },
  ): Promise<{ key: string; behind?: string }> {
    const key = `${base}|from:${await this.replacedVersion(value, known)}`;
    const id = this.spec.fhirIds(value)[0];
    const link = id ? await this.store.getLink(this.spec.flow, id) : undefined;
    const last = link?.jobId ? await this.store.getJob(link.jobId) : undefined;
    if (!last || last.idempotencyKey === key || last.idempotencyKey.startsWith(`${key}|after:`))
      return { key: last?.idempotencyKey ?? key };
    // the same content still being delivered is that write again (sent twice at once, a retry
    // after a 202), whatever version was read meanwhile: the upstream may already hold it
    const delivering = last.status === 'pending' || last.status === 'in-flight';
    if (delivering && last.idempotencyKey.startsWith(`${base}|`)) return { key: last.idempotencyKey };
    // another write still waiting to be delivered: this one follows it, not overtakes it
    return { key: `${key}|after:${last.id}`, ...(delivering ? { behind: last.id } : {}) };
  }

  /**
   * The content version the system of record holds for this value now ('none' if new, 'unknown'
   * if unreadable): from what the edge read for this update, else read here.
   */
  private async replacedVersion(value: T, known?: { value: unknown }): Promise<string> {
    const id = this.spec.fhirIds(value)[0];
    if (!id) return 'none';
    try {
      const current = known ? known.value : await this.readLive(id);
      return current ? contentVersion({ ...(current as object), lastUpdated: undefined }) : 'none';
    } catch {
      return 'unknown';
    }
  }

  /** The FHIR answer to an outbox outcome (a pure mapping; a refusal throws the upstream's error). */
  toWriteOutcome(value: T, outcome: OutboxOutcome): WriteOutcome<T> {
    const first: FirstOutcome = outcome.kind === 'duplicate' ? outcome.previous : outcome;
    if (first.kind === 'rejected') throw first.error;
    // given up: settled until an operator retries it, so not 202 (README "How a write travels")
    if (first.kind === 'queued' && first.givenUp) throw first.givenUp;
    if (first.kind === 'queued')
      return {
        status: 'accepted',
        value: acceptedNow(this.spec.pendingView(value, first.status)),
        message: first.reason,
      };
    return {
      status: outcome.kind === 'duplicate' ? 'unchanged' : 'created',
      value: acceptedNow(value),
      upstream: first.result,
    };
  }

  /** Register this flow's delivery with the outbox, for every connector that can write it. */
  registerHandlers(): void {
    for (const c of this.connectors) {
      const write = this.spec.write(c);
      if (write)
        this.outbox.register(
          this.spec.outboxFlow,
          c.system,
          (job, journal, ctx) => this.deliver(job, (value) => write(value, journal), ctx.awaitJob),
          { inOrder: !!this.spec.keyedOnReplaced || this.spec.inOrder?.(c) === true },
        );
    }
  }

  // internals ---------------------------------------------------------------------------------

  /**
   * A job's write, or the result it ends with when a later write of its record made it moot
   * (FlowSpec.overtaken): asked before writing, and again on a 409.
   */
  private async deliver(
    job: OutboxJob,
    write: (value: T) => Promise<WriteResult>,
    awaitJob?: DeliveryContext['awaitJob'],
  ): Promise<WriteResult> {
    const lock = this.spec.writeLock?.(job);
    if (!lock) return this.writeOrOvertaken(job, write, awaitJob);
    // a handler called directly (a test's outbox stand-in) has no attempt timeout to share
    const attemptMs = (this.outbox as Partial<Outbox>).options?.attemptTimeoutMs;
    return underRecordLock(this.store, lock, job.system, recordLockWaitMs(attemptMs), () =>
      this.writeOrOvertaken(job, write, awaitJob),
    );
  }

  /** The write of a job, or what it ends with as overtaken; under its record's lock where it has one. */
  private async writeOrOvertaken(
    job: OutboxJob,
    write: (value: T) => Promise<WriteResult>,
    awaitJob?: DeliveryContext['awaitJob'],
  ): Promise<WriteResult> {
    const overtaken = this.spec.overtaken;
    if (!overtaken) return this.writeOf(job, write, awaitJob);
    const jobsUnder = (key: string) => this.store.findJobsByKey(key);
    const after = storeOrder(this.store);
    const moot = await overtaken(job, jobsUnder, false, undefined, after);
    if (moot) return moot;
    try {
      return await this.writeOf(job, write, awaitJob);
    } catch (err) {
      // refused, perhaps because the later write landed while this one was on its way; a later
      // write still in flight counts only when the refusal says the record is completed already
      if (!(err instanceof ConflictError)) throw err;
      const completed = err instanceof CompletedUpstreamError;
      const now = await overtaken(job, jobsUnder, completed, () => this.jobsWrittenTo(job.system, err), after);
      if (now) return now;
      throw err;
    }
  }

  /**
   * The writes linked to the upstream record a refusal named as completed already
   * (CompletedUpstreamError), any key; none when it named none.
   */
  private async jobsWrittenTo(system: string, err: ConflictError): Promise<OutboxJob[]> {
    if (!(err instanceof CompletedUpstreamError)) return [];
    const links = await this.store.linksToUpstream(this.spec.flow, system, [err.upstreamId]);
    const ids = [...new Set(links.map((l) => l.jobId).filter((id): id is string => !!id))];
    const jobs = await Promise.all(ids.map((id) => this.store.getJob(id)));
    return jobs.filter((j): j is OutboxJob => !!j);
  }

  /**
   * A job's write. A secondary target's goes through FlowSpec.deliverSecondary, on each attempt;
   * the system of record's is the write of what the client sent (the client addressed that
   * system, so the value is in its terms), through FlowSpec.deliverPrimary where a flow has one.
   */
  private writeOf(
    job: OutboxJob,
    write: (value: T) => Promise<WriteResult>,
    awaitJob?: DeliveryContext['awaitJob'],
  ): Promise<WriteResult> {
    const value = job.payload as T;
    const how = isSecondaryJob(job) ? this.spec.deliverSecondary : this.spec.deliverPrimary;
    if (!how) return write(value);
    return how(job.system, value, { connectors: this.connectors, store: this.store, awaitJob }, write);
  }

  private keepsWritten(value: T): boolean {
    const keeps = this.spec.keepsWritten;
    return typeof keeps === 'function' ? keeps(value) : !!keeps;
  }

  private readers(): Connector[] {
    return this.connectors.filter((c) => this.spec.read(c));
  }

  /** A linked id: the write's job while it waits, the upstream object once it is there. */
  private async readLinked(link: ResourceLink): Promise<T | undefined> {
    const job = link.jobId ? await this.store.getJob(link.jobId) : undefined;
    const written = job?.payload as T | undefined;
    let upstreamId = link.upstreamId;
    // A refused write was never accepted: it is not there. One given up after acceptance reads as
    // failed. A refused change of something upstream leaves that as it was: it is read there.
    const refusedChange = job?.status === 'rejected' && !!upstreamId && !!this.spec.isChange?.(written!);
    if (job?.status === 'rejected' && !refusedChange) return undefined;
    if (job && !refusedChange && job.status !== 'dead' && !this.spec.fhirIds(written!).includes(link.fhirId))
      throw removed(this.spec.flow, link, job.status);
    if (job && job.status !== 'done' && !refusedChange) return this.spec.pendingView(written!, job.status);
    if (job && !refusedChange && this.keepsWritten(written!))
      return { ...written!, lastUpdated: new Date(job.updatedAt).toISOString() };
    if (!upstreamId && job?.result) {
      upstreamId = primaryId(job.result.ids);
      if (upstreamId) await this.store.putLinks([{ ...link, upstreamId }]);
    }
    const connector = this.connectors.find((c) => c.system === link.system);
    const read = connector && this.spec.read(connector);
    if (!upstreamId || !read) return written;
    // behind a link: the connector may look further (a supplying store's copy) than for any id
    const value = await read(upstreamId, true);
    if (!value)
      throw new NotFoundError(
        `${this.spec.flow} ${link.fhirId} was delivered to ${link.system} as ${upstreamId}, which ${link.system} no longer has`,
      );
    return written ? this.spec.withClientIds(value, written) : value;
  }

  /**
   * A search answers with what a system lists, under the ids its connector derives; an object the
   * mediator wrote reads with the ids its client chose (the lines an SDK PUT under its own UUIDs),
   * as a read by those ids does, so a download never brings the client a second copy of its own.
   */
  private async withWrittenIds(system: string, items: T[], known?: readonly ResourceLink[]): Promise<T[]> {
    // a flow whose writes are events (a stock count) lists live objects that are not what was written
    if (this.spec.keepsWritten === true) return items;
    const upstreamIds = new Set(items.map((i) => this.readBackId(i)).filter((id): id is string => !!id));
    const refs = this.spec.writtenRefs;
    const links = known ?? (await this.linksOf(system, items));
    if (!links.length) return items;
    const newestJob = new Map<string, string>();
    const fhirIds = new Map<string, string>();
    for (const l of links) {
      if (fhirIds.has(l.upstreamId!)) continue;
      fhirIds.set(l.upstreamId!, l.fhirId);
      if (upstreamIds.has(l.upstreamId!)) newestJob.set(l.upstreamId!, l.jobId!);
    }
    const jobs = new Map(
      await Promise.all([...new Set(newestJob.values())].map(async (id) => [id, await this.store.getJob(id)] as const)),
    );
    return items.map((item) => {
      const job = jobs.get(newestJob.get(this.readBackId(item) ?? '') ?? '');
      const own = job ? this.spec.withClientIds(item, job.payload as T) : item;
      return refs ? refs.with(own, (id) => fhirIds.get(id)) : own;
    });
  }

  /**
   * A value read by id names the records of its flow it refers to by the ids their writes came
   * under (FlowSpec.writtenRefs), as a search does.
   */
  private async withWrittenRefs(
    system: string,
    value: T | undefined,
    known?: readonly ResourceLink[],
  ): Promise<T | undefined> {
    const refs = this.spec.writtenRefs;
    const named = value && refs ? refs.ids(value) : [];
    if (!named.length) return value;
    const fhirIds = new Map<string, string>();
    // `known` (linksOf) also holds the value's own link: only the records it names are taken
    for (const l of known ?? (await this.writtenLinks.of(this.spec.flow, system, named)))
      if (named.includes(l.upstreamId!) && !fhirIds.has(l.upstreamId!)) fhirIds.set(l.upstreamId!, l.fhirId);
    return fhirIds.size ? refs!.with(value!, (id) => fhirIds.get(id)) : value;
  }

  /** The links writes gave these items' upstream objects and the records they name: one look-up. */
  private async linksOf(system: string, items: T[]): Promise<readonly ResourceLink[]> {
    const upstreamIds = items.map((i) => this.readBackId(i)).filter((id): id is string => !!id);
    const refs = this.spec.writtenRefs;
    const named = refs ? items.flatMap((item) => refs.ids(item)) : [];
    if (!upstreamIds.length && !named.length) return [];
    return this.writtenLinks.of(this.spec.flow, system, [...new Set([...upstreamIds, ...named])]);
  }

  /**
   * Link every FHIR id a search returned to its upstream object, so a later read by id finds it,
   * and the records of other flows they name (namedLinks): one store write, none when every
   * link is stored already (the same search again, its next page: Store.putLinks). `ownIds`: the
   * ids that are their upstream object's own too (FlowSpec.linksOwnIds), so a read by one is
   * behind a link.
   */
  private async remember(system: string, items: T[], ownIds = false): Promise<void> {
    const links: ResourceLink[] = items.flatMap((item) => {
      const upstreamId = this.readBackId(item);
      return upstreamId
        ? this.spec
            .fhirIds(item)
            .filter((id) => ownIds || id !== upstreamId)
            .map((fhirId) => ({ flow: this.spec.flow, fhirId, system, upstreamId, fromRead: true }))
        : [];
    });
    links.push(...this.namedLinks(system, items));
    if (links.length) await this.store.putLinks(links);
  }

  /** The upstream id a link to this value names: what its connector reads it back by (FlowSpec.upstreamId). */
  private readBackId(value: T): string | undefined {
    return this.spec.upstreamId?.(value) ?? upstreamIdOf(value);
  }

  /**
   * Links to the records of other flows these items name by ids their system derives (a
   * delivery's order lines: FlowSpec.namedRecords), each to the upstream object that flow reads it
   * from in the same system. A client follows such a reference (SupplyDelivery.basedOn) before
   * any search of that flow has listed the record, and its read by id resolves through this link.
   */
  private namedLinks(system: string, items: T[]): ResourceLink[] {
    const named = this.spec.namedRecords;
    if (!named) return [];
    const links = new Map<string, ResourceLink>();
    for (const item of items)
      for (const r of named(item))
        links.set(`${r.flow}|${r.fhirId}`, {
          flow: r.flow,
          fhirId: r.fhirId,
          system,
          upstreamId: r.upstreamId,
          fromRead: true,
        });
    return [...links.values()];
  }
}

/**
 * A write the system no longer has (purged upstream: 404) or that was removed since (410) is not
 * one a search lists: read alone it answers so, but it must not fail the search it sits in.
 */
function undefinedIfGone(err: unknown): undefined {
  if (err instanceof NotFoundError || err instanceof GoneError) return undefined;
  throw err;
}

/**
 * A linked id the write its link points at no longer holds: that write took it away (an order
 * line cancelled while the rest of the order goes on). FHIR reads a deleted resource as 410 Gone.
 */
function removed(flow: string, link: ResourceLink, status: JobStatus): GoneError {
  const when = status === 'done' ? `in ${link.system}` : `(the change is queued for ${link.system})`;
  return new GoneError(
    flow === 'orders'
      ? `${link.fhirId} was an order line that has been cancelled ${when}: the rest of its order goes on without it`
      : `${link.fhirId} has been removed ${when}`,
  );
}

/**
 * Each system's page with the writes found under the searched identifier (writtenUnderIdentifier)
 * that no page lists yet: a delivery fanned out to a second system that lists it under the app's
 * number is one record by one FHIR id, which each system's answer alone would add again.
 */
function withWrittenOnce<T>(pages: (Page<T> & { written: T[] })[]): Page<T>[] {
  const idOf = (v: T) => (v as { id?: string }).id;
  const have = new Set(pages.flatMap((p) => p.items.map(idOf)));
  return pages.map(({ written, ...page }) => {
    const fresh = written.filter((v) => !have.has(idOf(v)));
    for (const v of fresh) have.add(idOf(v));
    return { ...page, items: [...page.items, ...fresh] };
  });
}

/** A secondary target's job (a write's own key ends in a version or a job id, never a system). */
function isSecondaryJob(job: OutboxJob): boolean {
  return job.idempotencyKey.endsWith(secondaryKey('', job.system));
}

/**
 * A secondary target's delivery starts at once but the answer does not wait for it (1 ms: the
 * attempt is under way before the outbox stops waiting); the worker retries it if it fails.
 */
const SECONDARY_DEADLINE_MS = 1;

/** How long a delivered write's answer waits for its read-back before answering with the written value. */
const READ_BACK_MS = 2_000;

/** Waiting jobs read per store call by keyWaitingJobs. */
const WAITING_PAGE = 500;

/** meta.lastUpdated of a write is when it was accepted, until it is read back from the upstream. */
function acceptedNow<T>(value: T): T {
  return { ...value, lastUpdated: (value as { lastUpdated?: string }).lastUpdated ?? new Date().toISOString() };
}

function upstreamIdOf(value: unknown): string | undefined {
  return (value as { id?: string }).id;
}

function lastUpdatedOf(value: unknown): string | undefined {
  return (value as { lastUpdated?: string }).lastUpdated;
}

/** The upstream object a write produced: connectors list the one to read back first in WriteResult.ids. */
export function primaryId(ids: Record<string, string>): string | undefined {
  return Object.values(ids)[0];
}
