import type { Identifier } from '../../domain/index.js';
import { NS } from '../../domain/namespace.js';
import type { OpenMrsClient } from './client.js';
import { OPENMRS, answered, makeOpenMrsError } from './errors.js';
import { SM } from './stock-reference.js';
import { unknownWriteOutcome } from '../../upstream/errors.js';

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
export function identifierOf(externalReference: unknown): Identifier | undefined {
  if (typeof externalReference !== 'string') return undefined;
  const bar = externalReference.lastIndexOf('|');
  return bar > 0 ? { system: externalReference.slice(0, bar), value: externalReference.slice(bar + 1) } : undefined;
}

/** Line ids: the FHIR edge's formula, so reads give back the posted ids. */
export { orderLineId, deliveryLineId } from '../../domain/line-ids.js';

export function listOperations(
  client: OpenMrsClient,
  query: { operationTypeUuid: string; locationUuid?: string },
): Promise<Json[]> {
  return client.all<Json>({ path: `${SM}/stockoperation`, query: { ...query, v: 'default' } });
}

export const getOperation = (client: OpenMrsClient, uuid: string) =>
  client.call<Json>({ method: 'GET', path: `${SM}/stockoperation/${uuid}` });

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
): Promise<string> {
  const op = await getOperation(client, uuid);
  if (!from.includes(op.status)) return String(op.status);
  const body = { name, uuid, ...(reason ? { reason } : {}) };
  await client.call<unknown>({ method: 'POST', path: `${SM}/stockoperationaction`, body });
  const status = answered(await getOperation(client, uuid), 'status', `GET stockoperation after ${name}`);
  if (from.includes(status))
    throw unknownWriteOutcome({
      system: OPENMRS,
      make: makeOpenMrsError,
      diagnostics: `stock operation ${uuid} is still ${status} after ${name} was answered: retried`,
    });
  return status;
}
