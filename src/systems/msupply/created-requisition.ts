import { malformedAnswer } from '../../upstream/errors.js';
import type { MsupplyApi, RequisitionRow } from './api.js';
import { makeMsupplyError } from './errors.js';
import { MSUPPLY } from './identifiers.js';

/**
 * A requisition a write step made, read again by a later step (to add its lines, to send it).
 * Not found (a node of another type, a read not yet seeing the insert, or deleted in Open
 * mSupply meanwhile) is Open mSupply's answer, not the client's fault: as an answer of another
 * shape, the job is retried (its steps look before they write) and, if it never reappears,
 * dead-lettered for an operator. Refused, it left a half-made requisition and told the client
 * its order was refused.
 */
export async function createdRequisition(
  api: MsupplyApi,
  storeId: string,
  id: string,
  kind: 'requisition' | 'response requisition',
): Promise<RequisitionRow> {
  const r = await api.requisition(storeId, id);
  if (!r)
    throw malformedAnswer(
      MSUPPLY,
      `${kind} ${id} was created but store ${storeId} no longer finds it`,
      makeMsupplyError,
    );
  return r;
}
