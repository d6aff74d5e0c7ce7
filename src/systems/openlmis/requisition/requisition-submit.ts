import { ConflictError, MediatorError, type Order } from '../../../domain/index.js';
import type { StepJournal, WriteResult } from '../../../routing/ports.js';
import type { LmisClient, OpenLmisDeps } from '../types.js';
import { LMIS, lmisMessageKey } from '../errors.js';
import type { InitiablePeriodDto, RequisitionDto } from './requisition-dto.js';
import * as api from '../api.js';
import { forgetPeriods, initiablePeriods, rememberWritten } from './requisition-recent.js';
import {
  assertLinesHeld,
  assertSameOrder,
  buildFillBody,
  isFilled,
  type OrderStamp,
  type RequestedLine,
} from './requisition-fill.js';
import { initiateLockKey, initiateRequisition } from './requisition-initiate.js';
import { isRefused, refusalError, refusalOf, undoInitiate, type Refused } from './requisition-undo.js';
import { precheckRequisitionLess, submitRequisitionLess } from './requisition-less-submit.js';
import { findByOrderNumber } from './requisition-lookup.js';
import { choosePeriod, type ChosenPeriod } from './requisition-period.js';
import { resolveOrder, type ResolvedOrder } from './requisition-resolve.js';
import { awaitsAuthorize, awaitsSubmit, orderStatusOfRequisition } from './requisition-status.js';
import { overlappedStep, type OverlappedStep } from './overlapped-step.js';

/**
 * Order → requisition, step by step through the journal: find-period → initiate → fill → submit
 * (→ authorize). Each step is also safe when the process died after OpenLMIS applied it but
 * before the journal recorded it: initiate searches the period under its lock and adopts only a
 * requisition proven ours (carrying the order number, or a draft the notes give this write:
 * requisition-initiate.ts), fill and submit read the requisition's state before writing. A fill
 * or submit OpenLMIS refuses for good deletes the requisition again (requisition-undo.ts) before
 * the refusal reaches the client.
 *
 * Five upstream calls for a new order (issue 18): periodsForInitiate (asked by the precheck and
 * reused by find-period, requisition-recent.ts), the search under the initiate lock, initiate,
 * the fill PUT (on the initiate's answer, no GET) and submit; the read-back that answers the
 * client reuses the PUT's and the submit's answers.
 */
type PeriodStep = ({ kind: 'requisition' } & ChosenPeriod) | { kind: 'requisition-less' };

const periodsOf = (order: Order, r: ResolvedOrder) => ({
  facilityId: r.facilityId,
  programId: r.program.id,
  emergency: r.emergency,
  orderNumber: order.orderNumber,
});

/** The period periodsForInitiate offers the order, requisition-less when it offers none, or why none fits. */
function offeredPeriod(
  periods: readonly InitiablePeriodDto[],
  order: Order,
  r: ResolvedOrder,
): PeriodStep | MediatorError {
  if (periods.length === 0 && !order.period) return { kind: 'requisition-less' };
  try {
    // a draft already in the chosen period is not taken here: the initiate step adopts only what is provably ours
    const { requisitionId: _existing, ...chosen } = choosePeriod(periods, {
      wanted: order.period,
      emergency: r.emergency,
      where: 'Order.period',
    });
    return { kind: 'requisition', ...chosen };
  } catch (err) {
    if (err instanceof MediatorError) return err;
    throw err;
  }
}

/**
 * Was this order written requisition-less? The same rule the submit applied: OpenLMIS offers no
 * period for its facility and program and the order names none (requisition-less.ts).
 */
export async function writtenRequisitionLess(deps: OpenLmisDeps, order: Order, r: ResolvedOrder): Promise<boolean> {
  if (order.period) return false;
  return (await initiablePeriods(deps, periodsOf(order, r))).length === 0;
}

async function findPeriod(deps: OpenLmisDeps, order: Order, r: ResolvedOrder): Promise<PeriodStep> {
  const offered = offeredPeriod(await initiablePeriods(deps, periodsOf(order, r)), order, r);
  if (!(offered instanceof MediatorError) && offered.kind === 'requisition') return offered;
  // No open period takes it: it may be this very order, already in OpenLMIS (a repeated POST, a
  // write resumed after its submit), whose period periodsForInitiate no longer lists. Only then
  // is the search by order number worth its call; an offered period is searched by the initiate.
  const own = await findByOrderNumber(
    deps.client,
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
  if (offered instanceof MediatorError) throw offered;
  return offered;
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

/**
 * GET (unless this attempt just initiated it and holds OpenLMIS's answer), then PUT with the
 * lines; a stale modifiedDate (409: someone saved in between) is re-read and re-applied once.
 * Answers the requisition as OpenLMIS last showed it.
 */
async function fill(
  client: LmisClient,
  id: string,
  lines: RequestedLine[],
  order: OrderStamp,
  known?: RequisitionDto,
): Promise<RequisitionDto> {
  const { orderNumber } = order;
  for (let attempt = 0; ; attempt++) {
    const current = attempt === 0 && known?.id === id ? known : await api.readRequisition(client, id);
    assertSameOrder(current, orderNumber);
    // already submitted (a resumed flow) or already holding exactly this order: nothing to write
    if (!awaitsSubmit(current.status) || isFilled(current, lines, orderNumber)) return current;
    try {
      const saved = await api.updateRequisition(client, id, buildFillBody(current, lines, order));
      assertLinesHeld(saved, lines);
      return saved;
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
 * this attempt itself just saw in OpenLMIS's answer; a resumed attempt reads it first. `answered`
 * hears OpenLMIS's answer when the transition ran.
 */
async function transition(
  client: LmisClient,
  id: string,
  action: 'submit' | 'authorize',
  due: (status: string) => boolean,
  known?: string,
  answered?: (answer: RequisitionDto) => void,
): Promise<string> {
  const status = known ?? (await api.readRequisition(client, id)).status;
  if (!due(status)) return status;
  const res = await api.transitionRequisition(client, id, action);
  answered?.(res);
  return res.status;
}

/** What the fill step journals: the status it left, or its refusal (then the initiate is undone). */
type FillOutcome = { status: string } | Refused;

async function fillOrRefuse(
  client: LmisClient,
  id: string,
  lines: RequestedLine[],
  order: OrderStamp,
  known?: RequisitionDto,
  seen?: (requisition: RequisitionDto) => void,
): Promise<FillOutcome> {
  try {
    const filled = await fill(client, id, lines, order, known);
    seen?.(filled);
    return { status: filled.status };
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
  recordPeriod: () => Promise<unknown>,
): Promise<{ id: string; seen?: string; filled?: RequisitionDto; recordFill: () => Promise<unknown> }> {
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
    // this write knows its requisition once the initiate step has its value (answered, adopted or
    // resumed): nothing of ours is in the air. Noted in the same commit as the step's record.
    let resolving: Promise<void> | undefined;
    const resolve = () => deps.ledger.resolve(initiateLockKey(params), params.idempotencyKey);
    // The fill does not wait for the initiate's record (nor the note that resolves it): a resumed
    // attempt without that record initiates again under this lock, and its search finds what this
    // one left: the draft our notes give this write (the note was on disk before the POST), or,
    // once filled, the requisition carrying our order number. Both commits overlap the fill call,
    // and are on disk before the lock is released (so no other write of ours sees an unresolved note).
    const initiateStep = overlappedStep(journal, 'initiate', async () => {
      if (own) {
        // nothing to post: the period's record and the note join this step's commit
        void recordPeriod();
        resolving = resolve();
        resolving.catch(() => undefined);
        return own;
      }
      const result = await initiateRequisition(client, deps.ledger, params, recordPeriod);
      initiated = result.full;
      forgetPeriods(deps, params);
      resolving = resolve();
      resolving.catch(() => undefined);
      return result.id;
    });
    const id = await initiateStep.value;
    // the fill is an upstream write: the period's record is on disk first (at once, when it is already)
    await recordPeriod();
    const initiateRecorded = Promise.all([initiateStep.record(), resolving ?? resolve()]);
    initiateRecorded.catch(() => undefined);
    // the status seen within this attempt only: a journaled one may be stale after a crash
    let ranNow = false;
    let seenNow: RequisitionDto | undefined;
    // the submit does not wait for the fill's record: it reads the requisition's state first
    // whenever it resumes without one (transition, fill). The record waits for the submit's answer
    // and joins its commit (and the job's end): one fsync at the end of the order, not two in series
    const fillStep = overlappedStep(
      journal,
      'fill',
      () => {
        ranNow = true;
        return fillOrRefuse(client, id, requestedLines(resolved), order, initiated, (r) => (seenNow = r));
      },
      { deferred: true },
    );
    const filled = asFillOutcome(await fillStep.value);
    await initiateRecorded;
    if (isRefused(filled)) {
      await fillStep.record();
      throw refusalError(
        filled,
        `the requisition ${id} initiated for it`,
        await journal.run('undo-initiate', () => undoInitiate(client, id, order.orderNumber)),
      );
    }
    return { id, seen: ranNow ? filled.status : undefined, filled: seenNow, recordFill: () => fillStep.record() };
  });
}

export async function submitOrder(deps: OpenLmisDeps, order: Order, journal: StepJournal): Promise<WriteResult> {
  const resolved = await resolveOrder(deps, order);
  // the period decides the branch and must be on disk before the first upstream write; its record
  // waits for that moment and joins the commit of the ledger note (or of the initiate step)
  const periodStep = overlappedStep(journal, 'find-period', () => findPeriod(deps, order, resolved), {
    deferred: true,
  });
  try {
    return await submitInPeriod(deps, order, resolved, journal, periodStep);
  } finally {
    // a refusal before any upstream write leaves nothing the record would be needed for
    periodStep.abandon();
  }
}

async function submitInPeriod(
  deps: OpenLmisDeps,
  order: Order,
  resolved: ResolvedOrder,
  journal: StepJournal,
  periodStep: OverlappedStep<PeriodStep>,
): Promise<WriteResult> {
  const period = await periodStep.value;
  if (period.kind === 'requisition-less') {
    await periodStep.record();
    return submitRequisitionLess(deps, order, resolved, journal);
  }
  const { client } = deps;
  const { id, seen, filled, recordFill } = await initiateAndFill(
    deps,
    order,
    resolved,
    period.periodId,
    period.requisitionId,
    journal,
    () => periodStep.record(),
  );
  let submittedNow: string | undefined;
  // the last transition's answer in this attempt, for the read-back (requisition-recent.ts)
  let answer: RequisitionDto | undefined;
  const heard = (a: RequisitionDto) => (answer = a);
  // the answer does not wait for the submit's record either: it joins the commit that finishes the
  // outbox job (that commit is what makes the result durable; a resumed submit reads the status first)
  const submitStep = overlappedStep(journal, 'submit', async (): Promise<FillOutcome> => {
    try {
      return { status: (submittedNow = await transition(client, id, 'submit', awaitsSubmit, seen, heard)) };
    } catch (err) {
      return refusalOf(err);
    } finally {
      // the fill's record, asked for in the same turn as the submit's own record
      void recordFill();
    }
  });
  const submitted = await submitStep.value;
  // (a resumed attempt whose submit was recorded runs no action above: the fill's record is asked for here)
  const fillRecorded = recordFill();
  forgetPeriods(deps, periodsOf(order, resolved));
  if (isRefused(submitted)) {
    await Promise.all([submitStep.record(), fillRecorded]);
    throw refusalError(
      submitted,
      `the requisition ${id} initiated for it`,
      await journal.run('undo-initiate', () => undoInitiate(client, id, order.orderNumber)),
    );
  }
  let status = (asFillOutcome(submitted as FillOutcome | string) as { status: string }).status;
  if (deps.settings().authorizeStep)
    status = await journal.run('authorize', () =>
      transition(client, id, 'authorize', awaitsAuthorize, submittedNow, heard),
    );
  // only what this attempt itself saw from the fill to the last transition stands in for a read
  if (filled && answer?.status === status) rememberWritten(deps, filled, answer);
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
