import { asRecord, malformedAnswer } from '../../upstream/errors.js';
import { OPENMRS, makeOpenMrsError } from './errors.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- OpenMRS REST JSON, read field by field with checks
type Json = Record<string, any>;

/** OpenMRS's own answer to a GET by `asked` that found no such uuid: the object named so instead. */
const namedAsAsked = (record: Json, asked: string) =>
  [record.name, record.display].some((n) => typeof n === 'string' && n.toLowerCase() === asked.toLowerCase());

/** OpenMRS finds a uuid whatever its case (MySQL's collation) and answers the object's own spelling. */
export const sameUuid = (uuid: string, asked: string) => uuid.toLowerCase() === asked.toLowerCase();

/**
 * The 2xx answer to a GET of one OpenMRS object by uuid (a location, a stock item), or an error
 * when it is no object of OpenMRS's. Every REST representation carries the object's `uuid`
 * (BaseDelegatingResource); a 2xx without it, a gateway's `{"message": "maintenance"}`, says
 * nothing about whether the object exists. Read as "absent" it refused a write for an unknown
 * facility during an outage: it is transient instead (malformedAnswer), so a write is accepted
 * and its delivery looks again, as for any other upstream outage. `undefined` (a 404) stays absent.
 *
 * The uuid must be the one asked: a gateway's page may carry a `uuid` of its own (a request id),
 * and taken for the object it was "no such location" (a write refused) or an operation read from
 * the page. OpenMRS answers another uuid only where a resource falls back to the name (a location
 * or an attribute type named as asked, getByUniqueId): that answer is OpenMRS's and returned, for
 * the caller to tell from the object asked.
 */
export function objectAnswer(body: unknown, path: string, asked: string): Json | undefined {
  if (body === undefined || body === null) return undefined;
  const record = asRecord(body);
  const uuid: unknown = record?.uuid;
  if (record && typeof uuid === 'string' && uuid && (sameUuid(uuid, asked) || namedAsAsked(record, asked)))
    return record as Json;
  throw malformedAnswer(
    OPENMRS,
    `GET ${path} answered ${typeof uuid === 'string' && uuid ? 'another uuid' : "without the object's uuid"} (not OpenMRS's answer)`,
    makeOpenMrsError,
  );
}
