import { ConflictError, type Order } from '../../../domain/index.js';
import type { StepJournal, WriteResult } from '../../../routing/ports.js';
import type { LmisClient, OpenLmisDeps } from '../types.js';
import { LMIS, lmisMessageKey } from '../errors.js';
import * as api from '../api.js';
import type { RequisitionDto } from './requisition-dto.js';
import { assertLinesHeld, buildFillBody, type RequestedLine } from './requisition-fill.js';
import { heldRequisition, noRequisition, revisionHeld } from './requisition-change.js';
import type { ResolvedOrder } from './requisition-resolve.js';
import { awaitsAuthorize, awaitsSubmit, orderStatusOfRequisition } from './requisition-status.js';

/**
 * A changed order → its requisition changed (issue 16). OpenLMIS lets the requested quantities of
 * a requisition change until it is authorized: PUT /api/requisitions/{id} while INITIATED or
 * REJECTED (REQUISITION_CREATE) or SUBMITTED (REQUISITION_AUTHORIZE); from AUTHORIZED on only
 * approvers edit, and only approved quantities (openlmis-requisition Requisition.isUpdatable and
 * RequisitionController.updateRequisition; the template's user-input columns per status). Past
 * that the change is refused, naming the requisition's status.
 *
 * Each amendment carries its revision; the PUT writes it to extraData.fhirOrderRevision with the
 * lines, in one request, so a replay finds it held and does nothing, and an older revision
 * arriving late never overwrites a newer one.
 */
const AMENDABLE = ['INITIATED', 'REJECTED', 'SUBMITTED'];

export function assertAmendable(requisition: RequisitionDto, order: Order): void {
  if (AMENDABLE.includes(requisition.status)) return;
  throw new ConflictError(
    `order ${order.orderNumber.value} can no longer be changed: its requisition ${requisition.id} is ${requisition.status} in OpenLMIS, and OpenLMIS lets requested quantities change only while a requisition is ${AMENDABLE.join(', ')}`,
    409,
    ['SupplyRequest'],
  );
}

export async function amendOrder(deps: OpenLmisDeps, order: Order, journal: StepJournal): Promise<WriteResult> {
  const revision = order.revision ?? 0;
  const status = await journal.run('amend', async () => {
    const held = await heldRequisition(deps, order);
    if (!held) throw noRequisition(order, 'change');
    // this revision or a newer one is there already: a replay, or a late older change
    if (held.revision >= revision) return { id: held.requisition.id, status: held.requisition.status };
    assertAmendable(held.requisition, order);
    return { id: held.requisition.id, status: await putAmendment(deps.client, held.requisition, held.resolved, order) };
  });
  let now = status.status;
  // a draft (or a rejected requisition) changed is sent on as the first write sends an order
  if (awaitsSubmit(now)) now = await journal.run('submit', () => transition(deps.client, status.id, 'submit'));
  if (deps.settings().authorizeStep && awaitsAuthorize(now))
    now = await journal.run('authorize', () => transition(deps.client, status.id, 'authorize'));
  return { system: LMIS, ids: { requisition: status.id }, status: orderStatusOfRequisition(now) };
}

/** The read-only part: what amendOrder would refuse now. */
export async function precheckAmendment(deps: OpenLmisDeps, order: Order): Promise<void> {
  const held = await heldRequisition(deps, order);
  if (!held) throw noRequisition(order, 'change');
  if (held.revision < (order.revision ?? 0)) assertAmendable(held.requisition, order);
}

async function transition(client: LmisClient, id: string, action: 'submit' | 'authorize'): Promise<string> {
  return (await api.transitionRequisition(client, id, action)).status;
}

/**
 * The PUT of the changed lines and the revision; products the order no longer names lose their
 * requested quantity (an emergency requisition skips them). A stale modifiedDate (someone saved
 * in between) is re-read and re-checked once.
 */
async function putAmendment(
  client: LmisClient,
  first: RequisitionDto,
  resolved: ResolvedOrder,
  order: Order,
): Promise<string> {
  const lines: RequestedLine[] = resolved.lines.map((l) => ({
    orderableId: l.orderable.id,
    productCode: l.orderable.productCode,
    requestedQuantity: l.units,
    explanation: l.explanation,
    where: `${l.where}.product`,
  }));
  for (let attempt = 0; ; attempt++) {
    const current = attempt === 0 ? first : await api.readRequisition(client, first.id);
    if (attempt > 0) {
      if (revisionHeld(current) >= (order.revision ?? 0)) return current.status;
      assertAmendable(current, order);
    }
    try {
      const saved = await api.updateRequisition(client, current.id, amendmentBody(current, lines, order));
      assertLinesHeld(saved, lines);
      return saved.status;
    } catch (err) {
      const stale = lmisMessageKey(err) === 'requisition.error.validation.dateModifiedMismatch';
      if (!stale || attempt > 0) throw err;
    }
  }
}

function amendmentBody(current: RequisitionDto, lines: RequestedLine[], order: Order): RequisitionDto {
  const named = new Set(lines.map((l) => l.orderableId));
  const cleared: RequisitionDto = {
    ...current,
    requisitionLineItems: (current.requisitionLineItems ?? []).map((line) =>
      named.has(line.orderable.id) || line.requestedQuantity === null || line.requestedQuantity === undefined
        ? line
        : {
            ...line,
            requestedQuantity: null,
            requestedQuantityExplanation: null,
            ...(current.emergency ? { skipped: true } : {}),
          },
    ),
  };
  const body = buildFillBody(cleared, lines, order);
  return { ...body, extraData: { ...(body.extraData ?? {}), fhirOrderRevision: order.revision ?? 0 } };
}
