import type { Settings } from '../../config/settings.js';
import type { Facility } from '../../domain/facility.js';
import { BusinessRuleError, MediatorError, NotConfiguredError, UpstreamError } from '../../domain/errors.js';
import type { Outbox } from '../../outbox/outbox.js';
import { describeError } from '../../outbox/errors.js';
import type { Connector, FacilityCapability, StepJournal, WriteResult } from '../../routing/ports.js';
import { facilityWriteLocks, withWriteLocks } from '../../routing/write-locks.js';
import { LockWaitTimeout } from '../../store/keyed-mutex.js';
import { propagationKey } from '../../store/propagation-rows.js';
import { afterQueuedClientCreate, afterQueuedClientWrite } from './queued-client-write.js';
import type { FlowRouting } from '../../routing/rules.js';
import type { OutboxJob, Propagation, RegistryRecordRow, Store } from '../../store/types.js';
import type { RegistryRecord } from '../mfr/types.js';
import { DEFAULT_IDENTIFIER_SYSTEM } from '../mfr/settings.js';
import { eachLimited } from '../../platform/each-limited.js';
import { crosswalkIndex, type CrosswalkIndex } from './crosswalk-index.js';
import { crosswalkMoved } from './crosswalk-moved.js';
import { decodeRow } from '../store-crosswalk.js';
import { plan, type Decision, type PlanInput } from './plan.js';
import { sameChange } from './same-change.js';
import { routedSystems } from './routed.js';
import {
  findArea,
  findAreaByCode,
  parentWasUnpublished,
  systemArea,
  UNPUBLISHED,
  withMissingParent,
  type RegistryArea,
} from './areas.js';
import { ExpiringCache } from '../../upstream/expiring-cache.js';
import { systemTypes, type FacilityTypeMap } from './facility-types.js';
import { changedFields, facilityToWrite, fieldsToReport, unsupportedFields } from './write.js';
import { LinkTakenBack } from './link-taken-back.js';
import { planKey, relinked, relinkedTo, rowJobs } from './relinked.js';
import { PlannedMeanwhile } from './planned-meanwhile.js';
import { sendNow } from './send-now.js';
import { REPLANS, writePlan, type PlanWrite } from './plan-write.js';
import { LINKED } from '../../routing/facility-facts.js';
import { reportPlanGivenUp, type PropagationLogger } from './plan-given-up.js';

/**
 * Registry propagation (issue 14): every registry change reaches every configured system exactly
 * once. A change is kept in the store (`registry_records`), then for each system planned from
 * the crosswalk (plan.ts) and recorded in `propagations`; what is to be written becomes an outbox
 * job keyed (registry id, version, system), so a crash, a retry or a re-read page never writes it
 * twice, and the job runs again after a restart until it is settled.
 *
 * A job writes only the version it was made for while that version is still the latest: a newer
 * version, recorded meanwhile, has its own job, and the older one ends as superseded without
 * writing. Jobs of one facility and system are serialised by a store lock, so two versions never
 * race to the upstream.
 */
export const PROPAGATE_FLOW = 'propagate';

// kept beside the SQL that builds the same key (the shown state's job lookup)
export { propagationKey };

export interface PropagationPayload {
  registryId: string;
  version: string;
}

export interface PropagatorDeps {
  store: Store;
  outbox: Outbox;
  connectors: () => Connector[];
  settings: () => Settings;
  /** The `facilities` flow of routing.json: where a new facility is created. */
  routing: () => FlowRouting | undefined;
  /** facility-types.json: registry types in each system's vocabulary. */
  types: () => FacilityTypeMap;
  now?: () => number;
  /** Where a plan given up is said (plan-given-up.ts); none in tests that pass nothing. */
  logger?: PropagationLogger;
  /** Counts a plan given up, by system (the server's /metrics counter). */
  countPlanGivenUp?: (system: string) => void;
  /** Held rows read at once when releasing them (default 1,000; a test's small page shows the paging). */
  heldPage?: number;
}

/** What a plan of one facility reads besides its links: read again for each re-plan. */
interface PlanReads {
  /** The systems routing.json places a new facility like it in. */
  routed: Set<string>;
  /** Its registry parent, when not published yet (unpublishedParent). */
  unpublishedParent: string | undefined;
}

export interface IntakeCounts {
  /** Records read (pages may repeat a boundary record). */
  read: number;
  /** New versions kept. */
  changed: number;
  queued: number;
  held: number;
  skipped: number;
  /** Versions the registry sent invalid: kept out of every system (see `refusals`). */
  refused: number;
}

/** An intake's counts, and each refused version with why (one line each, for a run's detail). */
export interface IntakeResult extends IntakeCounts {
  refusals: string[];
}

const AREA_TTL_MS = 5 * 60_000;
/** The version suffix of a closure made because a full read did not list the facility. */
const ABSENT = '+absent';
/** The version suffix of such a closure undone: a later full read listed that same version again. */
const RELISTED = '+relisted';
/** The version suffix of a facility written again once the registry published the parent it was moved under. */
const REPARENTED = '+parent';
/** A row with no write of its version to come (a hold's comes, if ever, with its release's own plan). */
const SETTLED = new Set<Propagation['state']>(['done', 'skipped', 'failed', 'held']);
/** Propagation rows read at once when looking through them. */
const PAGE = 1_000;
/** Registry records planned at once in a batch (their upstream look-ups overlap). */
const PLAN_CONCURRENCY = 8;

/** The registry's code namespace (registry.identifierSystem, which has a default). */
export function registryCodeSystem(settings: Settings): string {
  const s = settings['registry.identifierSystem'];
  return typeof s === 'string' && s ? s : DEFAULT_IDENTIFIER_SYSTEM;
}

export class Propagator {
  private readonly now: () => number;
  /** Each system's areas by name: looked up for every change, changed rarely. */
  private readonly areas = new ExpiringCache(() => AREA_TTL_MS);

  /** Held rows read at once by releaseHeld. */
  private readonly heldPage: number;

  constructor(private readonly deps: PropagatorDeps) {
    this.now = deps.now ?? Date.now;
    this.heldPage = deps.heldPage ?? PAGE;
  }

  /** Systems propagation writes to, or reports on: every connector that serves facilities. */
  systems(): Connector[] {
    return this.deps.connectors().filter((c) => c.facilities);
  }

  /**
   * Keep the changes, then propagate the latest version of each facility to every system. Safe to
   * call again with the same records (a re-read page, a replay after a crash): what is already
   * planned for that version is left alone.
   */
  async intake(records: RegistryRecord[]): Promise<IntakeResult> {
    const invalid = records.filter((r) => r.invalid);
    const counts: IntakeResult = {
      read: records.length,
      changed: 0,
      queued: 0,
      held: 0,
      skipped: 0,
      refused: invalid.length,
      refusals: invalid.map((r) => `refused: registry Location/${r.id} version ${r.version}: ${r.invalid}`),
    };
    // neither stored nor planned: the version before it stays the facility's latest, and the
    // registry's fix arrives as a newer version
    const latest = await this.keep(records.filter((r) => !r.invalid));
    counts.changed = latest.changed;
    await this.planKept(latest.records, counts);
    return counts;
  }

  /**
   * Versions just kept, planned for every system (counted in `counts`, when given), each marked
   * planned once its plan is written everywhere (a kill before that leaves it to planUnplanned).
   */
  private async planKept(records: RegistryRecord[], counts?: IntakeCounts): Promise<void> {
    const batch = await this.batch();
    await eachLimited(records, PLAN_CONCURRENCY, async (record) => {
      for (const decision of await this.fanOut(record, batch))
        if (counts) counts[decision.state as 'queued' | 'held' | 'skipped']++;
      await this.deps.store.markRegistryRecordPlanned(record.id, record.version);
    });
    // a jurisdiction now published: the creates held waiting for it go out now, not at the next run
    const areas = records.filter((r) => r.facility?.kind === 'area').map((r) => r.id);
    if (areas.length) {
      await this.releaseHeld(undefined, new Set(areas));
      await this.moveUnderPublished();
    }
  }

  /**
   * Versions kept and never planned: the process died between the two (kill -9, power cut). Nothing
   * else plans them when nothing reads them again: a full read skips a closure for absence kept
   * (`+absent`) as closed already and a reopening (`+relisted`) as open, a push nobody resends is
   * never read again. Each pull and each start plans them (the plan skips a system whose row of
   * that version is planned already, and a job's key makes a second accept a no-op: none is
   * written twice). A `+parent` version is first resumed as a move (moveOnceSettled: the other
   * systems' outcome carried over, not written again). Page by page through the mark's index.
   */
  async planUnplanned(): Promise<number> {
    let planned = 0;
    const read = (after: string) => this.deps.store.listUnplannedRegistryRecords(after, PAGE);
    for await (const page of byRegistryId(read, PAGE)) {
      const records: RegistryRecord[] = [];
      for (const row of page) {
        const record = row.record as RegistryRecord;
        if (!record.facility) await this.deps.store.markRegistryRecordPlanned(row.registryId, row.version);
        else if (row.version.endsWith(REPARENTED)) await this.moveOnceSettled(row.registryId);
        if (record.facility) records.push(record);
      }
      await this.planKept(records);
      planned += records.length;
    }
    return planned;
  }

  /**
   * A version of the mediator's own (`<v>+absent`, `<v>+relisted`, `<v>+parent`) of the facility
   * as kept (`over`), placed just after it on the registry's clock (a re-read of `over` stays
   * older, the registry's next version is newer however far this machine's clock runs ahead),
   * and kept only over `over` itself (Store.putRegistryRecordOver): a push without a date, kept
   * meanwhile just after `over` too, would otherwise be replaced by it at the very same instant
   * (PUT_REGISTRY_RECORD_SQL takes a version as new as the kept one) and never written anywhere.
   * Undefined when not taken: the version kept meanwhile is planned as it is.
   */
  private async keepOwn(
    over: RegistryRecordRow,
    suffix: string,
    record: RegistryRecord,
  ): Promise<RegistryRecord | undefined> {
    const changedAt = over.changedAt + 1;
    const own: RegistryRecord = {
      ...record,
      version: `${over.version}${suffix}`,
      lastUpdated: new Date(changedAt).toISOString(),
    };
    const row = { registryId: over.registryId, version: own.version, changedAt, record: own, seenAt: this.now() };
    return (await this.deps.store.putRegistryRecordOver(row, over.version)) ? own : undefined;
  }

  /** Stored, with deletions turned into closures of the last version seen; the latest of each id. */
  private async keep(records: RegistryRecord[]): Promise<{ records: RegistryRecord[]; changed: number }> {
    const byId = new Map<string, RegistryRecord>();
    for (const r of records) {
      // a deletion closes the version seen last, which may be earlier in this very batch
      const closed = r.facility ? r : await this.closure(r, byId.get(r.id));
      if (closed) byId.set(r.id, closed); // oldest first: the last one wins
    }
    const before = new Map<string, RegistryRecordRow | undefined>();
    for (const r of byId.values()) before.set(r.id, await this.deps.store.getRegistryRecord(r.id));
    const rows = [...byId.values()].map((r) => ({
      registryId: r.id,
      version: r.version,
      changedAt: changedAt(r, before.get(r.id), this.now),
      record: r,
      seenAt: this.now(),
    }));
    const fresh = new Set(await this.deps.store.putRegistryRecords(rows));
    for (const r of byId.values())
      if (fresh.has(r.id) && sameChange(before.get(r.id)?.record as RegistryRecord | undefined, r))
        await this.carryOver(before.get(r.id)!.version, r);
    // only the version the store keeps is propagated: a new one is; one not taken is either the
    // kept version again (a replay, planned again where unfinished) or an older one (never)
    const kept: RegistryRecord[] = [];
    for (const r of byId.values()) {
      if (fresh.has(r.id) || (await this.deps.store.getRegistryRecord(r.id))?.version === r.version) kept.push(r);
    }
    return { records: kept, changed: fresh.size };
  }

  /**
   * The version just replaced held the same change (pushed, then pulled, or the reverse): what
   * each system settled for it stands for this version too, so nothing is written again. A
   * delivery still pending is planned again as usual (its job ends as superseded).
   */
  private async carryOver(from: string, record: RegistryRecord, systems = this.systems()): Promise<void> {
    for (const c of systems)
      for (let tries = 1; tries <= REPLANS; tries++) {
        const row = await this.deps.store.getPropagation(record.id, c.system);
        if (row?.version !== from || (row.state !== 'done' && row.state !== 'skipped')) break;
        const carried = { ...row, version: record.version, updatedAt: this.now() };
        if ((await writePlan(this.deps.store, carried, row)) !== 'moved') break;
      }
  }

  /**
   * Facilities moved under a jurisdiction the registry had not published yet: a system that could
   * not find it kept their old parent (or, OpenMRS, made them without one) and said so
   * (unsupported.parent), and, the facility not changing again, nothing would place them once the
   * registry publishes it. Written again then, under a version of the mediator's own just after
   * the one written (as a closure is), to those systems; the others' outcome is carried over, so
   * nothing else is written twice. Looked for when a jurisdiction arrives and at each pull's end,
   * by whether the parent is published now (not whether it came in this batch: a facility not
   * settled everywhere when its district came is moved later, when it is, by this or by
   * moveOnceSettled).
   */
  async moveUnderPublished(): Promise<void> {
    const written = new Map<string, Propagation[]>();
    for (const row of await this.parentsNotFound())
      if (parentWasUnpublished(row.unsupported))
        written.set(row.registryId, [...(written.get(row.registryId) ?? []), row]);
    for (const [registryId, rows] of written) await this.moveUnderParent(registryId, rows);
  }

  /**
   * A facility's rows just changed (a delivery ended, a held change was planned again): if some
   * reported its parent unpublished and the last of the others just settled, it is moved now.
   * Before, that was looked at only when the district arrived: a system down (its write queued),
   * in review (held) or refused then left the reporting systems in the old zone for good.
   */
  private async moveOnceSettled(registryId: string): Promise<void> {
    const rows = await this.deps.store.listPropagations({ registryId });
    const reported = rows.filter((r) => r.state === 'done' && parentWasUnpublished(r.unsupported));
    if (reported.length) await this.moveUnderParent(registryId, reported);
  }

  /** One facility whose rows (`reported`) said its parent was unpublished, moved if that parent is published now. */
  private async moveUnderParent(registryId: string, reported: Propagation[]): Promise<void> {
    const stored = await this.deps.store.getRegistryRecord(registryId);
    const parent = (stored?.record as RegistryRecord | undefined)?.facility?.partOf;
    if (!stored || !parent || !(await this.registryArea(parent))) return;
    const again = await this.reparented(stored, reported);
    if (!again) return;
    const from = again.version.slice(0, -REPARENTED.length);
    const systems = new Set(reported.filter((r) => r.version === from).map((r) => r.system));
    await this.carryOver(
      from,
      again,
      this.systems().filter((c) => !systems.has(c.system)),
    );
    await this.fanOut(again, await this.batch());
    await this.deps.store.markRegistryRecordPlanned(again.id, again.version);
  }

  /**
   * Every settled row whose write reported its parent unpublished, read by that report (not the
   * latest N settled rows: a registry of 15,000 facilities settles tens of thousands of rows, and
   * a move older than the latest ones was never written under its district), page by page.
   */
  private async parentsNotFound(): Promise<Propagation[]> {
    const found: Propagation[] = [];
    for (let offset = 0; ; offset += PAGE) {
      const page = await this.deps.store.listPropagations({
        state: 'done',
        unsupportedHas: UNPUBLISHED,
        limit: PAGE,
        offset,
      });
      found.push(...page);
      if (page.length < PAGE) return found;
    }
  }

  /**
   * The `+parent` version of a facility whose rows (`reported`) said its parent was unpublished:
   * kept now, or already kept by a run that stopped before planning it (killed, or its plan
   * failed), whose rows are still of the version before: planned now, since nothing else would
   * (the facility not changing, no later version replaces it). Undefined when not to be planned.
   */
  private async reparented(stored: RegistryRecordRow, reported: Propagation[]): Promise<RegistryRecord | undefined> {
    const record = stored.record as RegistryRecord;
    if (reported.some((r) => `${r.version}${REPARENTED}` === stored.version)) return record;
    // only once no system has a write of the version kept to come: a write still queued (a
    // create the district's release just queued) finds the parent itself, and planning a new
    // version over it would race its job. A hold has no job: it is planned again under the new
    // version, and its release writes the move
    if (!(await this.settledEverywhere(stored.registryId, stored.version))) return undefined;
    // not taken: another version was kept meanwhile, and is written under the parent as it is
    return this.keepOwn(stored, REPARENTED, record);
  }

  /**
   * Whether every system's row of the facility is of this version and has no write to come: done,
   * skipped or failed (refused: its job ended; the `+parent` version plans it afresh, a refused
   * write was never made, so it is not made twice), or held (a person's review, a reconciliation
   * never run: no job; waiting for it kept the other systems in the old parent as long as the
   * hold lasted, and the `+parent` version is held in its place until released).
   */
  private async settledEverywhere(registryId: string, version: string): Promise<boolean> {
    const rows = await this.deps.store.listPropagations({ registryId });
    return rows.every((r) => r.version === version && SETTLED.has(r.state));
  }

  /**
   * A DELETE in the registry's history: the facility as last seen (in the batch it came with, else
   * in the store), closed (never deleted downstream).
   */
  private async closure(r: RegistryRecord, before?: RegistryRecord): Promise<RegistryRecord | undefined> {
    const last = before ?? ((await this.deps.store.getRegistryRecord(r.id))?.record as RegistryRecord | undefined);
    if (!last?.facility) return undefined;
    return { ...r, facility: { ...last.facility, status: 'inactive' } };
  }

  /** What planning a batch reads once: each system's crosswalk, and (on first need) its records by code. */
  private async batch(systems = this.systems()): Promise<Batch> {
    const crosswalks = new Map<string, CrosswalkIndex>();
    for (const c of systems)
      // decoded: a reviewer's rejected ids travel in the stored reasons (store-crosswalk.ts)
      crosswalks.set(c.system, crosswalkIndex((await this.deps.store.listCrosswalk(c.system)).map(decodeRow)));
    const codes = new Map<string, Promise<Map<string, string[]>>>();
    return {
      crosswalks,
      byCode: (connector) => {
        let index = codes.get(connector.system);
        if (!index) codes.set(connector.system, (index = recordsByCode(connector)));
        return index;
      },
    };
  }

  /**
   * Plan one registry version for every system; queue the writes. The rows are read before the
   * links: a decision moving the links after the links' read writes the row after the rows' read
   * too, and the plan's write, made only over the row it read (writePlan), meets it and plans
   * again from fresh reads: the row, the links, routing's facts and the parent's publication (the
   * write met may be the decision or the pull that moved any of them).
   */
  private async fanOut(record: RegistryRecord, batch: Batch): Promise<Decision[]> {
    const systems = this.systems();
    const rows = new Map<string, Propagation | undefined>();
    for (const c of systems) rows.set(c.system, await this.deps.store.getPropagation(record.id, c.system));
    await this.currentFor(record.id, batch);
    const facility = record.facility!;
    let reads = await this.planReads(facility);
    const decisions: Decision[] = [];
    for (const connector of systems) {
      let existing = rows.get(connector.system);
      for (let tries = 1; ; tries++) {
        if (
          existing?.version === record.version &&
          existing.state !== 'held' &&
          !relinked(existing, batch.crosswalks.get(connector.system)) &&
          (await this.hasJob(existing))
        )
          break;
        if (tries > REPLANS) {
          await this.planGivenUp(record, connector.system, existing);
          break;
        }
        const decision = await this.decide(
          connector,
          facility,
          batch,
          reads.routed.has(connector.system),
          reads.unpublishedParent,
        );
        const written = await this.record(record, connector.system, decision, existing);
        if (written === 'refused') break;
        if (
          written === 'written' &&
          !(await this.heldFromMovedReads(record, connector.system, decision, batch, reads))
        ) {
          decisions.push(decision);
          break;
        }
        existing = await this.deps.store.getPropagation(record.id, connector.system);
        await this.currentFor(record.id, batch);
        reads = await this.planReads(facility);
      }
    }
    return decisions;
  }

  /** What a plan of the facility reads besides its links and its row, as it is now. */
  private async planReads(facility: Facility): Promise<PlanReads> {
    return {
      routed: await routedSystems(facility, this.deps),
      unpublishedParent: await this.unpublishedParent(facility),
    };
  }

  /**
   * Planned REPLANS times, each write meeting another: said (plan-given-up.ts), and not left to a
   * next pull that may never come (pulls off: the next decision releases holds only). A hold of
   * this version written meanwhile stands, as any hold (a decision or the next pull plans it
   * again); otherwise the change's job is queued anyway, and its delivery plans it from what it
   * reads then (planAtDelivery), retried later while its writes keep meeting others.
   */
  private async planGivenUp(record: RegistryRecord, system: string, row: Propagation | undefined): Promise<void> {
    const held = row?.version === record.version && row.state === 'held';
    if (!held) await this.queue(record, system);
    reportPlanGivenUp(
      { registryId: record.id, version: record.version, system, next: held ? 'held' : 'delivery' },
      this.deps.logger,
      this.deps.countPlanGivenUp,
    );
  }

  /**
   * The batch's crosswalk made current for one facility before it is planned. A batch is read once
   * per pull or decision and planned from for seconds; a person's decision on this facility landing
   * meanwhile (an undo, a reject) must not be planned over from the old read: a pull's 'held',
   * planned from a crosswalk read before an undo, was written over the undo's 'queued' and the
   * change waited for the next pull (decision-while-hold-ends, when the store commits fast). One
   * indexed read per facility; a system's crosswalk is read again only when this facility's links
   * in it moved.
   */
  private async currentFor(registryId: string, batch: Batch): Promise<void> {
    const current = await this.deps.store.listCrosswalkByRegistryId(registryId);
    for (const system of crosswalkMoved(batch.crosswalks, registryId, current))
      batch.crosswalks.set(system, crosswalkIndex((await this.deps.store.listCrosswalk(system)).map(decodeRow)));
  }

  /**
   * A hold planned from links a decision moved since they were read (an undo, a link): that
   * decision's release found no held row to plan (it was not held yet), so none would release it
   * until the next pull, or, with pulls off, the next decision. Planned again then. Asked of holds
   * only: a queued change is planned again from the links at delivery (followLink), and a person's
   * decision releases held changes, not skipped ones.
   */
  private async heldFromMovedLinks(registryId: string, system: string, decision: Decision, batch: Batch) {
    const read = batch.crosswalks.get(system);
    if (decision.state !== 'held' || !read) return false;
    const now = await this.deps.store.listCrosswalkByRegistryId(registryId);
    return crosswalkMoved(new Map([[system, read]]), registryId, now).length > 0;
  }

  /**
   * heldFromMovedLinks, or a hold for a parent the registry published since it was read: that
   * jurisdiction's intake released the facilities held under it before this hold was written, so
   * none would plan it until the next pull (pulls off: never). Planned again then.
   */
  private async heldFromMovedReads(
    record: RegistryRecord,
    system: string,
    decision: Decision,
    batch: Batch,
    reads: PlanReads,
  ): Promise<boolean> {
    if (decision.state !== 'held') return false;
    if (reads.unpublishedParent && !(await this.unpublishedParent(record.facility!))) return true;
    return this.heldFromMovedLinks(record.id, system, decision, batch);
  }

  /** One system's plan of one registry facility, from its crosswalk as the batch read it. */
  private async decide(
    connector: Connector,
    facility: Facility,
    batch: Batch,
    routedHere: boolean,
    unpublishedParent: string | undefined,
  ): Promise<Decision> {
    const crosswalk = batch.crosswalks.get(connector.system);
    const input = {
      facility,
      system: connector.system,
      rows: crosswalk?.rowsFor(facility.id!) ?? [],
      routedHere,
      readOnly: connector.facilities!.upsert
        ? undefined
        : (connector.facilities!.readOnlyReason ?? 'no facility writes'),
      cannotCreate: connector.facilities!.cannotCreate,
      reconciled: (crosswalk?.size ?? 0) > 0,
      createNeedsParent: connector.facilities!.createNeedsParent,
      unpublishedParent,
    };
    const decision = plan(input);
    if (decision.action !== 'create' || decision.state !== 'queued') return decision;
    const found = await this.codeCheck(connector, facility, crosswalk, batch);
    return found.sameCode || found.codeUnchecked ? plan({ ...input, ...found }) : decision;
  }

  /**
   * The registry jurisdiction the facility's partOf names, when the registry has not published it
   * (no version kept) and no area path names a parent either: the write could find no parent
   * (areas.ts), so a system that refuses a parentless create holds it instead (plan.ts).
   */
  private async unpublishedParent(facility: Facility): Promise<string | undefined> {
    if (facility.kind === 'area' || !facility.partOf || facility.areaPath?.length) return undefined;
    return (await this.registryArea(facility.partOf)) ? undefined : facility.partOf;
  }

  /** Planned already: not queued, or queued with its job recorded (a crash may fall between the two). */
  private async hasJob(row: Propagation): Promise<boolean> {
    if (row.state !== 'queued') return true;
    return (await rowJobs(this.deps.store, row)).length > 0;
  }

  /**
   * What a create waits on: an unlinked record with its code, or why the system could not be read
   * (down: the create waits for the next run, and the other systems' changes go on).
   */
  private async codeCheck(
    connector: Connector,
    facility: Facility,
    crosswalk: CrosswalkIndex | undefined,
    batch: Batch,
  ): Promise<Pick<PlanInput, 'sameCode' | 'sameCodeRow' | 'codeUnchecked'>> {
    try {
      const sameCode = await this.unlinkedWithCode(connector, facility, crosswalk, batch);
      return { sameCode, sameCodeRow: sameCode ? crosswalk?.rowOf(sameCode) : undefined };
    } catch (err) {
      return { codeUnchecked: upstreamFailure(err) };
    }
  }

  /** A record of the system with the registry facility's code that no crosswalk row links. */
  private async unlinkedWithCode(
    connector: Connector,
    facility: Facility,
    crosswalk: CrosswalkIndex | undefined,
    batch: Batch,
  ): Promise<string | undefined> {
    const code = facility.identifiers.find((i) => i.system === registryCodeSystem(this.deps.settings()));
    if (!code) return undefined;
    const ids = (await batch.byCode(connector)).get(code.value) ?? [];
    return ids.find((id) => !crosswalk?.links(id));
  }

  /**
   * The row first, then the job: the job's delivery starts at once and settles the row of its
   * version, so the row must be there before it (a crash in between re-plans the version: the
   * row's version differs, or its job is missing, and the job's key makes a second accept a no-op).
   * A plan the store does not take (a newer version was kept meanwhile, and is planned by its own
   * intake) queues nothing: its job would only end superseded, and the run would count it queued.
   * Nor one made from a row written since (`seen` is the row the plan read): it is made again.
   */
  private async record(
    record: RegistryRecord,
    system: string,
    decision: Decision,
    seen: Propagation | undefined,
  ): Promise<PlanWrite> {
    const row = { registryId: record.id, system, version: record.version, ...decision, updatedAt: this.now() };
    const written = await writePlan(this.deps.store, row, seen);
    if (written !== 'written' || decision.state !== 'queued') return written;
    const anew = relinkedTo(seen, row);
    // that record has this version already, by its own key's job: done, as it was (once only)
    if (!(await this.queue(record, system, anew)) && anew) await this.settle(row, { state: 'done' });
    return 'written';
  }

  /** The version's job for the system, accepted (its key makes a second accept a no-op), and sent now if it waited. */
  private async queue(record: RegistryRecord, system: string, relinkedTo?: string): Promise<boolean> {
    const payload: PropagationPayload = { registryId: record.id, version: record.version };
    const key = planKey(record.id, record.version, system, relinkedTo);
    const accept = () =>
      this.deps.outbox.acceptWrites([
        {
          flow: PROPAGATE_FLOW,
          system,
          idempotencyKey: key,
          payload,
          // the pull does not wait for upstreams: the outbox delivers in the background
          deadlineMs: 0,
        },
      ]);
    // read before the accept: only a job that held the key already may need sending (send-now.ts)
    const earlier = await this.deps.store.findJobsByKey(key);
    await accept();
    const change = { registryId: record.id, system, version: record.version, key };
    await sendNow(this.deps.store, change, earlier, accept, this.now());
    // a key whose job is done already: the version reached that record (a link back to it)
    return !earlier.some((j) => j.status === 'done');
  }

  /**
   * Plan held changes again (a person decided, the crosswalk changed, or the registry published
   * the jurisdiction a create waited for): those now clear are queued, the others stay held with
   * their current reason. Limited to one system when given, and to the facilities under one of
   * `parents` (registry jurisdiction ids) when given. Every held row, page by page in registry id
   * order: the 10,000 newest once, and a national registry's holds past them (a system never
   * reconciled holds every facility) were never planned, those waiting for a district included.
   * Then (a person decided, or a run: not a jurisdiction's arrival) the facilities linked anew
   * since their version was delivered, for the record linked now (relinked.ts).
   */
  async releaseHeld(system?: string, parents?: Set<string>): Promise<number> {
    if (parents) return this.releaseHeldRows(system, parents);
    // one read of the crosswalks for both (a decision waits for them)
    const batch = await this.batch();
    return (await this.releaseHeldRows(system, parents, batch)) + (await this.planRelinked(batch, system));
  }

  /**
   * The facilities whose version was delivered (done, refused) for a record other than the one
   * linked now, planned again: a decision or a run that moved a link plans no row by itself (only
   * holds were planned again), and the record linked now kept its old name, zone and position.
   * Every delivered row of the system (or of every system), page by page, against the crosswalk
   * the batch reads once (as releaseHeld does).
   */
  private async planRelinked(batch: Batch, system?: string): Promise<number> {
    const ids = new Set<string>();
    // one system at a time: a keyset page of several would skip a facility's rows past its end
    for (const one of system ? [system] : [...batch.crosswalks.keys()])
      for (const state of ['done', 'failed'] as const)
        for await (const page of byRegistryId(
          (after) => this.deps.store.listPropagations({ state, system: one, registryIdAfter: after, limit: PAGE }),
          PAGE,
        ))
          for (const row of page) if (relinked(row, batch.crosswalks.get(one))) ids.add(row.registryId);
    return ids.size ? this.releaseFacilities([...ids], batch) : 0;
  }

  private async releaseHeldRows(system?: string, parents?: Set<string>, read?: Batch): Promise<number> {
    let released = 0;
    let batch = read;
    const heldAfter = (after: string) =>
      this.deps.store.listPropagations({ state: 'held', system, registryIdAfter: after, limit: this.heldPage });
    for await (const held of byRegistryId(heldAfter, this.heldPage)) {
      batch ??= await this.batch();
      // a facility's other rows on the next page are planned with it (fanOut plans every system)
      const ids = [...new Set(held.map((h) => h.registryId))];
      released += await this.releaseFacilities(ids, batch, parents);
    }
    return released;
  }

  /** releaseHeld's plan of some held facilities: how many of their changes are queued now. */
  private async releaseFacilities(registryIds: string[], batch: Batch, parents?: Set<string>): Promise<number> {
    let released = 0;
    await eachLimited(registryIds, PLAN_CONCURRENCY, async (registryId) => {
      const stored = await this.deps.store.getRegistryRecord(registryId);
      if (!stored) return;
      const record = stored.record as RegistryRecord;
      if (parents && !parents.has(record.facility?.partOf ?? '')) return;
      const decisions = await this.fanOut(record, batch);
      released += decisions.filter((d) => d.state === 'queued').length;
      // a hold planned skipped settles its row with no delivery: the last one a move waited for
      await this.moveOnceSettled(registryId);
    });
    return released;
  }

  /**
   * A full read of the registry: facilities the mediator has seen active and the registry no
   * longer lists (KMHFL unpublishes closed ones) are propagated as closed; one closed that way and
   * listed again in the very version it was closed in (a read that missed it: a permission or
   * filter changed for a while) is opened again, since no new version will ever say so. Only ever
   * called with a complete list (the client throws rather than return part of one); an empty list
   * is refused.
   */
  async confirmAbsent(full: RegistryRecord[]): Promise<{ absent: number; relisted: number }> {
    if (full.length === 0) throw new Error('the registry listed no facility at all: absence is not confirmed');
    // a closure or reopening kept by a read killed before its plan: skipped below as done already
    await this.planUnplanned();
    const present = new Map(full.map((r) => [r.id, r]));
    const gone: RegistryRecord[] = [];
    const back: RegistryRecord[] = [];
    for (const row of await this.deps.store.listRegistryRecords()) {
      const last = row.record as RegistryRecord;
      const listed = present.get(row.registryId);
      if (listed) {
        // just after the closure, as the closure is just after the version it closed
        if (listed.facility && closedAsAbsent(row.version) && closedVersion(row.version) === listed.version)
          await this.keptOwn(back, row, RELISTED, listed);
        continue;
      }
      if (!last.facility || last.facility.status === 'inactive') continue;
      // just after the version it closes, on the registry's clock (keepOwn)
      const closed = { ...last.facility, status: 'inactive' as const };
      await this.keptOwn(gone, row, ABSENT, { id: row.registryId, version: '', lastUpdated: '', facility: closed });
    }
    if (gone.length || back.length) await this.planKept([...gone, ...back]);
    return { absent: gone.length, relisted: back.length };
  }

  /** keepOwn, the version added to `kept` when taken (another kept meanwhile stands, and was planned by its own intake). */
  private async keptOwn(kept: RegistryRecord[], over: RegistryRecordRow, suffix: string, record: RegistryRecord) {
    const own = await this.keepOwn(over, suffix, record);
    if (own) kept.push(own);
  }

  /** The outbox handler of each system's propagation jobs (registered once; connectors looked up live). */
  registerHandlers(systems: string[]): void {
    for (const system of systems)
      this.deps.outbox.register(PROPAGATE_FLOW, system, (job, journal) => this.deliver(system, job, journal));
  }

  private async deliver(system: string, job: OutboxJob, journal: StepJournal): Promise<WriteResult> {
    const { registryId, version } = job.payload as PropagationPayload;
    const result = await this.deps.store
      .withLock(`propagate:${registryId}:${system}`, async () => {
        for (let tries = 1; ; tries++)
          try {
            return await this.deliverRow(system, registryId, version, journal);
          } catch (err) {
            // the row was planned again while this delivery planned it from its links: read it again
            if (!(err instanceof PlannedMeanwhile)) throw err;
            if (tries >= REPLANS) throw err.retryLater(system);
          }
      })
      .catch(async (err: unknown) => {
        // refused (settled failed): the last row a move waited for; the refusal is what is told
        if (err instanceof MediatorError) await this.moveOnceSettled(registryId).catch(() => undefined);
        throw err;
      });
    // outside the lock: the move plans this system's row too. Failing, the job is tried again,
    // finds its row done and looks again
    await this.moveOnceSettled(registryId);
    return result;
  }

  /** One delivery of the version's row as read now (deliver's lock held). */
  private async deliverRow(
    system: string,
    registryId: string,
    version: string,
    journal: StepJournal,
  ): Promise<WriteResult> {
    const row = await this.deps.store.getPropagation(registryId, system);
    if (!row || row.version !== version) return this.planAtDelivery(system, registryId, version, row, journal);
    if (row.state === 'done') return { system, ids: row.systemId ? { record: row.systemId } : {}, status: 'done' };
    // held since its link was taken back (an operator retried the job that ended so): a person
    // decides first, and the decision plans it queued with a job of its own
    if (row.state === 'held') throw new LinkTakenBack(system, registryId, row.reason ?? 'held');
    try {
      return await this.apply(system, row, journal);
    } catch (err) {
      // a refusal is final for this version: say why in the status; a transient failure retries.
      // Masked as the outbox masks its stored errors: a server may echo the request's credentials.
      // A hold is no refusal: the row says held, and why
      if (
        err instanceof MediatorError &&
        !(err as { transient?: boolean }).transient &&
        !(err instanceof LinkTakenBack)
      )
        await this.settle(row, { state: 'failed', reason: describeError(err) });
      throw err;
    }
  }

  /**
   * A job whose version the row does not hold: superseded by a newer version kept, or, while its
   * version is still the kept one, a plan given up (planGivenUp) whose job was queued anyway.
   * Planned here from fresh reads, written only over the row read (PlannedMeanwhile: read again),
   * then delivered as planned; a hold ends the job as any hold found at delivery does.
   */
  private async planAtDelivery(
    system: string,
    registryId: string,
    version: string,
    seen: Propagation | undefined,
    journal: StepJournal,
  ): Promise<WriteResult> {
    const superseded: WriteResult = { system, ids: {}, status: 'superseded' };
    const record = (await this.deps.store.getRegistryRecord(registryId))?.record as RegistryRecord | undefined;
    if (record?.version !== version || !record.facility) return superseded;
    const connector = this.deps.connectors().find((c) => c.system === system);
    if (!connector?.facilities) throw new NotConfiguredError(PROPAGATE_FLOW, [system]);
    const decision = await this.decideNow(connector, record.facility);
    const next: Propagation = { registryId, system, version, ...decision, updatedAt: this.now() };
    const written = await writePlan(this.deps.store, next, seen);
    if (written === 'moved') throw new PlannedMeanwhile(next);
    // a newer version kept since the record's read: it has its own plan and job
    if (written === 'refused') return superseded;
    if (decision.state === 'queued') return this.deliverRow(system, registryId, version, journal);
    if (decision.state === 'skipped') return { system, ids: {}, status: 'skipped' };
    throw new LinkTakenBack(system, registryId, decision.reason ?? 'held');
  }

  /** One system's plan of the facility from its links, routing and parent as they are now. */
  private async decideNow(connector: Connector, facility: Facility): Promise<Decision> {
    const reads = await this.planReads(facility);
    const batch = await this.batch([connector]);
    return this.decide(connector, facility, batch, reads.routed.has(connector.system), reads.unpublishedParent);
  }

  private async apply(system: string, row: Propagation, journal: StepJournal): Promise<WriteResult> {
    const connector = this.deps.connectors().find((c) => c.system === system);
    const capability = connector?.facilities;
    if (!connector || !capability?.upsert) throw new NotConfiguredError(PROPAGATE_FLOW, [system]);
    const record = (await this.deps.store.getRegistryRecord(row.registryId))?.record as RegistryRecord | undefined;
    if (!record?.facility) throw new BusinessRuleError(`registry facility ${row.registryId} is not known`, 'Location');
    // a newer version kept since this job's check (the pull runs beside the worker) has its own job:
    // writing its content here would write that version twice
    if (record.version !== row.version) return { system, ids: {}, status: 'superseded' };
    const target = await this.followLink(connector, row, { ...record, facility: record.facility });
    if (!target) return { system, ids: {}, status: 'skipped' };
    row = target;
    // the write of the record takes the step a FHIR write of it takes (routing/write-locks.ts):
    // read, built on that read and written with no client write of the Location in between
    const codeSystem = registryCodeSystem(this.deps.settings());
    const names = await this.writeLocksOf(capability, row.systemId, record.facility, codeSystem);
    const facility = record.facility;
    return withWriteLocks(this.deps.store, names, () =>
      this.write(system, row, journal, capability, { ...record, facility }, codeSystem),
    ).catch((err: unknown) => {
      if (!(err instanceof LockWaitTimeout)) throw err;
      throw new UpstreamError({
        system,
        transient: true,
        upstreamStatus: 503,
        code: 'lock-error',
        diagnostics: `a client's write of the same facility is still being written (${err.message}); retried later`,
      });
    });
  }

  /**
   * The row to write with, as the crosswalk says now, not as it said when the change was planned:
   * a review decision since may have taken the link back (reject, break) or linked another record.
   * An update goes to the record linked now; with none, the change is planned again: a create is
   * written as such, a hold ends the job (LinkTakenBack) until a decision plans it queued, a skip
   * ends it (undefined).
   */
  private async followLink(
    connector: Connector,
    row: Propagation,
    record: RegistryRecord & { facility: Facility },
  ): Promise<Propagation | undefined> {
    if (!row.systemId) return row;
    const linked = (await this.deps.store.listCrosswalkByRegistryId(row.registryId)).find(
      (r) => r.system === connector.system && LINKED.has(r.state),
    );
    if (linked) return linked.systemId === row.systemId ? row : { ...row, systemId: linked.systemId };
    const decision = await this.decideNow(connector, record.facility);
    const next: Propagation = { ...row, ...decision, systemId: decision.systemId, updatedAt: this.now() };
    // planned from the links read after the row: a decision's plan written since is not written over
    const written = await writePlan(this.deps.store, next, row);
    if (written === 'moved') throw new PlannedMeanwhile(row);
    // refused as a newer version was kept since apply read the record: this plan was never written,
    // and going on would send a change that version supersedes (its own job writes it); read again
    if (written === 'refused' && (await this.deps.store.getRegistryRecord(row.registryId))?.version !== row.version)
      throw new PlannedMeanwhile(row);
    if (decision.state === 'queued') return next;
    if (decision.state === 'skipped') return undefined;
    throw new LinkTakenBack(connector.system, row.registryId, decision.reason ?? 'held', row.systemId);
  }

  /**
   * The lock names of a propagation's write: the record as the system holds it (its FHIR id and
   * identifiers), and the registry code a create is made under (a POST of that code meets it).
   */
  private async writeLocksOf(
    capability: FacilityCapability,
    systemId: string | undefined,
    registry: Facility,
    codeSystem: string,
  ): Promise<string[]> {
    const held = systemId ? await capability.get(systemId) : undefined;
    const code = registry.identifiers.filter((i) => i.system === codeSystem);
    return [
      ...(held ? facilityWriteLocks(held) : []),
      ...facilityWriteLocks({ ...registry, id: undefined, identifiers: code }),
    ];
  }

  private async write(
    system: string,
    row: Propagation,
    journal: StepJournal,
    capability: FacilityCapability,
    record: RegistryRecord & { facility: Facility },
    codeSystem: string,
  ): Promise<WriteResult> {
    const current = row.systemId ? await capability.get(row.systemId) : undefined;
    const writeKey = (f: Facility) => capability.writeKey?.(f);
    await afterQueuedClientWrite(this.deps.store, system, current, row.registryId, writeKey);
    if (row.systemId && !current)
      throw new BusinessRuleError(
        `${system} record ${row.systemId} linked to registry facility ${row.registryId} no longer exists`,
        'Location',
      );
    const parent = await systemArea(
      capability,
      record.facility,
      (id) => this.registryArea(id),
      {
        byName: (name) => this.areas.get(`${system}|name|${name.toLowerCase()}`, () => findArea(capability, name)),
        byCode: (code) => this.areas.get(`${system}|code|${code}`, () => findAreaByCode(capability, code)),
      },
      !current,
    );
    const types = systemTypes(this.deps.types(), record.facility.types, system);
    const write = facilityToWrite({
      registry: record.facility,
      current,
      parentId: parent.id,
      registryCodeSystem: codeSystem,
      types: types.codes,
    });
    // a create: the record it makes may be one a client's POST still queued will make first
    if (!current) await afterQueuedClientCreate(this.deps.store, system, write, writeKey);
    if (!capability.upsert) throw new NotConfiguredError(PROPAGATE_FLOW, [system]);
    const result = await capability.upsert(write, journal).catch((err: unknown) => {
      throw current ? err : withMissingParent(err, parent.missing);
    });
    const systemId = row.systemId ?? Object.values(result.ids)[0];
    if (!row.systemId && systemId) await this.link(system, systemId, row.registryId);
    const unsupported = {
      ...unsupportedFields(
        capability,
        fieldsToReport(changedFields(write, current, codeSystem), capability, record.facility),
      ),
      ...parent.unsupported,
      ...(types.unmapped.length && !capability.cannotKeep?.type
        ? { type: `registry type ${types.unmapped.join(', ')} has no ${system} type in facility-types.json` }
        : {}),
    };
    await this.settle(row, {
      state: 'done',
      systemId,
      ...(Object.keys(unsupported).length ? { unsupported } : {}),
    });
    return result;
  }

  /** A registry jurisdiction as last seen: its name and its codes (the stable key into each system's areas). */
  private async registryArea(registryId: string): Promise<RegistryArea | undefined> {
    const row = await this.deps.store.getRegistryRecord(registryId);
    const area = (row?.record as RegistryRecord | undefined)?.facility;
    return area && { name: area.name, codes: area.identifiers.map((i) => i.value) };
  }

  /** A facility the mediator created is that registry facility: the crosswalk says so for good. */
  private async link(system: string, systemId: string, registryId: string): Promise<void> {
    const at = new Date(this.now()).toISOString();
    await this.deps.store.upsertCrosswalk(
      {
        system,
        systemId,
        registryId,
        state: 'manual-match',
        zone: 'auto',
        reasons: [{ field: 'propagation', weight: 0, detail: 'created from the registry by propagation' }],
        suggestions: [],
        decidedBy: 'propagation',
        decidedAt: at,
      },
      { actor: 'propagation', action: 'crosswalk.create', subject: `crosswalk/${system}/${systemId}` },
    );
  }

  private async settle(row: Propagation, outcome: Partial<Propagation>): Promise<void> {
    await this.deps.store.settlePropagation({ ...row, reason: undefined, ...outcome, updatedAt: this.now() });
  }
}

/**
 * Why a system could not be read, for a change that waits on it; anything but an upstream failure
 * (a programming error) is thrown on, never turned into a wait.
 */
/**
 * The rows `read` gives, page by page in registry id order, each page read after the last id of
 * the one before: rows written meanwhile (a plan makes its row newer) never shift a page, as an
 * offset or a newest-first read would. Ends at the first page shorter than `size`.
 */
async function* byRegistryId<T extends { registryId: string }>(
  read: (after: string) => Promise<T[]>,
  size: number,
): AsyncGenerator<T[]> {
  for (let after = ''; ;) {
    const page = await read(after);
    if (page.length) yield page;
    if (page.length < size) return;
    after = page[page.length - 1]!.registryId;
  }
}

function upstreamFailure(err: unknown): string {
  if (err instanceof UpstreamError) return describeError(err);
  throw err;
}

/**
 * Whether the mediator's last word on a version is a closure for absence: `3+absent`, or such a
 * closure written again under a parent published since (`3+absent+parent`), still closed.
 */
export function closedAsAbsent(version: string): boolean {
  return version.replace(/(?:\+parent)+$/, '').endsWith(ABSENT);
}

/** The registry version under the mediator's own closures, reopenings and re-parentings (`3+parent+absent+relisted` → `3`). */
export function closedVersion(version: string): string {
  return version.replace(/(?:\+absent|\+relisted|\+parent)+$/, '');
}

/**
 * A version's place in the registry's time: its meta.lastUpdated; for one the registry gave no
 * instant (a push), just after the version kept before it (the epoch for a first one): on this
 * machine's clock, a registry running behind it would have every later version of that facility
 * refused as older.
 */
function changedAt(r: RegistryRecord, before: RegistryRecordRow | undefined, now: () => number): number {
  if (r.unstamped) return before ? before.changedAt + 1 : 0;
  return Date.parse(r.lastUpdated) || now();
}

interface Batch {
  crosswalks: Map<string, CrosswalkIndex>;
  /** The system's facility ids by each identifier value they carry (one full read per batch). */
  byCode(connector: Connector): Promise<Map<string, string[]>>;
}

/** One read of the system's list, instead of a search per new facility (OpenMRS searches read every page). */
async function recordsByCode(connector: Connector): Promise<Map<string, string[]>> {
  const capability = connector.facilities!;
  const all = capability.listAll ? await capability.listAll() : [];
  const index = new Map<string, string[]>();
  for (const f of all) {
    if (f.kind !== 'facility' || !f.id) continue;
    for (const i of f.identifiers) index.set(i.value, [...(index.get(i.value) ?? []), f.id]);
  }
  return index;
}
