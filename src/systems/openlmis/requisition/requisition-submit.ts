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
import { checkRequisitionSupplier } from './requisition-supplier.js';
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
  if (offered instanceof MediatorError) {
    // a refusal ends this write: the same order sent again (once the approver has acted) asks afresh
    forgetPeriods(deps, periodsOf(order, r));
    throw offered;
  }
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

/** What the fill left, for the transitions that follow it under the same lock. */
interface Filled {
  id: string;
  /** The status this attempt saw OpenLMIS answer (undefined when the fill ran in an earlier attempt). */
  seen?: string;
  filled?: RequisitionDto;
  recordFill: () => Promise<unknown>;
  /**
   * The initiate step's record and the note resolving it: asked for in the same moment as the last
   * records of the order, so they join the commit that ends the outbox job (one fsync, not two).
   */
  recordInitiate: () => Promise<unknown>;
}

/**
 * Initiate (or adopt what is provably ours) and fill, holding the lock of the facility/program/
 * period/emergency throughout, then `next` (the transitions) still under it: when the lock is
 * released, the requisition carries our order number (or is deleted again), and the initiate's
 * record and resolving note are on disk, so no other write of ours meets an unresolved note.
 *
 * The fill and the transitions do not wait for the initiate's record (issue 18: it was one more
 * fsync each order waited for in series). A resumed attempt without that record initiates again
 * under this lock, and its search finds what this one left: the draft our notes give this write
 * (the note was on disk before the POST) or, once filled, the requisition carrying our order
 * number, submitted or not (fill and submit then see it done and write nothing). That record and
 * the note are asked for when the order's last records are, and `next`'s result is handed back
 * at once, so they commit with the job's end; the lock is held until they are on disk.
 */
async function initiateAndFill<R>(
  deps: OpenLmisDeps,
  order: Order,
  resolved: ResolvedOrder,
  periodId: string,
  own: string | undefined,
  journal: StepJournal,
  recordPeriod: () => Promise<unknown>,
  next: (filled: Filled) => Promise<R>,
): Promise<R> {
  const { client } = deps;
  const params = {
    facilityId: resolved.facilityId,
    programId: resolved.program.id,
    periodId,
    emergency: resolved.emergency,
    orderNumber: order.orderNumber,
    idempotencyKey: journal.idempotencyKey,
  };
  let handOver!: (result: R) => void;
  const handedOver = new Promise<R>((resolve) => (handOver = resolve));
  const locked = deps.ledger.serialise(initiateLockKey(params), async () => {
    // What OpenLMIS answered within this attempt saves re-reading it; a resumed attempt has none.
    let initiated: RequisitionDto | undefined;
    const initiateStep = overlappedStep(
      journal,
      'initiate',
      async () => {
        if (own) {
          // nothing to post; the fill below waits for the period's record
          void recordPeriod();
          return own;
        }
        const result = await initiateRequisition(client, deps.ledger, params, recordPeriod);
        initiated = result.full;
        forgetPeriods(deps, params);
        return result.id;
      },
      { deferred: true },
    );
    let initiateRecorded: Promise<unknown> | undefined;
    // this write knows its requisition once the initiate step has its value (answered, adopted or
    // resumed): nothing of ours is in the air, so the note resolving it joins the step's record.
    // Without a value (an initiate whose outcome is unknown) the note stays unresolved: other
    // writes of ours hold until a later attempt learns what landed (requisition-initiate.ts).
    const recordInitiate = () => {
      if (!initiateRecorded) {
        initiateRecorded = initiateStep.value.then(() =>
          Promise.all([initiateStep.record(), deps.ledger.resolve(initiateLockKey(params), params.idempotencyKey)]),
        );
        // awaited before the lock goes (below); this keeps an early failure from being "unhandled"
        initiateRecorded.catch(() => undefined);
      }
      return initiateRecorded;
    };
    try {
      const id = await initiateStep.value;
      // the fill is an upstream write: the period's record is on disk first (at once, when it is already)
      await recordPeriod();
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
      if (isRefused(filled)) {
        // the undo is an upstream write: what it undoes is on disk first
        await Promise.all([recordInitiate(), fillStep.record()]);
        throw refusalError(
          filled,
          `the requisition ${id} initiated for it`,
          await journal.run('undo-initiate', () => undoInitiate(client, id, order.orderNumber)),
        );
      }
      handOver(
        await next({
          id,
          seen: ranNow ? filled.status : undefined,
          filled: seenNow,
          recordFill: () => fillStep.record(),
          recordInitiate,
        }),
      );
    } finally {
      // a step that failed, or ran ahead of these records, still leaves them for its retry, and
      // the lock goes only once they are on disk
      await recordInitiate().catch(() => undefined);
    }
  });
  // the result as soon as `next` has it; the lock's release (and any failure) otherwise
  return Promise.race([handedOver, locked.then(() => handedOver)]);
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
  return initiateAndFill(
    deps,
    order,
    resolved,
    period.periodId,
    period.requisitionId,
    journal,
    () => periodStep.record(),
    (filled) => transitions(deps, order, resolved, journal, filled),
  );
}

/** Submit (and authorize, where configured) the filled requisition: the order's last upstream writes. */
async function transitions(
  deps: OpenLmisDeps,
  order: Order,
  resolved: ResolvedOrder,
  journal: StepJournal,
  { id, seen, filled, recordFill, recordInitiate }: Filled,
): Promise<WriteResult> {
  const { client } = deps;
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
      // the fill's and the initiate's records, asked for in the same turn as the submit's own record
      void recordInitiate();
      void recordFill();
    }
  });
  const submitted = await submitStep.value;
  // (a resumed attempt whose submit was recorded runs no action above: the records are asked for here)
  const initiateRecorded = recordInitiate();
  const fillRecorded = recordFill();
  forgetPeriods(deps, periodsOf(order, resolved));
  if (isRefused(submitted)) {
    await Promise.all([submitStep.record(), fillRecorded, initiateRecorded]);
    throw refusalError(
      submitted,
      `the requisition ${id} initiated for it`,
      await journal.run('undo-initiate', () => undoInitiate(client, id, order.orderNumber)),
    );
  }
  let status = (asFillOutcome(submitted as FillOutcome | string) as { status: string }).status;
  if (deps.settings().authorizeStep) {
    // the authorize is an upstream write after the submit: the records before it are on disk first
    await initiateRecorded;
    status = await journal.run('authorize', () =>
      transition(client, id, 'authorize', awaitsAuthorize, submittedNow, heard),
    );
  }
  // only what this attempt itself saw from the fill to the last transition stands in for a read
  if (filled && answer?.status === status) rememberWritten(deps, filled, answer);
  return { system: LMIS, ids: { requisition: id }, status: orderStatusOfRequisition(status) };
}

/**
 * The order's precheck, reading only: facility, program, products and units (resolveOrder), the
 * text limits, and where it would go (a period, with the supplier its supply line gives, or
 * requisition-less with a supplier).
 */
export async function precheckOrder(deps: OpenLmisDeps, order: Order, earlier: Order[] = []): Promise<void> {
  const resolved = await resolveOrder(deps, order);
  const period = await findPeriod(deps, order, resolved);
  if (period.kind === 'requisition-less') return precheckRequisitionLess(deps, order, resolved);
  await checkRequisitionSupplier(deps, order, resolved);
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
