import { boundWallTime, keptWallTime, wallTime } from './server-zone.js';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { SEED_PRODUCT_CODES, seedUid } from './seed.js';
import { stamp, type Dhis2State } from './state.js';
import { ImportFailure, importServerError, trackerImportFailed } from './import-failures.js';
import { errorMessage, notFound } from './webmessage.js';
import { parseFields, project } from './query.js';
import { accessRefusals, registerTrackerAccessControls, type AccessLevel, type DataAccess } from './tracker-access.js';

/**
 * Real-Time Stock Management as DHIS2 keeps it (dhis2-android-capture-app `stock-usecase`,
 * dhis2-android-sdk `StockUseCaseService`): one tracker program, each item a tracked entity
 * enrolled at a facility, each transaction one event of the program's stage carrying one quantity
 * data element; stock on hand assigned by a program rule. The use case is the datastore entry
 * `USE_CASES/stockUseCases`. Tracker import (`POST /api/tracker`, docs.dhis2.org developer/web-api
 * tracker.md) answers the ImportReport (409 when ERROR), or a job to poll when async; exports
 * page with `page/pageSize/instances` before 2.41 and `pager` + a named list from 2.41.
 */
type Json = Record<string, any>;

export const RTS = {
  program: 'LkRtsProgrm',
  stage: 'LkRtsStage1',
  itemCode: 'LkItemCode1',
  itemDescription: 'LkItemDesc1',
  stockOnHand: 'LkRtsSOH001',
  stockDistributed: 'LkRtsDist01',
  distributedTo: 'LkRtsDestTo',
  stockCount: 'LkRtsCount1',
  stockDiscarded: 'LkRtsDiscrd',
  /** The items' tracked entity type. */
  trackedEntityType: 'LkRtsItemTy',
};

/**
 * Where a distribution went: RTS's "deliver to" data element has an option set, whose options
 * are the destinations the app offers (dhis2-android-capture-app stock-usecase
 * `MetadataManagerImpl.destinations`: the options of `distributedTo`'s option set). DHIS2 takes
 * an option's code only (E1125 otherwise: tracker `ValidationCode.E1125`).
 */
export const RTS_DESTINATIONS = {
  optionSet: 'LkRtsDestOS',
  options: [
    { code: 'COMMUNITY', name: 'Community health workers' },
    { code: 'SCHOOL', name: 'School health programme' },
    { code: 'OUTREACH', name: 'Outreach session' },
    { code: 'REFERRAL', name: 'Referral hospital' },
  ],
};

/** The option sets of tracker data elements, by data element. */
const OPTION_SETS: Record<string, typeof RTS_DESTINATIONS> = { [RTS.distributedTo]: RTS_DESTINATIONS };

/** An event program (no enrollment) for received consignments, as the mSupply–RTS flow keeps them. */
export const CONSIGNMENT = {
  program: 'LkConsignmt',
  stage: 'LkConsStage',
  item: 'LkConsItem1',
  quantity: 'LkConsQty01',
  reference: 'LkConsRef01',
  lot: 'LkConsLot01',
};

/**
 * An event program (no enrollment) facilities raise requisitions in, as RTS ordering does for the
 * mSupply "DHIS2 LMIS integration": one event per requisition, one quantity data element per
 * product (a data element holds one value per event), completed when the facility sends it.
 */
export const REQUISITION = {
  program: 'LkRequisitn',
  stage: 'LkReqStage1',
  /** Product DHIS2 code → its quantity data element. */
  quantities: Object.fromEntries(SEED_PRODUCT_CODES.map((code) => [code, seedUid(`requisition-qty:${code}`)])),
};

/** `dhis2.requisitionDataElements` for the sandbox's requisition program. */
export const REQUISITION_DATA_ELEMENTS = Object.entries(REQUISITION.quantities)
  .map(([code, uid]) => `${code}=${uid}`)
  .join(',');

const PROGRAMS: Record<string, { stage: string; tracker: boolean; dataElements: Set<string>; text: Set<string> }> = {
  [RTS.program]: {
    stage: RTS.stage,
    tracker: true,
    dataElements: new Set([
      RTS.stockOnHand,
      RTS.stockDistributed,
      RTS.distributedTo,
      RTS.stockCount,
      RTS.stockDiscarded,
    ]),
    text: new Set([RTS.distributedTo]),
  },
  [CONSIGNMENT.program]: {
    stage: CONSIGNMENT.stage,
    tracker: false,
    dataElements: new Set([CONSIGNMENT.item, CONSIGNMENT.quantity, CONSIGNMENT.reference, CONSIGNMENT.lot]),
    text: new Set([CONSIGNMENT.item, CONSIGNMENT.reference, CONSIGNMENT.lot]),
  },
  [REQUISITION.program]: {
    stage: REQUISITION.stage,
    tracker: false,
    dataElements: new Set(Object.values(REQUISITION.quantities)),
    text: new Set(),
  },
};

export interface TrackerEvent {
  event: string;
  program: string;
  programStage: string;
  enrollment?: string;
  trackedEntity?: string;
  orgUnit: string;
  occurredAt: string;
  status: string;
  dataValues: { dataElement: string; value: string }[];
  notes: { value: string }[];
  createdAt: string;
  updatedAt: string;
  /**
   * Who stored it, as 2.41 exports an event: `storedBy` the importing user's username,
   * `createdBy`/`updatedBy` a UserInfoSnapshot (uid, username, firstName, surname). The mediator
   * must keep these out of what it records for OpenHIM (src/systems/dhis2/recorded-answers.ts).
   */
  storedBy?: string;
  createdBy?: UserInfo;
  updatedBy?: UserInfo;
}

interface UserInfo {
  uid: string;
  username: string;
  firstName: string;
  surname: string;
}

interface TrackedEntity {
  trackedEntity: string;
  orgUnit: string;
  enrollment: string;
  attributes: { attribute: string; value: string }[];
}

export class TrackerState {
  readonly events = new Map<string, TrackerEvent>();
  /** The query of each event export, newest last (the last 500), for tests that check what was asked. */
  readonly eventQueries: Record<string, unknown>[] = [];
  readonly trackedEntities = new Map<string, TrackedEntity>();
  private readonly jobs = new Map<string, TrackerJob>();
  /**
   * The org units each program is assigned to (Maintenance → Program → organisation units), by
   * program; a program not listed is assigned to every org unit, as the seed has them.
   */
  readonly programOrgUnits = new Map<string, Set<string>>();
  /** Program access levels (tracker-access.ts); a program not listed is OPEN. */
  readonly programAccessLevels = new Map<string, AccessLevel>();
  /** Users' data sharing of programs, stages and tracked entity types (tracker-access.ts); not listed: rw. */
  readonly dataSharing = new Map<string, Map<string, DataAccess>>();
  /** `trackedEntity|program` → owning org unit, after an ownership transfer; not listed: where enrolled. */
  readonly owners = new Map<string, string>();

  recordEventQuery(q: Record<string, unknown>): void {
    this.eventQueries.push({ ...q });
    if (this.eventQueries.length > 500) this.eventQueries.shift();
  }

  constructor(private readonly state: Dhis2State) {
    const facilities = [...state.orgUnits.values()].filter((o) => state.levelOf(o) === 4);
    for (const ou of facilities) {
      for (const code of SEED_PRODUCT_CODES) {
        const te = seedUid(`te:${ou.code}:${code}`);
        this.trackedEntities.set(te, {
          trackedEntity: te,
          orgUnit: ou.id,
          enrollment: seedUid(`en:${ou.code}:${code}`),
          attributes: [
            { attribute: RTS.itemCode, value: code },
            { attribute: RTS.itemDescription, value: `${code} (RTS item)` },
          ],
        });
      }
    }
    // a month of transactions at Mberewa Health Centre: a count, distributions, a discard
    const hc = facilities.find((o) => o.code === 'LK-HC-101');
    if (hc) {
      const te = this.teOf(hc.id, 'FP_CNDM')!;
      const seed: [string, string, string, string?][] = [
        ['2024-03-01T08:00:00.000', RTS.stockCount, '500'],
        ['2024-03-05T10:00:00.000', RTS.stockDistributed, '120', 'COMMUNITY'],
        ['2024-03-12T10:00:00.000', RTS.stockDistributed, '80', 'SCHOOL'],
        ['2024-03-20T15:00:00.000', RTS.stockDiscarded, '6'],
      ];
      for (const [at, de, value, to] of seed) {
        const uid = seedUid(`ev:${at}`);
        this.events.set(uid, {
          event: uid,
          program: RTS.program,
          programStage: RTS.stage,
          enrollment: te.enrollment,
          trackedEntity: te.trackedEntity,
          orgUnit: hc.id,
          occurredAt: at,
          status: 'COMPLETED',
          dataValues: [{ dataElement: de, value }, ...(to ? [{ dataElement: RTS.distributedTo, value: to }] : [])],
          notes: [],
          createdAt: at,
          updatedAt: at,
          storedBy: 'admin',
        });
      }
      this.applyRules();
    }
  }

  /** storedBy, createdBy (kept from the first import) and updatedBy of an event `username` imports. */
  private storedByFields(username: string | undefined, existing: TrackerEvent | undefined): Partial<TrackerEvent> {
    const user = username ? this.state.userNamed(username) : undefined;
    if (!username || !user) return existing ? { storedBy: existing.storedBy, createdBy: existing.createdBy } : {};
    const [firstName, ...rest] = user.name.split(' ');
    const info: UserInfo = { uid: this.state.userUid(user), username, firstName, surname: rest.join(' ') };
    return { storedBy: username, createdBy: existing?.createdBy ?? info, updatedBy: info };
  }

  teOf(orgUnit: string, code: string): TrackedEntity | undefined {
    return [...this.trackedEntities.values()].find(
      (t) => t.orgUnit === orgUnit && t.attributes.some((a) => a.attribute === RTS.itemCode && a.value === code),
    );
  }

  /** The program rule: stock on hand after each event, in occurredAt order per item (RTS `StockManagerImpl`). */
  computedStock(): Map<string, string> {
    const out = new Map<string, string>();
    const byItem = new Map<string, TrackerEvent[]>();
    for (const e of this.events.values())
      if (e.program === RTS.program && e.enrollment) byItem.set(e.enrollment, [...(byItem.get(e.enrollment) ?? []), e]);
    for (const list of byItem.values()) {
      let soh = 0;
      for (const e of list.sort(
        (a, b) => a.occurredAt.localeCompare(b.occurredAt) || a.createdAt.localeCompare(b.createdAt),
      )) {
        const v = (de: string) => Number(e.dataValues.find((d) => d.dataElement === de)?.value ?? NaN);
        if (Number.isFinite(v(RTS.stockCount))) soh = v(RTS.stockCount);
        if (Number.isFinite(v(RTS.stockDistributed))) soh -= v(RTS.stockDistributed);
        if (Number.isFinite(v(RTS.stockDiscarded))) soh -= v(RTS.stockDiscarded);
        out.set(e.event, String(soh));
      }
    }
    return out;
  }

  applyRules(): void {
    for (const [uid, soh] of this.computedStock()) {
      const e = this.events.get(uid)!;
      e.dataValues = [
        ...e.dataValues.filter((d) => d.dataElement !== RTS.stockOnHand),
        { dataElement: RTS.stockOnHand, value: soh },
      ];
    }
  }

  /** POST /api/tracker with events: validation per event, atomicMode ALL or OBJECT, the ImportReport. */
  importEvents(payload: Json, q: Json, username?: string): { status: number; report: Json } {
    this.state.importFailures.check();
    const events: Json[] = Array.isArray(payload?.events) ? payload.events : [];
    const atomic = String(q.atomicMode ?? 'ALL');
    const strategy = String(q.importStrategy ?? 'CREATE_AND_UPDATE');
    const errors: Json[] = [];
    const objectReports: Json[] = [];
    const stats = { created: 0, updated: 0, deleted: 0, ignored: 0, total: events.length };
    const valid: { e: Json; index: number; existing?: TrackerEvent }[] = [];
    events.forEach((e, index) => {
      const uid = typeof e.event === 'string' && e.event ? e.event : seedUid(`gen:${Math.random()}`);
      const err = (errorCode: string, message: string) =>
        errors.push({ message, errorCode, trackerType: 'EVENT', uid });
      const before = errors.length;
      if (!/^[a-zA-Z][a-zA-Z0-9]{10}$/.test(uid))
        err('E1048', `Object: \`${uid}\`, uid: \`${uid}\`, has an invalid uid format.`);
      const program = PROGRAMS[e.program];
      if (!program) err('E1010', `Could not find Program: \`${e.program}\`, linked to Event.`);
      else if (e.programStage !== program.stage)
        err('E1013', `Could not find ProgramStage: \`${e.programStage}\`, linked to Event.`);
      if (!this.state.orgUnits.has(e.orgUnit))
        err('E1011', `Could not find OrganisationUnit: \`${e.orgUnit}\`, linked to Event.`);
      if (program?.tracker) {
        if (!e.enrollment) err('E1033', `Event: \`${uid}\`, Enrollment value is NULL.`);
        else if (![...this.trackedEntities.values()].some((t) => t.enrollment === e.enrollment))
          err('E1081', `Enrollment: \`${e.enrollment}\`, is not valid. Enrollment was not found.`);
      }
      if (!e.occurredAt) err('E1031', `Event OccurredAt date is missing.`);
      // DHIS2 validates an event in sequence and stops at the first validator that refuses it: the
      // program's org units (DataRelationsValidator), then the user's capture scope
      // (SecurityOwnershipValidator), then its values (tracker-access.ts); a missing field
      // (MandatoryFieldsValidator) or unknown metadata (MetaValidator) comes first
      const existing = this.events.get(uid);
      const te = program?.tracker
        ? existing?.trackedEntity
          ? this.trackedEntities.get(existing.trackedEntity)
          : [...this.trackedEntities.values()].find((t) => t.enrollment === e.enrollment)
        : undefined;
      const refusals =
        errors.length === before && program
          ? accessRefusals(
              this.state,
              this,
              {
                program: e.program,
                stage: e.programStage,
                orgUnit: e.orgUnit,
                tracker: program.tracker,
                existing,
                trackedEntity: te && { uid: te.trackedEntity, orgUnit: te.orgUnit, type: RTS.trackedEntityType },
              },
              username,
            )
          : [];
      for (const r of refusals) err(r.errorCode, r.message);
      for (const dv of Array.isArray(e.dataValues) ? e.dataValues : []) {
        if (!program || refusals.length) break;
        if (!program.dataElements.has(dv.dataElement))
          err('E1304', `DataElement: \`${dv.dataElement}\`, is not a valid data element.`);
        else if (
          OPTION_SETS[dv.dataElement] &&
          !OPTION_SETS[dv.dataElement].options.some((o) => o.code === String(dv.value))
        )
          err(
            'E1125',
            `Value \`${dv.value}\` is not a valid option code in OptionSet \`${OPTION_SETS[dv.dataElement].optionSet}\`.`,
          );
        else if (!program.text.has(dv.dataElement) && !/^\d+$/.test(String(dv.value ?? '')))
          err(
            'E1302',
            `DataElement: \`${dv.dataElement}\`, value is not valid: \`Value '${dv.value}' is not a valid positive integer or zero\`.`,
          );
      }
      if (strategy === 'CREATE' && existing) err('E1030', `Event: \`${uid}\`, already exists.`);
      if (errors.length > before) {
        objectReports.push({ trackerType: 'EVENT', uid, index, errorReports: errors.slice(before) });
        stats.ignored++;
      } else valid.push({ e: { ...e, event: uid }, index, existing });
    });
    // the rule engine runs with validation, before anything is committed (validationMode FULL
    // reports every error): the valid events are applied tentatively for it, then kept — all of
    // them with atomicMode=ALL and no error, each valid one with OBJECT — or rolled back
    {
      const before = new Map(this.events);
      for (const { e, existing } of valid) {
        const te = e.enrollment
          ? [...this.trackedEntities.values()].find((t) => t.enrollment === e.enrollment)
          : undefined;
        const now = wallTime(this.state.now(), this.state.timeZone);
        this.events.set(e.event, {
          event: e.event,
          program: e.program,
          programStage: e.programStage,
          enrollment: e.enrollment,
          trackedEntity: te?.trackedEntity,
          orgUnit: e.orgUnit,
          occurredAt: keptWallTime(String(e.occurredAt), this.state.timeZone),
          status: e.status ?? 'ACTIVE',
          dataValues: (e.dataValues ?? []).map((d: Json) => ({ dataElement: d.dataElement, value: String(d.value) })),
          notes: e.notes ?? [],
          createdAt: existing?.createdAt ?? now,
          updatedAt: now,
          ...this.storedByFields(username, existing),
        });
      }
      // the rule engine: a stockOnHand sent that differs from the one the rules assign is E1307
      const computed = this.computedStock();
      for (const { e, index } of valid) {
        const sent = (e.dataValues ?? []).find((d: Json) => d.dataElement === RTS.stockOnHand);
        if (sent && String(sent.value) !== computed.get(e.event)) {
          const report = {
            message: `Generated by program rule (\`RTS stock on hand\`) - DataElement \`${RTS.stockOnHand}\` is being replaced by a program rule`,
            errorCode: 'E1307',
            trackerType: 'EVENT',
            uid: e.event,
          };
          errors.push(report);
          objectReports.push({ trackerType: 'EVENT', uid: e.event, index, errorReports: [report] });
          this.events.delete(e.event);
          const was = before.get(e.event);
          if (was) this.events.set(e.event, was);
          stats.ignored++;
        }
      }
      if (atomic !== 'OBJECT' && errors.length) {
        this.events.clear();
        for (const [uid, was] of before) this.events.set(uid, was);
        stats.ignored = events.length;
      } else {
        for (const { e, index, existing } of valid) {
          if (!this.events.has(e.event) || objectReports.some((o) => o.uid === e.event)) continue;
          if (existing) stats.updated++;
          else stats.created++;
          objectReports.push({ trackerType: 'EVENT', uid: e.event, index, errorReports: [] });
        }
      }
      this.applyRules();
    }
    const status = errors.length ? 'ERROR' : 'OK';
    const empty = (t: string) => ({
      trackerType: t,
      stats: { created: 0, updated: 0, deleted: 0, ignored: 0, total: 0 },
      objectReports: [],
    });
    // the bundle report is the persistence report: object reports of what was committed only
    // (`index` up to 2.40, none from 2.41: TrackerObjectReport, then Entity), and no bundle
    // report at all when atomicMode=ALL refused the batch (ImportReport.withValidationErrors);
    // a refused object is named by its uid in the validation report alone
    const persisted = objectReports
      .filter((o) => !o.errorReports.length)
      .sort((a, b) => a.index - b.index)
      .map((o) => (this.state.major() >= 41 ? { trackerType: o.trackerType, uid: o.uid, errorReports: [] } : o));
    const rolledBack = atomic !== 'OBJECT' && errors.length > 0;
    const report = {
      status,
      validationReport: { errorReports: errors, warningReports: [] },
      stats,
      ...(rolledBack
        ? {}
        : {
            bundleReport: {
              status,
              stats,
              typeReportMap: {
                EVENT: { trackerType: 'EVENT', stats, objectReports: persisted },
                ENROLLMENT: empty('ENROLLMENT'),
                RELATIONSHIP: empty('RELATIONSHIP'),
                TRACKED_ENTITY: empty('TRACKED_ENTITY'),
              },
            },
          }),
    };
    return { status: status === 'ERROR' ? 409 : 200, report };
  }

  /**
   * An async import (`POST /api/tracker`, async being the default): answered at once with the job,
   * run in the background `delayMs` later, as DHIS2's job scheduler does; until then the job's
   * notifications say it started and it has no report. The answer names the job as the version's
   * fixtures do (`responseType: "TrackerJob"` before 2.41, the docs' shape without it after).
   * `base`: the server's URL; DHIS2 answers the job's location as an absolute URL.
   */
  startJob(run: () => { report: Json }, base: string, delayMs: number): Json {
    const id = seedUid(`job:${Math.random()}`);
    const job: TrackerJob = { started: stamp() };
    this.jobs.set(id, job);
    const finish = () => {
      this.pending.delete(finish);
      if (job.finished) return;
      try {
        job.report = run().report;
      } catch (err) {
        job.error = err instanceof ImportFailure ? err.reason : (err as Error).message;
        job.report = trackerImportFailed(this.state.major(), job.error);
      }
      job.finished = stamp();
    };
    this.pending.add(finish);
    setTimeout(finish, delayMs).unref();
    return {
      httpStatus: 'OK',
      httpStatusCode: 200,
      status: 'OK',
      message: 'Tracker job added',
      response: {
        ...(this.state.major() < 41 ? { responseType: 'TrackerJob' } : {}),
        id,
        location: `${base}/api/tracker/jobs/${id}`,
      },
    };
  }

  job(id: string): TrackerJob | undefined {
    return this.jobs.get(id);
  }

  /** Forget every job, as a server restart does (job info is kept in memory only). */
  forgetJobs(): void {
    this.jobs.clear();
  }

  /** Runs every job still waiting now (tests: a job's state before and after, without waiting on a clock). */
  finishJobs(): void {
    for (const finish of [...this.pending]) finish();
  }

  private readonly pending = new Set<() => void>();
}

export interface TrackerJob {
  started: string;
  finished?: string;
  report?: Json;
  /** Why the job failed on its own (import-failures.ts). */
  error?: string;
}

/** A job's notifications, newest first (docs tracker.md "Import": job-notifications-list). */
function jobNotifications(id: string, job: TrackerJob): Json[] {
  const note = (key: string, time: string, message: string, completed: boolean, extra: Json = {}) => {
    const uid = seedUid(`${key}:${id}`);
    return { uid, level: 'INFO', category: 'TRACKER_IMPORT_JOB', time, message, completed, ...extra, id: uid };
  };
  const started = note('n0', job.started, 'Tracker import started', false, {
    dataType: 'PARAMETERS',
    data: { importMode: 'COMMIT', atomicMode: 'OBJECT', importStrategy: 'CREATE_AND_UPDATE', reportMode: 'ERRORS' },
  });
  if (job.finished && job.error)
    return [
      {
        ...note('n2', job.finished, `Tracker import failed with exception: ${job.error} Import:Error`, true),
        level: 'ERROR',
      },
      started,
    ];
  if (!job.report || !job.finished) return [started];
  const st = job.report.stats ?? {};
  return [
    note(
      'n2',
      job.finished,
      `Import complete with status ${job.report.status}, ${st.created} created, ${st.updated} updated, ${st.deleted} deleted, ${st.ignored} ignored`,
      true,
    ),
    note('n1', job.finished, 'PostCommit', false),
    started,
  ];
}

/** What 2.36–2.37 order tracker exports by: the stored names of the event's times. */
const STORED_ORDER_FIELDS: Record<string, 'createdAt' | 'updatedAt' | 'occurredAt'> = {
  created: 'createdAt',
  lastUpdated: 'updatedAt',
  eventDate: 'occurredAt',
};

/** An export page in the envelope of the version: `page/pageSize/instances` before 2.41, `pager` + named list from 2.41. */
function envelope(state: Dhis2State, key: string, items: Json[], q: Json): Json {
  const page = Math.max(1, Number(q.page ?? 1) || 1);
  const pageSize = Math.max(1, Number(q.pageSize ?? 50) || 50);
  const slice = items.slice((page - 1) * pageSize, page * pageSize);
  const total =
    q.totalPages === 'true' ? { total: items.length, pageCount: Math.max(1, Math.ceil(items.length / pageSize)) } : {};
  return state.major() >= 41
    ? { pager: { page, pageSize, ...total }, [key]: slice }
    : { page, pageSize, ...total, instances: slice };
}

export function registerTrackerRoutes(
  app: FastifyInstance,
  state: Dhis2State,
  tracker: TrackerState,
  baseUrl: () => string,
  jobDelayMs = 20,
  userOf: (request: FastifyRequest) => string | undefined = () => undefined,
): void {
  registerTrackerAccessControls(app, state, tracker);
  // the tracker API came in 2.36: an older server answers its paths as unknown ones
  app.addHook('preHandler', async (request) => {
    if (request.url.startsWith('/api/tracker') && state.major() < 36) throw errorMessage(404, 'Not Found');
  });
  const fields = (r: FastifyRequest) =>
    typeof (r.query as Json).fields === 'string' ? parseFields((r.query as Json).fields) : undefined;
  app.get('/api/dataStore/USE_CASES/stockUseCases', async () => [
    {
      programUid: RTS.program,
      itemCode: RTS.itemCode,
      itemDescription: RTS.itemDescription,
      programType: 'logistics',
      description: 'Lakeland facility stock (RTS)',
      stockOnHand: RTS.stockOnHand,
      transactions: [
        {
          sortOrder: 0,
          transactionType: 'DISTRIBUTED',
          distributedTo: RTS.distributedTo,
          stockDistributed: RTS.stockDistributed,
        },
        { sortOrder: 1, transactionType: 'CORRECTED', stockCount: RTS.stockCount },
        { sortOrder: 2, transactionType: 'DISCARDED', stockDiscarded: RTS.stockDiscarded },
      ],
    },
  ]);
  app.get<{ Params: { id: string } }>('/api/programs/:id', async (request) => {
    if (request.params.id !== RTS.program) throw notFound('Program', request.params.id);
    const p = {
      id: RTS.program,
      name: 'Lakeland RTS',
      programType: 'WITH_REGISTRATION',
      programStages: [{ id: RTS.stage }],
      organisationUnits: [],
    };
    const f = fields(request);
    return f ? project(p, f) : p;
  });
  // the tracker programs' data elements, with the option set where one has it
  const trackerDataElements = new Set(Object.values(PROGRAMS).flatMap((p) => [...p.dataElements]));
  app.get<{ Params: { id: string } }>('/api/dataElements/:id', async (request) => {
    const id = request.params.id;
    if (!trackerDataElements.has(id)) throw notFound('DataElement', id);
    const set = OPTION_SETS[id];
    const de = {
      id,
      name: id,
      displayName: id,
      domainType: 'TRACKER',
      valueType: set ? 'TEXT' : 'INTEGER_ZERO_OR_POSITIVE',
      ...(set
        ? {
            optionSetValue: true,
            optionSet: { id: set.optionSet, options: set.options.map((o) => ({ ...o, id: seedUid(`opt:${o.code}`) })) },
          }
        : { optionSetValue: false }),
    };
    const f = fields(request);
    return f ? project(de, f) : de;
  });
  app.get('/api/tracker/events', async (request) => {
    const q = request.query as Json;
    tracker.recordEventQuery(q);
    if (!q.program && !q.orgUnit)
      throw errorMessage(400, 'At least one of the following query parameters are required: orgUnit, program.');
    // 2.41 renamed `ouMode` to `orgUnitMode` and `event` (semicolon-separated) to `events` (comma-
    // separated), taking both; 2.42 dropped the old names, so there they are unknown parameters and
    // ignored (dhis2-core tags 2.40.0 TrackerEventCriteria, 2.41.0/2.42.0 EventRequestParams)
    const v41 = state.major() >= 41;
    const old = state.major() < 42;
    let list = [...tracker.events.values()];
    if (q.program) list = list.filter((e) => e.program === q.program);
    if (q.programStage) list = list.filter((e) => e.programStage === q.programStage);
    if (q.orgUnit) {
      const mode = String((v41 ? q.orgUnitMode : undefined) ?? (old ? q.ouMode : undefined) ?? 'SELECTED');
      const ou = state.orgUnits.get(String(q.orgUnit));
      if (!ou) throw errorMessage(400, `Organisation unit does not exist: ${q.orgUnit}`);
      list = list.filter(
        (e) =>
          e.orgUnit === ou.id ||
          (mode === 'DESCENDANTS' && state.ancestorsOf(state.orgUnits.get(e.orgUnit)!).some((a) => a.id === ou.id)),
      );
    }
    // a bound as the JVM reads it in the server's zone (one the spring change skips moves later)
    const bound = (v: unknown) => boundWallTime(String(v), state.timeZone);
    if (q.occurredAfter) {
      const at = bound(q.occurredAfter);
      list = list.filter((e) => e.occurredAt >= at);
    }
    if (q.occurredBefore) {
      const at = bound(q.occurredBefore);
      list = list.filter((e) => e.occurredAt <= at);
    }
    if (q.updatedAfter) {
      const at = bound(q.updatedAfter);
      list = list.filter((e) => e.updatedAt >= at);
    }
    if (q.updatedBefore) {
      const at = bound(q.updatedBefore);
      list = list.filter((e) => e.updatedAt <= at);
    }
    if (q.status) list = list.filter((e) => e.status === String(q.status));
    const uids = [
      ...(v41 && q.events !== undefined ? String(q.events).split(',') : []),
      ...(old && q.event !== undefined ? String(q.event).split(';') : []),
    ];
    if ((v41 && q.events !== undefined) || (old && q.event !== undefined))
      list = list.filter((e) => uids.includes(e.event));
    for (const f of q.filter === undefined ? [] : Array.isArray(q.filter) ? q.filter : [q.filter]) {
      for (const [de, ...parts] of trackerFilterItems(String(f), filterEscapes(state.version))) {
        if (parts.length < 2 || parts.length % 2)
          throw errorMessage(400, `Query item or filter is invalid: ${[de, ...parts].join(':')}`);
        for (let i = 0; i < parts.length; i += 2) {
          const [op, value] = [parts[i].toLowerCase(), parts[i + 1]];
          if (op !== 'eq') throw errorMessage(400, `Operator not supported in event filters here: ${parts[i]}`);
          list = list.filter((e) => e.dataValues.some((d) => d.dataElement === de && d.value === value));
        }
      }
    }
    list.sort((a, b) => a.occurredAt.localeCompare(b.occurredAt) || a.event.localeCompare(b.event));
    // `order=<field>:asc|desc` (docs.dhis2.org developer/web-api tracker.md "Events" ordering): the
    // tracker names from 2.38; 2.36–2.37 take the stored names and drop any other (dhis2-core tag
    // 2.36.0 RequestToSearchParamsMapper.getOrderParams, filteredBySchema)
    const [asked, direction] = String(q.order ?? '').split(':');
    const orderBy = state.major() >= 38 ? asked : STORED_ORDER_FIELDS[asked];
    if (orderBy === 'updatedAt' || orderBy === 'createdAt' || orderBy === 'occurredAt')
      list.sort(
        (a, b) =>
          (direction === 'desc' ? -1 : 1) * (a[orderBy].localeCompare(b[orderBy]) || a.event.localeCompare(b.event)),
      );
    const f = fields(request);
    return envelope(
      state,
      'events',
      list.map((e) => (f ? project(e as unknown as Json, f) : e)),
      q,
    );
  });
  app.get<{ Params: { id: string } }>('/api/tracker/events/:id', async (request) => {
    const e = tracker.events.get(request.params.id);
    if (!e) throw errorMessage(404, `Event with id ${request.params.id} could not be found.`);
    const f = fields(request);
    return f ? project(e as unknown as Json, f) : e;
  });
  app.get('/api/tracker/trackedEntities', async (request) => {
    const q = request.query as Json;
    let list = [...tracker.trackedEntities.values()].map((t) => ({
      ...t,
      trackedEntityType: RTS.trackedEntityType,
      enrollments: [{ enrollment: t.enrollment, program: RTS.program, orgUnit: t.orgUnit, status: 'ACTIVE' }],
    }));
    if (q.orgUnit) list = list.filter((t) => t.orgUnit === q.orgUnit);
    const f = fields(request);
    return envelope(
      state,
      'trackedEntities',
      list.map((t) => (f ? project(t as unknown as Json, f) : t)),
      q,
    );
  });
  app.post('/api/tracker', async (request, reply) => {
    const q = request.query as Json;
    const username = userOf(request);
    const run = () => tracker.importEvents(request.body as Json, q, username);
    // async is the default (ImportRequestParams.java)
    if (q.async !== 'false') return reply.code(200).send(tracker.startJob(run, baseUrl(), jobDelayMs));
    try {
      const { status, report } = run();
      return reply.code(status).send(report);
    } catch (err) {
      if (!(err instanceof ImportFailure)) throw err;
      const report = trackerImportFailed(state.major(), err.reason);
      if (!report) throw importServerError(err.reason);
      return reply.code(409).send(report);
    }
  });
  app.get<{ Params: { id: string } }>('/api/tracker/jobs/:id', async (request) => {
    // a job the server does not know (never, or not since a restart) has no notifications: 200 []
    // (dhis2-core TrackerImportController.getJob, tags 2.36.0–2.43.1)
    const job = tracker.job(request.params.id);
    return job ? jobNotifications(request.params.id, job) : [];
  });
  app.get<{ Params: { id: string } }>('/api/tracker/jobs/:id/report', async (request) => {
    const report = tracker.job(request.params.id)?.report;
    // not known, or not finished yet: no report (TrackerImportController.getJobReport)
    if (!report) throw errorMessage(404, `Job report for ${request.params.id} not found`);
    return report;
  });
}

/**
 * Whether a server of `version` reads `/` in a tracker filter as an escape: from 2.40.1 and 2.41
 * (dhis2-core DHIS2-15298, PR #13981); before, `/` is an ordinary character.
 */
function filterEscapes(version: string): boolean {
  const [, major, patch] = /^2\.(\d+)(?:\.(\d+))?/.exec(version) ?? [];
  if (major === undefined) return true;
  return Number(major) > 40 || (Number(major) === 40 && Number(patch ?? 0) >= 1);
}

/**
 * A tracker `filter` parameter as DHIS2 reads it (docs.dhis2.org developer/web-api tracker.md,
 * events `filter`: "Characters such as `:` or `,`, as part of the filter value, need to be escaped
 * by `/`. Likewise, `/` needs to be escaped"): items at each unescaped `,`, each item's parts at
 * each unescaped `:`, and `/x` read as `x` when the server takes escapes (`escapes`, 2.40.1+),
 * else `/` as itself.
 */
export function trackerFilterItems(raw: string, escapes = true): string[][] {
  const items: string[][] = [];
  let item: string[] = [];
  let part = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (escapes && c === '/' && i + 1 < raw.length) part += raw[++i];
    else if (c === ':') {
      item.push(part);
      part = '';
    } else if (c === ',') {
      items.push([...item, part]);
      item = [];
      part = '';
    } else part += c;
  }
  items.push([...item, part]);
  return items;
}
