import { SandboxError, webMessage } from './webmessage.js';

/**
 * DHIS2 failing an import on its own (the database gone mid-import, a deadlock, a full disk): an
 * exception inside the import, not a refused value. What the client sees depends on the version
 * and on async, and none of it blames the payload (dhis2-core, tags 2.36.0–2.43.1):
 * - data values, synchronous, up to 2.42: `DefaultDataValueSetService.importDataValueSet` catches
 *   it and returns `ImportSummary(ERROR, "The import process failed: …")`, no conflicts, which
 *   `WebMessageUtils.importSummary` answers as a 409; from 2.43 (`DataEntryPipeline`) nothing
 *   catches it: a 500.
 * - data values, async: an ERROR notification that completes the task; up to 2.42 no summary
 *   (`/api/system/taskSummaries/…` answers 200 with no body), from 2.43 `DataEntryJob.execute`
 *   puts an ERROR summary whose description is the exception's message.
 * - tracker, up to 2.40: `DefaultTrackerImportService.importTracker` catches it and returns
 *   `ImportReport.withError("Exception:…")`: status ERROR with no error report, a 409 when
 *   synchronous, the job's report when async (`endImportWithError`). From 2.41 nothing catches
 *   it: a 500, or a job that ends in an ERROR notification with no report (`…/report` is a 404).
 */
type Json = Record<string, any>;

export const DEFAULT_FAILURE =
  'could not execute batch; SQL [n/a]; nested exception is org.hibernate.exception.JDBCConnectionException';

/** The failure an import meets (thrown by the import, answered per version by whoever ran it). */
export class ImportFailure extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'ImportFailure';
  }
}

/** The next imports that fail on their own (tests: `failNext`), each once. */
export class ImportFailures {
  private queue: string[] = [];

  failNext(count = 1, reason = DEFAULT_FAILURE): void {
    for (let i = 0; i < count; i++) this.queue.push(reason);
  }

  /** Throws the next failure, if one is due. */
  check(): void {
    const reason = this.queue.shift();
    if (reason !== undefined) throw new ImportFailure(reason);
  }

  clear(): void {
    this.queue = [];
  }

  get pending(): number {
    return this.queue.length;
  }
}

/** What an exception nothing caught answers: a 500 WebMessage. */
export const importServerError = (reason: string) => new SandboxError(500, webMessage(500, 'ERROR', reason));

/** A synchronous data value import that failed: up to 2.42 a 409 ERROR summary, from 2.43 a 500. */
export function dataValueImportFailed(
  major: number,
  reason: string,
  importOptions: Json,
): { status: number; body: Json } {
  if (major >= 43) throw importServerError(reason);
  return {
    status: 409,
    body: webMessage(409, 'ERROR', 'An error occurred, please check import summary.', {
      response: failedSummary(`The import process failed: ${reason}`, importOptions),
    }),
  };
}

/** The summary a failed async data value task leaves: none up to 2.42, an ERROR one from 2.43. */
export function failedTaskSummary(major: number, reason: string, importOptions: Json): Json | undefined {
  return major >= 43 ? failedSummary(reason, importOptions) : undefined;
}

function failedSummary(description: string, importOptions: Json): Json {
  return {
    responseType: 'ImportSummary',
    status: 'ERROR',
    importOptions,
    description,
    importCount: { imported: 0, updated: 0, ignored: 0, deleted: 0 },
    conflicts: [],
    dataSetComplete: 'false',
  };
}

/** A tracker import that failed: up to 2.40 the `Exception:` report (409 when sync), from 2.41 none (a 500). */
export function trackerImportFailed(major: number, reason: string): Json | undefined {
  if (major >= 41) return undefined;
  return {
    status: 'ERROR',
    validationReport: { errorReports: [], warningReports: [] },
    timingsStats: { timers: {} },
    message: `Exception:${reason}`,
  };
}
