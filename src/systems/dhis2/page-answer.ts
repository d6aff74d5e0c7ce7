import { HTML_PAGE, isHtmlPage } from '../../upstream/answer-shape.js';
import type { UpstreamResponse } from '../../upstream/client.js';
import { DHIS2, makeDhis2Error } from './errors.js';

/**
 * A read answered 2xx with an HTML page in place of DHIS2's JSON: the login form a gateway (or
 * DHIS2 itself, for a session it no longer knows) shows. Read as JSON, it made an org unit
 * lookup find nothing, and the stock report was refused as "not a DHIS2 organisation unit". It
 * says nothing about what was asked: transient, asked again later, and the page is not quoted.
 * Imports (POST) have their own reading (importWithout in errors.ts).
 */
export function throwOnPageAnswer(method: string, path: string, res: UpstreamResponse<unknown>): void {
  if (method !== 'GET' || res.status < 200 || res.status >= 300 || !isHtmlPage(res.body, res.headers)) return;
  throw askedAgainLater(res.status, `GET ${path} answered ${res.status} with ${HTML_PAGE}: asked again later`);
}

/** A 2xx read that is none of DHIS2's answers: transient (502), read again on the next attempt. */
function askedAgainLater(upstreamStatus: number, diagnostics: string): Error {
  return makeDhis2Error({
    system: DHIS2,
    transient: true,
    status: 502,
    code: 'transient',
    upstreamStatus,
    diagnostics,
  });
}

/**
 * The error for a read of one object answered 2xx without a body (a 204): DHIS2 answers a found
 * object 200 with it and a missing one 404, so it says nothing about the object; transient, never
 * "absent" (upstream/lookup.ts getOrAbsent).
 */
export const noBodyAnswer =
  (path: string) =>
  (status: number): Error =>
    askedAgainLater(
      status,
      `GET ${path} answered ${status} without a body (not DHIS2's answer about the object): asked again later`,
    );

/**
 * A decodeAnswer for a read of one object by its UID: a 2xx body other than a JSON object with
 * that `id` (a gateway's `{"message": …}` or text/plain page) is no answer about it. Taken as the
 * object, an org unit update wrote over the real one from the page's (missing) owner fields, and a
 * read served the page as a facility: transient instead, read again. `idField`: where the object
 * names its UID (a tracker event's is `event`).
 */
export const withIdAnswer =
  (path: string, uid: string, idField = 'id') =>
  (res: UpstreamResponse<unknown>): void => {
    const body = res.body;
    // no body at all is told by noBodyAnswer; any other body (a JSON object without the id, a
    // gateway's text/plain page, an array) is none of DHIS2's answers about the object
    if (res.status < 200 || res.status >= 300 || body === undefined || body === null || body === '') return;
    if (typeof body === 'object' && !Array.isArray(body) && (body as Record<string, unknown>)[idField] === uid) return;
    throw askedAgainLater(
      res.status,
      `GET ${path} answered ${res.status} without the id asked (not DHIS2's answer about the object): asked again later`,
    );
  };

const noBody = (body: unknown) => body === undefined || body === null || body === '';
const isSuccess = (status: number) => status >= 200 && status < 300;

/**
 * A decodeAnswer for a read whose answer is always a JSON body (a job's import summary or report):
 * a 2xx without one (a 204) is none of DHIS2's answers, transient and read again by the client's
 * retry (noBodyAnswer's words), never taken as "nothing there".
 */
export const bodyAnswer =
  (path: string) =>
  (res: UpstreamResponse<unknown>): void => {
    if (isSuccess(res.status) && noBody(res.body)) throw noBodyAnswer(path)(res.status);
  };

/**
 * A decodeAnswer for a read of one object by its UID that the caller reads without getOrAbsent
 * (client.call, or send with its 404 accepted): a 2xx without a body or without the UID asked
 * (bodyAnswer, withIdAnswer) is no answer about it. Taken as one, a data element without its
 * option set let any destination through (refused by DHIS2 as E1125), and an RTS program without
 * its stage refused every RTS write for good.
 */
export const objectAnswer =
  (path: string, uid: string, idField = 'id') =>
  (res: UpstreamResponse<unknown>): void => {
    bodyAnswer(path)(res);
    withIdAnswer(path, uid, idField)(res);
  };

/**
 * A decodeAnswer for a read DHIS2 answers with a JSON array (a job's notifications, the RTS use
 * cases in the datastore), or with an object listing them under `key` (a filtered metadata list):
 * any other 2xx, a 204 or a gateway's JSON page, is no answer. Read as an empty list, a job looked
 * forgotten (its import sent again), the RTS use cases looked gone and an org unit looked up by
 * its code "not in DHIS2" (the write refused for good): transient instead, read again.
 */
export const listAnswer =
  (path: string, key?: string) =>
  (res: UpstreamResponse<unknown>): void => {
    if (!isSuccess(res.status)) return;
    const body = res.body;
    const list = key && body && typeof body === 'object' ? (body as Record<string, unknown>)[key] : body;
    if (Array.isArray(list)) return;
    const what = noBody(body) ? 'without a body' : `without ${key ? `'${key}'` : 'a list'}`;
    throw askedAgainLater(
      res.status,
      `GET ${path} answered ${res.status} ${what} (not DHIS2's answer): asked again later`,
    );
  };

/**
 * A decodeAnswer for GET /api/system/info: DHIS2 names its `version` there (SystemInfo, for every
 * user). A 2xx without it, a gateway's JSON page, is no answer: taken as one, the server was the
 * newest version in the UTC zone for the life of the process, and on a server west of UTC the
 * feeds' filters on its wall time skipped its changes of those hours for good. Asked again instead.
 */
export const systemInfoAnswer =
  (path: string) =>
  (res: UpstreamResponse<unknown>): void => {
    if (!isSuccess(res.status)) return;
    const body = res.body;
    if (body && typeof body === 'object' && typeof (body as Record<string, unknown>).version === 'string') return;
    const what = noBody(body) ? 'without a body' : 'without the version';
    throw askedAgainLater(
      res.status,
      `GET ${path} answered ${res.status} ${what} (not DHIS2's answer): asked again later`,
    );
  };

/**
 * What DHIS2's data value export writes besides `dataValues` (its DataValueSet header and id
 * schemes, dhis2-core StreamingJsonDataValueSet / DataValueSet FIELD_*).
 */
const DATA_VALUE_SET_FIELDS = new Set([
  'dataSet',
  'completeDate',
  'period',
  'orgUnit',
  'attributeOptionCombo',
  'attributeCategoryOptions',
  'idScheme',
  'dataElementIdScheme',
  'orgUnitIdScheme',
  'categoryOptionComboIdScheme',
  'dataSetIdScheme',
  'dryRun',
  'strategy',
]);

/**
 * A decodeAnswer for GET /api/dataValueSets. DHIS2 opens its `dataValues` list at the first value,
 * so an export with none is `{}` or the header alone (no list): that is "no values". Any other 2xx,
 * a 204, an array or text, or an object with a key no DataValueSet has (a gateway's
 * `{"message": …}`), is no answer: read as no values, a difference report wrote its quantity over
 * DHIS2's period total, and a search showed no stock. Transient instead, read again.
 */
export const dataValueSetAnswer =
  (path: string) =>
  (res: UpstreamResponse<unknown>): void => {
    if (!isSuccess(res.status)) return;
    bodyAnswer(path)(res);
    const body = res.body;
    const record = body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
    const values = record.dataValues;
    const foreign = Object.keys(record).some((k) => k !== 'dataValues' && !DATA_VALUE_SET_FIELDS.has(k));
    if (record === body && (Array.isArray(values) || (values === undefined && !foreign))) return;
    throw askedAgainLater(
      res.status,
      `GET ${path} answered ${res.status} without 'dataValues' (not DHIS2's data value set): asked again later`,
    );
  };
