import { asRecord, unknownWriteOutcome } from '../../upstream/errors.js';
import { OPENMRS, makeOpenMrsError } from './errors.js';
import { sameUuid } from './object-answer.js';

/**
 * Checks the answer to a POST that changes one OpenMRS object (`location/<uuid>`, its
 * `attribute/<uuid>`, or a new attribute when `uuid` is undefined). OpenMRS answers the changed
 * object's representation, which carries its uuid (BaseDelegatingResource). A 2xx without it, a
 * gateway's JSON page ({"message": "maintenance"}, which the client passes on as JSON), says nothing
 * about whether the change applied: read as done, the location was reported "updated" while
 * OpenMRS never saw the change, and the write was finished, lost. An unknown outcome instead
 * (transient): the outbox's retry reads the location again and sends only what still differs.
 */
export function checkChangeAnswer(answer: { status: number; body: unknown }, call: string, uuid?: string): void {
  const got: unknown = asRecord(answer.body)?.uuid;
  if (typeof got === 'string' && got && (uuid === undefined || sameUuid(got, uuid))) return;
  throw unknownWriteOutcome({
    system: OPENMRS,
    make: makeOpenMrsError,
    upstreamStatus: answer.status,
    diagnostics: `${call} answered ${answer.status} ${typeof got === 'string' && got ? 'with another uuid' : "without the object's uuid"} (not OpenMRS's answer): whether OpenMRS applied it is looked up on the retry`,
  });
}

/**
 * Checks the answer to a DELETE that retires an OpenMRS object: OpenMRS answers 204 No Content
 * (MainResourceController's delete). A 2xx carrying JSON, a gateway's page to a stale session,
 * is none of its answers and says nothing about whether the object was retired: read as done, the
 * location was reported "retired" while still in use. An unknown outcome instead: the retry reads
 * the location's state first.
 */
export function checkRetireAnswer(answer: { status: number; body: unknown }, call: string): void {
  if (asRecord(answer.body) === undefined) return;
  throw unknownWriteOutcome({
    system: OPENMRS,
    make: makeOpenMrsError,
    upstreamStatus: answer.status,
    diagnostics: `${call} answered ${answer.status} with JSON where OpenMRS answers no content (not OpenMRS's answer): whether OpenMRS applied it is looked up on the retry`,
  });
}
