import { BusinessRuleError } from '../../domain/errors.js';
import type { Identifier } from '../../domain/index.js';
import type { StepJournal } from '../../routing/ports.js';
import { NS } from '../../domain/namespace.js';
import { keptNumber } from '../barred-system.js';
import type { OpenMrsClient } from './client.js';
import { OPENMRS, OpenMrsError, answered, makeOpenMrsError } from './errors.js';
import { SM } from './stock-reference.js';
import { createOrSettle, type OperationBody } from './duplicate-write.js';
import { unknownWriteOutcome } from '../../upstream/errors.js';
import { clockBehind } from './operation-date.js';

/**
 * What the order and delivery flows share about stock operations: the business key kept in the
 * operation's externalReference, the ids the FHIR edge derives for lines, listing and acting on
 * operations (an action only when the operation is still in a status it applies to, so a
 * replayed step never acts twice).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- OpenMRS REST JSON, read field by field with checks
type Json = Record<string, any>;
export const OPERATION_NUMBER_SYSTEM = `${NS}/identifier/openmrs-stock-operation`;

/** An order number as externalReference: `system|value`, so the identifier reads back whole. */
export const referenceOf = (id: Identifier) => `${id.system}|${id.value}`;

/** stockmgmt_stock_operation.external_reference is VARCHAR(50) (openmrs-module-stockmanagement liquibase.xml). */
export const MAX_EXTERNAL_REFERENCE = 50;
/** stockmgmt_stock_operation.remarks is VARCHAR(255). */
export const MAX_REMARKS = 255;

/**
 * The business identifier as the operation's externalReference, refused when OpenMRS cannot keep
 * it. The module checks no length: a longer one fails its insert with a database error, answered
 * 500 like an outage, so the write would be retried until it gave up, never saying why.
 */
export function operationReference(id: Identifier, where: string): string {
  const reference = referenceOf(id);
  if (reference.length <= MAX_EXTERNAL_REFERENCE) return reference;
  throw new BusinessRuleError(
    `OpenMRS keeps at most ${MAX_EXTERNAL_REFERENCE} characters as a stock operation's external reference, which holds the identifier as system|value: ${reference.length} here; use a shorter identifier system or value`,
    where,
  );
}

/** A note as the operation's remarks, refused when longer than OpenMRS keeps (see operationReference). */
export function operationRemarks(note: string | undefined, where: string): string | null {
  if (note === undefined || note.length <= MAX_REMARKS) return note ?? null;
  throw new BusinessRuleError(
    `OpenMRS keeps at most ${MAX_REMARKS} characters of a stock operation's remarks: this note has ${note.length}`,
    where,
  );
}
/**
 * The identifier an operation's externalReference holds (referenceOf), split at the first bar: a
 * system (a URI) holds none and an app's number may (`ORD|77`, split at the last, read back as
 * another number of another system).
 */
export function identifierOf(externalReference: unknown): Identifier | undefined {
  if (typeof externalReference !== 'string') return undefined;
  return keptNumber(externalReference);
}

/** Line ids: the FHIR edge's formula, so reads give back the posted ids. */
export { orderLineId, deliveryLineId } from '../../domain/line-ids.js';

export function listOperations(
  client: OpenMrsClient,
  query: { operationTypeUuid: string; locationUuid?: string },
): Promise<Json[]> {
  return client.all<Json>({ path: `${SM}/stockoperation`, query: { ...query, v: 'default' } });
}

/**
 * POST a stock operation: its uuid. A duplicate key is settled against `twin`, the operation
 * already under this write's external reference (duplicate-write.ts createOrSettle).
 */
export function createOperation(
  client: OpenMrsClient,
  body: OperationBody & Json,
  twin: () => Promise<Json | undefined>,
  what: string,
  label: string,
): Promise<string> {
  return createOrSettle(
    async () =>
      answered(
        await client
          .send<Json>({ method: 'POST', path: `${SM}/stockoperation`, body })
          .catch((err: unknown) => Promise.reject(clockBehind(err, String(body.operationDate)) ?? err)),
        'uuid',
        `POST stockoperation (${label})`,
      ),
    twin,
    body,
    what,
  );
}

/** The operation's status as OpenMRS holds it; an answer without one is an error with its HTTP status. */
const statusOf = async (client: OpenMrsClient, uuid: string, when: string) =>
  answered(
    await client.send<Json>({ method: 'GET', path: `${SM}/stockoperation/${uuid}` }),
    'status',
    `GET stockoperation ${when}`,
  );

/**
 * What an action's caller checks around it: `sending`, just before the action is sent (to record
 * that it was); `past`, when the operation is found past the statuses the action applies to, which
 * may throw (acted on by someone else, not by an earlier attempt of this write).
 */
export interface ActionGuard {
  sending(): Promise<void>;
  /** `raced`: found past after its own action was refused, so another's action landed first. */
  past(status: string, raced?: boolean): Promise<void>;
}

/** The module refusing the action itself (its 400 "action not allowed"), not an outage or a timeout. */
const refusedAction = (err: unknown): err is OpenMrsError =>
  err instanceof OpenMrsError && !err.transient && err.upstreamStatus === 400;

/**
 * Runs `name` on the operation if its status is one of `from` (with its reason: RETURN needs one);
 * returns the status it ends in, read back from the operation: the module answers the action
 * with the action itself (`{name, uuid, reason, lineItems}`, StockOperationActionResource.save),
 * never the status it reached. Still in a `from` status afterwards, the action did not take (an
 * answer that was not the module's, a proxy's page): transient, so the retry acts again.
 */
export async function actOn(
  client: OpenMrsClient,
  uuid: string,
  name: string,
  from: string[],
  reason?: string,
  guard?: ActionGuard,
): Promise<string> {
  const before = await statusOf(client, uuid, `before ${name}`);
  if (!from.includes(before)) {
    await guard?.past(before);
    return before;
  }
  await guard?.sending();
  const body = { name, uuid, ...(reason ? { reason } : {}) };
  try {
    // its answer is not read (the status is read back below), so an answer that is not JSON is no error
    await client.call<unknown>({
      method: 'POST',
      path: `${SM}/stockoperationaction`,
      body,
      decodeAnswer: () => undefined,
    });
  } catch (err) {
    // two instances acting at the same moment: the loser's action is refused (400 "COMPLETE on a
    // COMPLETED …"); with a guard, the operation as it now stands says who won, as before sending
    if (!guard || !refusedAction(err)) throw err;
    const now = await statusOf(client, uuid, `after ${name} was refused`);
    if (from.includes(now)) throw err;
    await guard.past(now, true);
    return now;
  }
  const status = await statusOf(client, uuid, `after ${name}`);
  if (from.includes(status))
    throw unknownWriteOutcome({
      system: OPENMRS,
      make: makeOpenMrsError,
      diagnostics: `stock operation ${uuid} is still ${status} after ${name} was answered: retried`,
    });
  return status;
}

/** A SUBMIT the module refused, as journaled: enough to give the same refusal on a replay. */
interface SubmitRefusal {
  refused: { diagnostics: string; upstreamStatus?: number; code?: string; message?: string };
}

/**
 * The module's refusal of a SUBMIT (a StockManagementException, answered 400): "Item … batch … will
 * have a negative balance of …" (StockManagementServiceImpl.validateStockInventoryAfterOperation),
 * "…nocompatibleuom". Anything else (5xx, a timeout, 403, 404) is not the module saying no to
 * this operation's content.
 */
const isSubmitRefusal = refusedAction;

const submitting = async (client: OpenMrsClient, uuid: string): Promise<string | SubmitRefusal> => {
  try {
    return await actOn(client, uuid, 'SUBMIT', ['NEW', 'RETURNED']);
  } catch (err) {
    if (!isSubmitRefusal(err)) throw err;
    const diagnostics = err.issues[0]?.diagnostics?.replace(/^openmrs: /, '') ?? err.message;
    return {
      refused: { diagnostics, upstreamStatus: err.upstreamStatus, code: err.reasonCode, message: err.upstreamMessage },
    };
  }
};

/**
 * SUBMIT a NEW operation; when the module refuses it, CANCEL it (allowed from NEW, RETURNED and
 * SUBMITTED: StockManagementServiceImpl.processStockOperationAction, CANCEL) and throw the
 * refusal, so no draft is left behind in the location's list of operations. The refusal is
 * journaled before the CANCEL and the CANCEL acts only on a status it applies to, so a replay
 * after a crash anywhere cancels once and gives the same refusal (a crash before the refusal
 * was journaled submits again: the stock may have come in since). The refusal is permanent:
 * the stock the operation needs is not there, as the precheck would have said had it known.
 */
export async function submitOrCancel(
  client: OpenMrsClient,
  journal: StepJournal,
  uuid: string,
  step = 'submit',
): Promise<string> {
  const outcome = await journal.run(step, () => submitting(client, uuid));
  if (typeof outcome === 'string') return outcome;
  const cancelled = await journal.run(`${step}-cancel`, () =>
    actOn(client, uuid, 'CANCEL', ['NEW', 'RETURNED', 'SUBMITTED'], 'refused by OpenMRS on submit'),
  );
  const { diagnostics, upstreamStatus, code, message } = outcome.refused;
  throw makeOpenMrsError({
    system: OPENMRS,
    transient: false,
    status: 422,
    code: 'business-rule',
    upstreamStatus,
    reason: { code, message },
    diagnostics: `${diagnostics} (stock operation ${uuid} ${cancelled === 'CANCELLED' ? 'cancelled' : `left ${cancelled}`})`,
  });
}
