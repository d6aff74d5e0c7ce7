import { BusinessRuleError, ConflictError } from '../../../domain/index.js';
import type { InitiablePeriodDto } from './requisition-dto.js';
import { awaitsAuthorize, awaitsSubmit } from './requisition-status.js';

/**
 * Which processing period an order goes into, from GET /api/requisitions/periodsForInitiate.
 * - order.period given: the period covering its start (or end) date;
 * - otherwise the oldest period that is free or whose requisition is still a draft (OpenLMIS
 *   insists on period order, so the oldest open one is the only one it will initiate);
 * - a regular period's existing draft requisition is reused (one per facility/program/period);
 *   emergency requisitions are never shared, so an emergency order always initiates its own.
 */
export interface ChosenPeriod {
  periodId: string;
  periodName?: string;
  /** An existing draft requisition to fill instead of initiating. */
  requisitionId?: string;
}

function covers(p: InitiablePeriodDto, date: string): boolean {
  const day = date.slice(0, 10);
  return !!p.startDate && !!p.endDate && p.startDate <= day && day <= p.endDate;
}

/** The day after `day` (YYYY-MM-DD), in UTC as OpenLMIS dates are. */
function dayAfter(day: string): string {
  const d = new Date(`${day.slice(0, 10)}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

/**
 * OpenLMIS initiates a regular requisition for a period only once the one of the period just before
 * it is authorized (openlmis-requisition PeriodService.findPeriod, messageKey
 * requisition.error.initiate.finishPreviousRequisition). periodsForInitiate still lists that
 * previous period while its requisition is INITIATED, REJECTED or SUBMITTED, so the refusal is
 * foreseeable: said here, before anything is recorded, naming the requisition that must move on,
 * rather than as OpenLMIS's bare "Please finish previous requisition." at delivery. Adjacent only:
 * a period between them whose requisition went on (not listed) lets the initiate through.
 */
function refuseAfterUnfinished(
  periods: readonly InitiablePeriodDto[],
  target: InitiablePeriodDto,
  where: string,
): void {
  if (target.requisitionId) return;
  const previous = periods[periods.indexOf(target) - 1];
  const status = previous?.requisitionStatus;
  if (!previous?.requisitionId || !status || !previous.endDate || !target.startDate) return;
  if (!awaitsSubmit(status) && !awaitsAuthorize(status)) return;
  if (dayAfter(previous.endDate) !== target.startDate.slice(0, 10)) return;
  const name = (p: InitiablePeriodDto) => p.name ?? p.id;
  throw new BusinessRuleError(
    `OpenLMIS initiates period ${name(target)} only once the requisition of the previous period ` +
      `${name(previous)} (${previous.requisitionId}) is authorized, and it is ${status}: ` +
      `it must be authorized in OpenLMIS before this order is sent again ` +
      `(openlmis.authorizeStep has the mediator authorize the requisitions it submits)`,
    where,
  );
}

function chosen(p: InitiablePeriodDto, reuse: boolean): ChosenPeriod {
  return {
    periodId: p.id,
    periodName: p.name ?? undefined,
    requisitionId: reuse && p.requisitionId ? p.requisitionId : undefined,
  };
}

export function choosePeriod(
  periods: readonly InitiablePeriodDto[],
  opts: { wanted?: { start?: string; end?: string }; emergency: boolean; where: string },
): ChosenPeriod {
  const reuse = !opts.emergency;
  const date = opts.wanted?.start ?? opts.wanted?.end;
  if (date) {
    const match = periods.find((p) => covers(p, date));
    if (!match) {
      const names = periods.map((p) => p.name ?? p.id).join(', ') || 'none';
      throw new BusinessRuleError(
        `no processing period that can be initiated covers ${date.slice(0, 10)} (periods open: ${names})`,
        opts.where,
      );
    }
    if (reuse && match.requisitionId && match.requisitionStatus && !awaitsSubmit(match.requisitionStatus)) {
      throw new ConflictError(
        `requisition ${match.requisitionId} for period ${match.name ?? match.id} is already ${match.requisitionStatus}`,
        409,
        [opts.where],
      );
    }
    if (reuse) refuseAfterUnfinished(periods, match, opts.where);
    return chosen(match, reuse);
  }
  const open = periods.find(
    (p) =>
      opts.emergency ||
      !p.requisitionId ||
      (p.requisitionStatus !== undefined && p.requisitionStatus !== null && awaitsSubmit(p.requisitionStatus)),
  );
  if (!open)
    throw new BusinessRuleError(
      'every processing period that could be initiated already has a submitted requisition',
      opts.where,
    );
  if (reuse) refuseAfterUnfinished(periods, open, opts.where);
  return chosen(open, reuse);
}
