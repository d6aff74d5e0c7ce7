import { asRecord, malformedAnswer } from '../../upstream/errors.js';
import { OPENMRS, makeOpenMrsError } from './errors.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- OpenMRS REST JSON, read field by field with checks
type Json = Record<string, any>;

/**
 * The 2xx answer to a GET of one OpenMRS object by uuid (a location, a stock item), or an error
 * when it is no object of OpenMRS's. Every REST representation carries the object's `uuid`
 * (BaseDelegatingResource); a 2xx without it, a gateway's `{"message": "maintenance"}`, says
 * nothing about whether the object exists. Read as "absent" it refused a write for an unknown
 * facility during an outage: it is transient instead (malformedAnswer), so a write is accepted
 * and its delivery looks again, as for any other upstream outage. `undefined` (a 404) stays absent.
 */
export function objectAnswer(body: unknown, path: string): Json | undefined {
  if (body === undefined || body === null) return undefined;
  const record = asRecord(body);
  if (typeof record?.uuid === 'string' && record.uuid) return record as Json;
  throw malformedAnswer(
    OPENMRS,
    `GET ${path} answered without the object's uuid (not OpenMRS's answer)`,
    makeOpenMrsError,
  );
}
