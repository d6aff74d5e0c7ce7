import { escapeRegExp } from '../../platform/escape-regexp.js';
import { asRecord, malformedAnswer } from '../../upstream/errors.js';
import type { Dhis2Client } from './client.js';
import type { Issue } from '../../domain/errors.js';
import { DHIS2, Dhis2RejectionError, importFailed, importWithout, makeDhis2Error, webMessageReason } from './errors.js';
import { LANDED, awaitTrackerImport } from './jobs.js';
import { eventsLanded } from './landed-events.js';
import { trackerRefusalWords, type TrackerPlace } from './tracker-refusals.js';
import type { StepJournal } from '../../routing/ports.js';

const FOUND_WITHOUT_REPORT = 'DHIS2 forgot the import job; its events were found as sent';

/**
 * The tracker ImportReport (`POST /api/tracker?async=false`, docs.dhis2.org developer/web-api
 * tracker.md "Import summary"; dhis2-core `TrackerImportController.importSync`): 200, or 409 when
 * its status is ERROR (with atomicMode=OBJECT the valid objects would be committed all the same).
 */
export interface TrackerError {
  errorCode?: string;
  message: string;
  uid?: string;
  /** Position of the object in the posted list, from the bundle report. */
  index?: number;
}

export interface TrackerResult {
  status: 'OK' | 'WARNING' | 'ERROR';
  created: number;
  updated: number;
  ignored: number;
  errors: TrackerError[];
  /** The report's own words (`Exception:…` when the import failed inside DHIS2). */
  message?: string;
}

export function decodeTrackerReport(body: unknown): TrackerResult | undefined {
  const b = asRecord(body);
  if (!b || (!b.validationReport && !b.bundleReport && !b.stats)) return undefined;
  const stats = asRecord(b.stats) ?? {};
  const indexOf = new Map<string, number>();
  const typeMap = asRecord(asRecord(b.bundleReport)?.typeReportMap) ?? {};
  for (const type of Object.values(typeMap)) {
    for (const o of (asRecord(type)?.objectReports as unknown[]) ?? []) {
      const r = asRecord(o);
      if (r && typeof r.uid === 'string' && Number.isInteger(r.index)) indexOf.set(r.uid, r.index as number);
    }
  }
  const errors = ((asRecord(b.validationReport)?.errorReports as unknown[]) ?? []).map((e): TrackerError => {
    const r = asRecord(e) ?? {};
    const uid = typeof r.uid === 'string' ? r.uid : undefined;
    return {
      errorCode: typeof r.errorCode === 'string' ? r.errorCode : undefined,
      message: String(r.message ?? 'error'),
      uid,
      index: uid ? indexOf.get(uid) : undefined,
    };
  });
  const raw = String(b.status ?? 'ERROR').toUpperCase();
  return {
    status: raw === 'OK' ? 'OK' : raw === 'WARNING' ? 'WARNING' : 'ERROR',
    created: Number(stats.created ?? 0),
    updated: Number(stats.updated ?? 0),
    ignored: Number(stats.ignored ?? 0),
    errors,
    message: typeof b.message === 'string' ? b.message : undefined,
  };
}

/**
 * Events created or updated in one tracker import, all or none (atomicMode=ALL: one refused
 * event and DHIS2 commits none of the write's), answered by its import report. A refusal thus
 * changes nothing: with OBJECT the valid events stayed in DHIS2 while the write was refused, and
 * the client's corrected write (RTS events are keyed by the write and line position) or the
 * same lines under a new identifier added twins of them (docs.dhis2.org tracker.md "Import":
 * atomicMode ALL|OBJECT; dhis2-core AtomicMode.java). Up to
 * dhis2.trackerAsyncThreshold events synchronously (`async=false`: the report is the answer, 409
 * when ERROR); more as an async job whose report is polled (jobs.ts), so a large batch never
 * holds a request open past the timeout. A retry after a lost answer updates the same events
 * (their UIDs are the caller's).
 */
export async function postTrackerEvents(client: Dhis2Client, events: unknown[]): Promise<TrackerResult> {
  const async = events.length > client.settings().trackerAsyncThreshold;
  const res = await client.send<unknown>({
    method: 'POST',
    path: '/api/tracker',
    body: { events },
    retry: true,
    accept: [409],
    query: { async, atomicMode: 'ALL', importStrategy: 'CREATE_AND_UPDATE', reportMode: 'ERRORS' },
  });
  const body =
    async && res.status === 200
      ? await awaitTrackerImport(client, res.body, () => eventsLanded(client, events))
      : res.body;
  // the job forgotten, its events found as sent: done, though DHIS2 gave no counts
  if (body === LANDED)
    return { status: 'OK', created: 0, updated: events.length, ignored: 0, errors: [], message: FOUND_WITHOUT_REPORT };
  const report = decodeTrackerReport(body);
  if (!report && res.status === 409) return conflictWithoutReport(body, events);
  if (!report) throw importWithout('POST /api/tracker', res.status, 'an import report');
  // ERROR with no refused object: the import failed inside DHIS2, not on an event (errors.ts)
  if (report.status === 'ERROR' && !report.errors.length)
    throw importFailed('POST /api/tracker', res.status, report.message);
  // DHIS2 names a refused event by its uid only (the bundle report lists committed objects, and
  // none when atomicMode=ALL refused the batch): its position is the one the event was sent at
  const sentAt = new Map(events.map((e, i) => [asRecord(e)?.event, i]));
  return {
    ...report,
    errors: report.errors.map((e) => (e.index === undefined && e.uid ? { ...e, index: sentAt.get(e.uid) } : e)),
  };
}

/**
 * A 409 without an import report. DHIS2 answers 409 for a refused import (its answer is then the
 * report) and for any ConflictException as a WebMessage (dhis2-core `WebMessageUtils.conflict`,
 * `CrudControllerAdvice`): a clash with another writer, an import of the same objects running, a
 * lock. None of those blames the events: the write is sent again later (the same UIDs,
 * CREATE_AND_UPDATE) and ends as a dead letter an operator sees when the attempts run out. Only
 * words that tie the conflict to what one event sent refuse it, as a report would (namedEvent).
 */
function conflictWithoutReport(body: unknown, events: unknown[]): TrackerResult {
  const said = webMessageReason(body, 409);
  const words = said.message ?? '';
  const sent = events.map((e) => asRecord(e) ?? {});
  const named = namedEvent(words, sent);
  if (named >= 0 && words)
    return {
      status: 'ERROR',
      created: 0,
      updated: 0,
      ignored: events.length,
      errors: [{ errorCode: said.code, message: words, uid: String(sent[named].event ?? ''), index: named }],
    };
  throw makeDhis2Error({
    system: DHIS2,
    transient: true,
    status: 502,
    code: 'transient',
    upstreamStatus: 409,
    reason: said,
    diagnostics: `POST /api/tracker answered 409 without an import report${words ? ` (${words.length > 300 ? `${words.slice(0, 300)}…` : words})` : ''}: a conflict in DHIS2 naming none of the events, not a refusal of them; sent again later`,
  });
}

/**
 * The event sent that words name: by its UID, or by one of its data elements together with the
 * value it sent for it, when no other event sent carries that pair. A data element alone names
 * none: every event of a write carries the same elements (a consignment's item, quantity and
 * reference), so words naming the reference element (a lock on it, another import of it) would
 * match the first event of any write; nor does a pair every event of a consignment carries (its
 * reference and the value). Each is matched as a whole word, so a value `1` is not found inside
 * `12` or a UID. -1: none.
 */
function namedEvent(words: string, sent: Record<string, unknown>[]): number {
  const said = (token: unknown) => typeof token === 'string' && token !== '' && wholeWord(token).test(words);
  const byUid = sent.findIndex((e) => said(e.event));
  if (byUid >= 0) return byUid;
  const pairs = sent.map((e) =>
    (Array.isArray(e.dataValues) ? e.dataValues : []).flatMap((dv) => {
      const v = asRecord(dv);
      return v ? [[v.dataElement, String(v.value ?? '')] as const] : [];
    }),
  );
  const carriers = new Map<string, number>();
  for (const keys of pairs.map((p) => new Set(p.map((pair) => JSON.stringify(pair)))))
    for (const k of keys) carriers.set(k, (carriers.get(k) ?? 0) + 1);
  return pairs.findIndex((p) =>
    p.some((pair) => carriers.get(JSON.stringify(pair)) === 1 && said(pair[0]) && said(pair[1])),
  );
}

/** `token` as a whole word: not next to a letter or digit on either side. */
const wholeWord = (token: string) => new RegExp(`(?<![\\p{L}\\p{N}])${escapeRegExp(token)}(?![\\p{L}\\p{N}])`, 'u');

/**
 * Events a tracker import refused, as the client's error (409): one issue per refused event, at
 * the element path of the line it came from (`pathOf`, given the event's position when DHIS2
 * said it), with DHIS2's error code and words. Given where the events were written (`place`),
 * a refusal of the org unit (no capture access, not the program's, unknown) is said in the
 * operator's words instead, in the issue and in the summary (tracker-refusals.ts): DHIS2's own
 * words for it name the mediator's user.
 */
export function trackerRejection(
  errors: TrackerError[],
  summary: string,
  pathOf: (index: number | undefined) => string,
  place?: TrackerPlace,
): Dhis2RejectionError {
  const said = errors.map((e) => (place ? trackerRefusalWords(e, place) : undefined));
  const issues: Issue[] = errors.map((e, i) => ({
    code: 'business-rule',
    diagnostics: said[i] ?? `DHIS2 ${e.errorCode ?? 'error'}: ${e.message}`,
    expression: [pathOf(e.index)],
  }));
  const why = [...new Set(said.filter((w): w is string => w !== undefined))].join('; ');
  return new Dhis2RejectionError(why ? `${summary}: ${why}` : summary, issues, 409, errors[0]?.errorCode);
}

/** Thrown out of a journalled step so that a refused import is not recorded as the step's result. */
class RefusedImport extends Error {
  constructor(readonly result: TrackerResult) {
    super('refused import');
  }
}

/**
 * A tracker import as a journalled step whose refusals are not journalled. With atomicMode=ALL a
 * refused import committed nothing, and what DHIS2 refuses for its org unit or user passes once
 * an administrator changed them: a journalled refusal would answer every retry of the job with
 * the old refusal and never ask DHIS2 again. So only an accepted import is recorded (a rerun
 * after a crash does not send it again), and a refused one is sent again, whole and under the
 * same event UIDs, when the job is retried.
 */
export async function journalAccepted<T extends TrackerResult>(
  journal: StepJournal,
  step: string,
  post: () => Promise<T>,
): Promise<T> {
  try {
    return await journal.run(step, async () => {
      const result = await post();
      if (result.errors.length) throw new RefusedImport(result);
      return result;
    });
  } catch (err) {
    if (err instanceof RefusedImport) return err.result as T;
    throw err;
  }
}

/** A tracker export page in either envelope: `{page, pageSize, instances}` (2.36–2.40) or `{pager, <key>}` (2.41+). */
export function trackerPage<T>(
  body: unknown,
  key: string,
): { items: T[]; last: boolean; pageSize: number } | undefined {
  const b = asRecord(body);
  if (!b) return undefined;
  const items = Array.isArray(b[key]) ? (b[key] as T[]) : Array.isArray(b.instances) ? (b.instances as T[]) : undefined;
  if (!items) return undefined;
  const pager = asRecord(b.pager) ?? b;
  const pageSize = Number(pager.pageSize ?? items.length);
  const pageCount = pager.pageCount === undefined ? undefined : Number(pager.pageCount);
  const page = Number(pager.page ?? 1);
  return { items, pageSize, last: pageCount !== undefined ? page >= pageCount : items.length < pageSize };
}

/**
 * Every page of a tracker export, whichever envelope the version answers with. A page that is
 * none (a proxy's login page) is the upstream's fault, not the client's, and is never read as
 * the end of the list: the read fails (502) rather than answer part of it.
 */
export async function allOf<T>(
  client: Dhis2Client,
  path: string,
  key: string,
  query: Record<string, unknown>,
): Promise<T[]> {
  const out: T[] = [];
  for (let page = 1; page <= 10_000; page++) {
    const read = trackerPage<T>(
      await client.call<unknown>({ method: 'GET', path, query: { ...query, page, pageSize: 200 } }),
      key,
    );
    if (!read) throw malformedAnswer(DHIS2, `GET ${path} answered no ${key} page`, makeDhis2Error);
    out.push(...read.items);
    if (read.last || !read.items.length) return out;
  }
  return out;
}
