import type { Identifier, Order } from '../../domain/index.js';
import type { StepJournal, WriteResult } from '../connector.js';
import type { LmisClient, OpenLmisDeps } from './api.js';
import { LMIS, lmisMessageKey } from './errors.js';
import type { InitiablePeriodDto, RequisitionDto } from './requisition-dto.js';
import { assertLinesHeld, assertSameOrder, buildFillBody, isFilled, type RequestedLine } from './requisition-fill.js';
import { initiateRequisition } from './requisition-initiate.js';
import { submitRequisitionLess } from './requisition-less-submit.js';
import { findByOrderNumber } from './requisition-lookup.js';
import { choosePeriod, type ChosenPeriod } from './requisition-period.js';
import { resolveOrder, type ResolvedOrder } from './requisition-resolve.js';
import { awaitsAuthorize, awaitsSubmit, orderStatusOfRequisition } from './requisition-status.js';

/**
 * Order → requisition, step by step through the journal: find-period → initiate → fill → submit
 * (→ authorize). Each step is also safe when the process died after OpenLMIS applied it but
 * before the journal recorded it: find-period first looks for a requisition already carrying the
 * order number, initiate recovers a burnt Idempotency-Key by lookup, fill and submit read the
 * requisition's state before writing.
 */
type PeriodStep = ({ kind: 'requisition' } & ChosenPeriod) | { kind: 'requisition-less' };

async function findPeriod(deps: OpenLmisDeps, order: Order, r: ResolvedOrder): Promise<PeriodStep> {
  const { client } = deps;
  const own = await findByOrderNumber(client, { facility: r.facilityId, program: r.program.id, emergency: r.emergency }, order.orderNumber);
  if (own?.processingPeriod) return { kind: 'requisition', periodId: own.processingPeriod.id, periodName: own.processingPeriod.name ?? undefined, requisitionId: own.id };
  const periods = await client.call<InitiablePeriodDto[]>({
    method: 'GET', path: '/api/requisitions/periodsForInitiate', query: { programId: r.program.id, facilityId: r.facilityId, emergency: r.emergency },
  });
  if (periods.length === 0 && !order.period) return { kind: 'requisition-less' };
  return { kind: 'requisition', ...choosePeriod(periods, { wanted: order.period, emergency: r.emergency, where: 'Order.period' }) };
}

function requestedLines(r: ResolvedOrder): RequestedLine[] {
  return r.lines.map((l) => ({ orderableId: l.orderable.id, productCode: l.orderable.productCode, requestedQuantity: l.units, explanation: l.explanation, where: `${l.where}.product` }));
}

function read(client: LmisClient, id: string): Promise<RequisitionDto> {
  return client.call<RequisitionDto>({ method: 'GET', path: `/api/requisitions/${id}` });
}

/**
 * GET (unless this attempt just initiated it and holds OpenLMIS's answer), then PUT with the
 * lines; a stale modifiedDate (409: someone saved in between) is re-read and re-applied once.
 */
async function fill(client: LmisClient, id: string, lines: RequestedLine[], orderNumber: Identifier, known?: RequisitionDto): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    const current = attempt === 0 && known?.id === id ? known : await read(client, id);
    assertSameOrder(current, orderNumber);
    // already submitted (a resumed flow) or already holding exactly this order: nothing to write
    if (!awaitsSubmit(current.status) || isFilled(current, lines, orderNumber)) return current.status;
    try {
      const saved = await client.call<RequisitionDto>({ method: 'PUT', path: `/api/requisitions/${id}`, body: buildFillBody(current, lines, orderNumber), retry: true });
      assertLinesHeld(saved, lines);
      return saved.status;
    } catch (err) {
      const stale = lmisMessageKey(err) === 'requisition.error.validation.dateModifiedMismatch' || (err as { upstreamStatus?: number }).upstreamStatus === 409;
      if (!stale || attempt > 0) throw err;
    }
  }
}

/**
 * One status transition, skipped when the requisition is already past it. `known` is the status
 * this attempt itself just saw in OpenLMIS's answer; a resumed attempt reads it first.
 */
async function transition(client: LmisClient, id: string, action: 'submit' | 'authorize', due: (status: string) => boolean, known?: string): Promise<string> {
  const status = known ?? (await read(client, id)).status;
  if (!due(status)) return status;
  const res = await client.call<{ status: string }>({ method: 'POST', path: `/api/requisitions/${id}/${action}`, retry: false });
  return res.status;
}

export async function submitOrder(deps: OpenLmisDeps, order: Order, journal: StepJournal): Promise<WriteResult> {
  const resolved = await resolveOrder(deps, order);
  const period = await journal.run('find-period', () => findPeriod(deps, order, resolved));
  if (period.kind === 'requisition-less') return submitRequisitionLess(deps, order, resolved, journal);
  const { client } = deps;
  // What OpenLMIS answered within this attempt saves re-reading it; a resumed attempt has none.
  let initiated: RequisitionDto | undefined;
  let seen: string | undefined;
  const id = await journal.run('initiate', async () => {
    if (period.requisitionId) return period.requisitionId;
    const result = await initiateRequisition(client, {
      facilityId: resolved.facilityId, programId: resolved.program.id, periodId: period.periodId, emergency: resolved.emergency,
      orderNumber: order.orderNumber, idempotencyKey: journal.idempotencyKey,
    });
    initiated = result.full;
    return result.id;
  });
  let status = await journal.run('fill', async () => (seen = await fill(client, id, requestedLines(resolved), order.orderNumber, initiated)));
  status = await journal.run('submit', async () => (seen = await transition(client, id, 'submit', awaitsSubmit, seen)));
  if (deps.settings().authorizeStep) status = await journal.run('authorize', () => transition(client, id, 'authorize', awaitsAuthorize, seen));
  return { system: LMIS, ids: { requisition: id }, status: orderStatusOfRequisition(status) };
}
