import type { Issue } from '../../domain/errors.js';
import {
  UpstreamCallError,
  asRecord,
  decodeHttpError,
  textReason,
  unknownWriteOutcome,
  type ReasonDecoder,
  type UpstreamErrorOptions,
} from '../../upstream/errors.js';

/**
 * DHIS2's error shape for the shared decoder (upstream/errors.ts). Every non-data error is a
 * WebMessage `{httpStatus, httpStatusCode, status, message, devMessage?, errorCode?, response?}`
 * (docs.dhis2.org, developer/web-api/overview.md "Web messages"; dhis2-core
 * `dhis-api/.../webmessage/WebMessage.java`). An object report inside `response` carries the
 * per-object `errorReports[{errorCode, message}]`, which say more than the top message.
 */
export const DHIS2 = 'dhis2';

export class Dhis2Error extends UpstreamCallError {
  constructor(opts: UpstreamErrorOptions) {
    super(opts);
    this.name = 'Dhis2Error';
  }

  /** DHIS2's error code (E5003, E7619 …) when it sent one. */
  get errorCode(): string | undefined {
    return this.reasonCode;
  }
}

export const makeDhis2Error = (opts: UpstreamErrorOptions) => new Dhis2Error(opts);

interface ErrorReport {
  errorCode?: string;
  message?: string;
}

/** The errorReports of an ObjectReport / ImportReport in a WebMessage response, flattened. */
export function errorReportsOf(response: unknown): ErrorReport[] {
  const r = asRecord(response);
  if (!r) return [];
  const out: ErrorReport[] = [];
  const take = (list: unknown) => {
    for (const e of Array.isArray(list) ? list : []) {
      const er = asRecord(e);
      if (er)
        out.push({
          errorCode: typeof er.errorCode === 'string' ? er.errorCode : undefined,
          message: typeof er.message === 'string' ? er.message : undefined,
        });
    }
  };
  take(r.errorReports);
  for (const tr of Array.isArray(r.typeReports) ? r.typeReports : []) {
    for (const or of Array.isArray(asRecord(tr)?.objectReports) ? (asRecord(tr)!.objectReports as unknown[]) : [])
      take(asRecord(or)?.errorReports);
  }
  return out;
}

/** The 401 messages of an account DHIS2 refuses whatever the password: kept, as they hold no secret. */
export const ACCOUNT_REFUSALS = new Set(['Account locked', 'Account disabled']);

/** The reason a WebMessage (or a bare text body) gives: its errorCode and words, object errors included. */
export const webMessageReason: ReasonDecoder = (body, status) => {
  const b = asRecord(body);
  if (!b) return status === 401 ? {} : textReason(body);
  // a 401 body may repeat what was sent; keep nothing but the status words, or one of the two
  // fixed words of a refused account (FormLoginBasicAuthenticationEntryPoint): account-hold.ts
  if (status === 401)
    return {
      code: ACCOUNT_REFUSALS.has(b.message as string)
        ? (b.message as string)
        : typeof b.httpStatus === 'string'
          ? b.httpStatus
          : undefined,
    };
  const reports = errorReportsOf(b.response);
  const code = typeof b.errorCode === 'string' ? b.errorCode : reports.find((r) => r.errorCode)?.errorCode;
  const words = [
    typeof b.message === 'string' ? b.message : undefined,
    ...reports.map((r) => [r.errorCode, r.message].filter(Boolean).join(' ')),
  ].filter((w): w is string => !!w);
  return {
    code,
    message: words.length
      ? [...new Set(words)].join('; ')
      : typeof b.devMessage === 'string'
        ? b.devMessage
        : undefined,
  };
};

const HINTS: Partial<Record<number, string>> = {
  401: ' (credentials refused: check dhis2.username/dhis2.password or dhis2.apiToken)',
  403: ' (the DHIS2 user or token lacks an authority or sharing for this call)',
};

export function decodeDhis2Error(status: number, body: unknown, method: string, path: string): Dhis2Error {
  const decoded = decodeHttpError(status, body, {
    system: DHIS2,
    method,
    path,
    reasonOf: webMessageReason,
    hints: HINTS,
    make: makeDhis2Error,
  }) as Dhis2Error;
  if (status !== 401) return decoded;
  // no 401 is transient here, so the client does not try again within the call: each try is one
  // more failed login, and 4 lock the account (account-hold.ts). The client makes it transient
  // again (loginRefusal), or holds for a refused account.
  return makeDhis2Error({
    system: DHIS2,
    transient: false,
    status: decoded.status,
    code: 'login',
    upstreamStatus: 401,
    reason: { code: decoded.reasonCode },
    diagnostics: ACCOUNT_REFUSALS.has(decoded.reasonCode ?? '')
      ? `${method} ${path} answered 401 ${decoded.reasonCode}`
      : withoutPrefix(decoded),
  }) as Dhis2Error;
}

const withoutPrefix = (err: Dhis2Error) => (err.issues[0]?.diagnostics ?? err.message).replace(/^dhis2: /, '');

/**
 * A 401 as decodeDhis2Error gave it (not transient, so it was not retried within the call),
 * transient again for the outbox: credentials may be changed live. Anything else is left as it is.
 */
export function loginRefusal(err: unknown): unknown {
  if (!(err instanceof Dhis2Error) || err.upstreamStatus !== 401 || err.transient) return err;
  return makeDhis2Error({
    system: DHIS2,
    transient: true,
    status: err.status,
    code: 'login',
    upstreamStatus: 401,
    reason: { code: err.reasonCode },
    diagnostics: withoutPrefix(err),
  });
}

/**
 * A write DHIS2 refused in part or whole, with one issue per refused element (the FHIRPath of the
 * line it came from): permanent, the client must change the request.
 */
export class Dhis2RejectionError extends Dhis2Error {
  constructor(summary: string, issues: Issue[], upstreamStatus?: number, errorCode?: string) {
    super({
      system: DHIS2,
      transient: false,
      status: 422,
      code: 'business-rule',
      diagnostics: summary,
      upstreamStatus,
      reason: { code: errorCode, message: summary },
    });
    this.name = 'Dhis2RejectionError';
    (this as { issues: Issue[] }).issues = issues.length ? issues : this.issues;
  }
}

/**
 * An import answered without its summary or report (`what`). A 2xx one (a proxy's login page, a
 * body cut short) leaves unknown whether DHIS2 imported it, as a dropped connection does, and the
 * client's input is not at fault: transient, and the import is safe to send again (the same
 * values are ignored, the same event UIDs updated). Anything else (a data value import's 409
 * WebMessage) is DHIS2 saying no: a rejection; a tracker 409 without its report is read apart
 * (tracker-report.ts: a conflict inside DHIS2, retried, unless it names an event).
 */
export function importWithout(call: string, status: number, what: string): Dhis2Error {
  if (status >= 200 && status < 300)
    return unknownWriteOutcome({
      system: DHIS2,
      make: makeDhis2Error,
      upstreamStatus: status,
      diagnostics: `${call} answered ${status} without ${what}: whether DHIS2 imported it is unknown, sent again later`,
    });
  return new Dhis2RejectionError(
    `${call} answered ${status} without ${what}`,
    [{ code: 'exception', diagnostics: `DHIS2 answered without ${what}` }],
    status,
  );
}

/**
 * An import DHIS2 answered ERROR without naming one refused value or object: an exception inside
 * the import (the database gone, a deadlock), which DHIS2 reports in place of a 500 — up to 2.42
 * a data value import answers `ImportSummary(ERROR, "The import process failed: …")` as a 409, up
 * to 2.40 a tracker import `ImportReport.withError("Exception:…")` as a 409, and an async data
 * value task of 2.43 an ERROR summary with the exception's message (dhis2-core
 * `DefaultDataValueSetService.importDataValueSet`, `DefaultTrackerImportService.importTracker`,
 * `DataEntryJob.execute`). Nothing in it blames the request: not a refusal (which would drop the
 * write) nor a success (which would lose it), but an unknown outcome, sent again later — safe, as
 * the same values replace themselves and the same event UIDs are updated.
 */
export function importFailed(call: string, status: number, said: string | undefined): Dhis2Error {
  const words = said ? `: ${said.length > 300 ? `${said.slice(0, 300)}…` : said}` : '';
  return unknownWriteOutcome({
    system: DHIS2,
    make: makeDhis2Error,
    upstreamStatus: status,
    diagnostics: `${call} answered ${status} with status ERROR and no refused value or object${words}; DHIS2 failed on its own, whether it imported is unknown, sent again later`,
  });
}
