import { ConflictError, type Identifier, type Order } from '../../../domain/index.js';
import type { StepJournal, WriteResult } from '../../../routing/ports.js';
import type { LmisClient, OpenLmisDeps } from '../types.js';
import { LMIS, lmisMessageKey } from '../errors.js';
import type { InitiablePeriodDto, RequisitionDto } from './requisition-dto.js';
import { assertLinesHeld, assertSameOrder, buildFillBody, isFilled, type RequestedLine } from './requisition-fill.js';
import { initiateLockKey, initiateRequisition } from './requisition-initiate.js';
import { isRefused, refusalError, refusalOf, undoInitiate, type Refused } from './requisition-undo.js';
import { precheckRequisitionLess, submitRequisitionLess } from './requisition-less-submit.js';
import { findByOrderNumber } from './requisition-lookup.js';
import { choosePeriod, type ChosenPeriod } from './requisition-period.js';
import { resolveOrder, type ResolvedOrder } from './requisition-resolve.js';
import { awaitsAuthorize, awaitsSubmit, orderStatusOfRequisition } from './requisition-status.js';

/**
 * Order → requisition, step by step through the journal: find-period → initiate → fill → submit
 * (→ authorize). Each step is also safe when the process died after OpenLMIS applied it but
 * before the journal recorded it: find-period first looks for a requisition already carrying the
 * order number, initiate adopts only a draft proven ours (requisition-initiate.ts), fill and
 * submit read the requisition's state before writing. A fill or submit OpenLMIS refuses for good
 * deletes the requisition again (requisition-undo.ts) before the refusal reaches the client.
 */
type PeriodStep = ({ kind: 'requisition' } & ChosenPeriod) | { kind: 'requisition-less' };

async function findPeriod(deps: OpenLmisDeps, order: Order, r: ResolvedOrder): Promise<PeriodStep> {
  const { client } = deps;
  const own = await findByOrderNumber(
    client,
    { facility: r.facilityId, program: r.program.id, emergency: r.emergency },
    order.orderNumber,
  );
  if (own?.processingPeriod)
    return {
      kind: 'requisition',
      periodId: own.processingPeriod.id,
      periodName: own.processingPeriod.name ?? undefined,
      requisitionId: own.id,
    };
  const periods = await client.call<InitiablePeriodDto[]>({
    method: 'GET',
    path: '/api/requisitions/periodsForInitiate',
    query: { programId: r.program.id, facilityId: r.facilityId, emergency: r.emergency },
  });
  if (periods.length === 0 && !order.period) return { kind: 'requisition-less' };
  // a draft already in the chosen period is not taken here: the initiate step adopts only what is provably ours
  const { requisitionId: _existing, ...chosen } = choosePeriod(periods, {
    wanted: order.period,
    emergency: r.emergency,
    where: 'Order.period',
  });
  return { kind: 'requisition', ...chosen };
}

function requestedLines(r: ResolvedOrder): RequestedLine[] {
  return r.lines.map((l) => ({
    orderableId: l.orderable.id,
    productCode: l.orderable.productCode,
    requestedQuantity: l.units,
    explanation: l.explanation,
    where: `${l.where}.product`,
  }));
}

function read(client: LmisClient, id: string): Promise<RequisitionDto> {
  return client.call<RequisitionDto>({ method: 'GET', path: `/api/requisitions/${id}` });
}

/**
 * GET (unless this attempt just initiated it and holds OpenLMIS's answer), then PUT with the
 * lines; a stale modifiedDate (409: someone saved in between) is re-read and re-applied once.
 */
async function fill(
  client: LmisClient,
  id: string,
  lines: RequestedLine[],
  orderNumber: Identifier,
  known?: RequisitionDto,
): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    const current = attempt === 0 && known?.id === id ? known : await read(client, id);
    assertSameOrder(current, orderNumber);
    // already submitted (a resumed flow) or already holding exactly this order: nothing to write
    if (!awaitsSubmit(current.status) || isFilled(current, lines, orderNumber)) return current.status;
    try {
      const saved = await client.call<RequisitionDto>({
        method: 'PUT',
        path: `/api/requisitions/${id}`,
        body: buildFillBody(current, lines, orderNumber),
        retry: true,
      });
      assertLinesHeld(saved, lines);
      return saved.status;
    } catch (err) {
      const stale =
        lmisMessageKey(err) === 'requisition.error.validation.dateModifiedMismatch' ||
        (err as { upstreamStatus?: number }).upstreamStatus === 409;
      if (!stale || attempt > 0) throw err;
    }
  }
}

/**
 * One status transition, skipped when the requisition is already past it. `known` is the status
 * this attempt itself just saw in OpenLMIS's answer; a resumed attempt reads it first.
 */
async function transition(
  client: LmisClient,
  id: string,
  action: 'submit' | 'authorize',
  due: (status: string) => boolean,
  known?: string,
): Promise<string> {
  const status = known ?? (await read(client, id)).status;
  if (!due(status)) return status;
  const res = await client.call<{ status: string }>({
    method: 'POST',
    path: `/api/requisitions/${id}/${action}`,
    retry: false,
  });
  return res.status;
}

/** What the fill step journals: the status it left, or its refusal (then the initiate is undone). */
type FillOutcome = { status: string } | Refused;

async function fillOrRefuse(
  client: LmisClient,
  id: string,
  lines: RequestedLine[],
  orderNumber: Identifier,
  known?: RequisitionDto,
): Promise<FillOutcome> {
  try {
    return { status: await fill(client, id, lines, orderNumber, known) };
  } catch (err) {
    return refusalOf(err);
  }
}

/** A journal written before fill outcomes were objects holds the status string. */
const asFillOutcome = (v: FillOutcome | string): FillOutcome => (typeof v === 'string' ? { status: v } : v);

/**
 * Initiate (or adopt what is provably ours) and fill, holding the lock of the facility/program/
 * period/emergency throughout: when it is released, the requisition carries our order number (or
 * is deleted again), so no unmarked draft of ours is left for another write to wonder about.
 */
async function initiateAndFill(
  deps: OpenLmisDeps,
  order: Order,
  resolved: ResolvedOrder,
  periodId: string,
  own: string | undefined,
  journal: StepJournal,
): Promise<{ id: string; seen?: string }> {
  const { client } = deps;
  const params = {
    facilityId: resolved.facilityId,
    programId: resolved.program.id,
    periodId,
    emergency: resolved.emergency,
    orderNumber: order.orderNumber,
    idempotencyKey: journal.idempotencyKey,
  };
  return deps.ledger.serialise(initiateLockKey(params), async () => {
    // What OpenLMIS answered within this attempt saves re-reading it; a resumed attempt has none.
    let initiated: RequisitionDto | undefined;
    const id = await journal.run('initiate', async () => {
      if (own) return own;
      const result = await initiateRequisition(client, deps.ledger, params);
      initiated = result.full;
      return result.id;
    });
    // this write knows its requisition now (answered, adopted or resumed): nothing of ours is in the air
    await deps.ledger.resolve(initiateLockKey(params), params.idempotencyKey);
    // the status seen within this attempt only: a journaled one may be stale after a crash
    let ranNow = false;
    const filled = asFillOutcome(
      await journal.run('fill', () => {
        ranNow = true;
        return fillOrRefuse(client, id, requestedLines(resolved), order.orderNumber, initiated);
      }),
    );
    if (isRefused(filled))
      throw refusalError(
        filled,
        `the requisition ${id} initiated for it`,
        await journal.run('undo-initiate', () => undoInitiate(client, id, order.orderNumber)),
      );
    return { id, seen: ranNow ? filled.status : undefined };
  });
}

export async function submitOrder(deps: OpenLmisDeps, order: Order, journal: StepJournal): Promise<WriteResult> {
  const resolved = await resolveOrder(deps, order);
  const period = await journal.run('find-period', () => findPeriod(deps, order, resolved));
  if (period.kind === 'requisition-less') return submitRequisitionLess(deps, order, resolved, journal);
  const { client } = deps;
  const { id, seen } = await initiateAndFill(deps, order, resolved, period.periodId, period.requisitionId, journal);
  let submittedNow: string | undefined;
  const submitted = await journal.run('submit', async (): Promise<FillOutcome> => {
    try {
      return { status: (submittedNow = await transition(client, id, 'submit', awaitsSubmit, seen)) };
    } catch (err) {
      return refusalOf(err);
    }
  });
  if (isRefused(submitted))
    throw refusalError(
      submitted,
      `the requisition ${id} initiated for it`,
      await journal.run('undo-initiate', () => undoInitiate(client, id, order.orderNumber)),
    );
  let status = (asFillOutcome(submitted as FillOutcome | string) as { status: string }).status;
  if (deps.settings().authorizeStep)
    status = await journal.run('authorize', () => transition(client, id, 'authorize', awaitsAuthorize, submittedNow));
  return { system: LMIS, ids: { requisition: id }, status: orderStatusOfRequisition(status) };
}

/**
 * The order's precheck, reading only: facility, program, products and units (resolveOrder), the
 * text limits, and where it would go (a period, or requisition-less with a supplier).
 */
export async function precheckOrder(deps: OpenLmisDeps, order: Order, earlier: Order[] = []): Promise<void> {
  const resolved = await resolveOrder(deps, order);
  const period = await findPeriod(deps, order, resolved);
  if (period.kind === 'requisition-less') return precheckRequisitionLess(deps, order, resolved);
  if (resolved.emergency || period.requisitionId) return;
  // a regular period holds one requisition: an earlier order of the Bundle for it leaves no room
  for (const e of earlier) {
    const r = await resolveOrder(deps, e);
    if (r.emergency || r.facilityId !== resolved.facilityId || r.program.id !== resolved.program.id) continue;
    const p = await findPeriod(deps, e, r);
    if (p.kind === 'requisition' && p.periodId === period.periodId) {
      throw new ConflictError(
        `order ${e.orderNumber.value}, earlier in this transaction, takes the regular requisition of period ${period.periodName ?? period.periodId} for this facility and program; order ${order.orderNumber.value} cannot share it (send one order, or make one urgent)`,
        409,
        ['Order'],
      );
    }
  }
}
