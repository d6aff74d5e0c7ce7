import { hasRight, permissionErrors, type Principal } from './auth.js';
import type { Dto } from './dto.js';
import {
  SandboxHttpError,
  badRequest,
  conflict,
  fieldErrors,
  localized,
  notFound,
  springDefaultError,
  type LocalizedMessage,
} from './errors.js';
import { isUuid, newId } from './ids.js';
import {
  PRE_AUTHORIZE,
  UPDATABLE,
  type FacilityTypeApprovedProduct,
  type Requisition,
  type RequisitionLineItem,
  type RequisitionStatus,
} from './model.js';
import { packsToOrder } from './packs.js';
import type { SandboxStore } from './state.js';
import { currentSoh } from './stock.js';

/**
 * openlmis-requisition's rules (reference §3.1 and the service code): period order, one regular
 * requisition per facility/program/period, rights per step, template-driven required fields at
 * submit, period end date before non-emergency submit, idempotency keys, optimistic concurrency on
 * `modifiedDate`. Quantities are dispensing units.
 */
const E = 'requisition.error';
const ALL_STATUSES: RequisitionStatus[] = [
  'INITIATED',
  'REJECTED',
  'SUBMITTED',
  'AUTHORIZED',
  'IN_APPROVAL',
  'APPROVED',
  'RELEASED',
  'RELEASED_WITHOUT_ORDER',
  'SKIPPED',
];
const SEARCH_PARAMS = new Set([
  'facility',
  'program',
  'initiatedDateFrom',
  'initiatedDateTo',
  'modifiedDateFrom',
  'modifiedDateTo',
  'processingPeriod',
  'supervisoryNode',
  'requisitionStatus',
  'emergency',
  'page',
  'size',
  'sort',
  'access_token',
]);

export interface LineUpdate {
  orderable?: { id?: string } | null;
  orderableId?: string;
  requestedQuantity?: number | null;
  requestedQuantityExplanation?: string | null;
  remarks?: string | null;
  approvedQuantity?: number | null;
  totalStockoutDays?: number | null;
  skipped?: boolean | null;
}
export interface RequisitionUpdate {
  id?: string;
  modifiedDate?: string | null;
  draftStatusMessage?: string | null;
  datePhysicalStockCountCompleted?: string | null;
  extraData?: Record<string, unknown> | null;
  requisitionLineItems?: LineUpdate[] | null;
}

export class RequisitionService {
  constructor(
    private readonly store: SandboxStore,
    private readonly dto: Dto,
    private readonly options: { newLines: 'available' | 'non-full-supply' } = { newLines: 'available' },
  ) {}

  private now(): string {
    return new Date(this.store.clock()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }

  private today(): string {
    return this.now().slice(0, 10);
  }

  find(id: string): Requisition {
    const r = isUuid(id) ? this.store.requisitions.get(id) : undefined;
    if (!r) throw notFound(`${E}.requisitionNotFound`, 'Requisition not found for ID: {0}.', id);
    return r;
  }

  /** Only users are "current users"; service tokens reach `getCurrentUser().getId()` and fail with a 500. */
  private currentUserId(principal: Principal, path: string): string {
    if (principal.user) return principal.user.id;
    throw new SandboxHttpError(500, springDefaultError(500, path, 'No message available'));
  }

  private requireRight(
    principal: Principal,
    right: string,
    scope: { facilityId?: string; programId?: string; supervisoryNodeId?: string },
  ) {
    if (principal.kind === 'apikey' || !hasRight(principal, right, scope)) throw permissionErrors.requisition(right);
  }

  // ---- idempotency (Redis-backed in the service: the key is stored BEFORE processing, so a key
  // whose request failed cannot be reused either) ----
  reserveIdempotencyKey(header: string | undefined): string | undefined {
    if (!header) return undefined;
    if (!isUuid(header))
      throw badRequest(
        `${E}.validation.idempotencyKey.wrongFormat`,
        'Idempotency-Key header has wrong UUID format: {0}.',
        header,
      );
    const key = header.toLowerCase();
    if (this.store.idempotencyKeys.has(key))
      throw conflict(
        `${E}.validation.idempotencyKey.alreadyUsed`,
        'The same request for this resource has already been sent.',
      );
    this.store.idempotencyKeys.set(key, null);
    return key;
  }

  completeIdempotencyKey(key: string | undefined, requisitionId: string): void {
    if (key) this.store.idempotencyKeys.set(key, requisitionId);
  }

  // ---- periods ----
  private regularRequisition(facilityId: string, programId: string, periodId: string): Requisition | undefined {
    return this.store
      .requisitionsAt(facilityId)
      .find((r) => !r.emergency && r.programId === programId && r.periodId === periodId);
  }

  private programStartDate(programId: string, facilityId: string): string | null {
    return (
      this.store.facility(facilityId)?.supportedPrograms.find((s) => s.programId === programId)?.supportStartDate ??
      null
    );
  }

  periodsForInitiate(
    principal: Principal,
    programId: string | undefined,
    facilityId: string | undefined,
    emergency: boolean,
  ) {
    if (!programId || !facilityId)
      throw badRequest(
        `${E}.periodsForInitiate.missingParameters`,
        'Facility and program are required to return processing periods.',
      );
    this.requireRight(principal, 'REQUISITION_CREATE', { facilityId, programId });
    const all = this.store.periodsFor(programId, facilityId);
    const mine = this.store
      .requisitionsAt(facilityId)
      .filter((r) => r.programId === programId && r.emergency === emergency);
    const start = this.programStartDate(programId, facilityId);
    const candidates = emergency
      ? all.filter((p) => p.startDate <= this.today() && p.endDate >= this.today())
      : all.filter((p) => !start || p.startDate >= start);
    const out = candidates
      .filter((p) => emergency || !mine.some((r) => r.periodId === p.id && !PRE_AUTHORIZE.includes(r.status)))
      .map((p) => {
        const existing = mine.find((r) => r.periodId === p.id && (!emergency || PRE_AUTHORIZE.includes(r.status)));
        return {
          ...this.dto.period(p),
          requisitionId: existing?.id ?? null,
          requisitionStatus: existing?.status ?? null,
        };
      });
    if (emergency) {
      for (const r of mine.filter((x) => PRE_AUTHORIZE.includes(x.status))) {
        const p = this.store.period(r.periodId)!;
        out.push({ ...this.dto.period(p), requisitionId: r.id, requisitionStatus: r.status });
      }
    }
    return out;
  }

  /** PeriodService.findPeriod: the oldest period without a regular requisition, unless the previous one is unfinished. */
  private findPeriodForInitiate(
    programId: string,
    facilityId: string,
    suggested: string | undefined,
    emergency: boolean,
  ) {
    let period;
    if (emergency) {
      period = this.store
        .periodsFor(programId, facilityId)
        .find((p) => p.startDate <= this.today() && p.endDate >= this.today());
      if (!period)
        throw badRequest(
          `${E}.initiate.incorrectSuggestedPeriod`,
          'Error occurred while initiating requisition - incorrect suggested period.',
        );
    } else {
      const start = this.programStartDate(programId, facilityId);
      let previous: RequisitionStatus | null = null;
      for (const p of this.store.periodsFor(programId, facilityId).filter((x) => !start || x.startDate >= start)) {
        const existing = this.regularRequisition(facilityId, programId, p.id);
        if (existing) {
          previous = existing.status;
          continue;
        }
        if (previous && PRE_AUTHORIZE.includes(previous))
          throw badRequest(`${E}.initiate.finishPreviousRequisition`, 'Please finish previous requisition.');
        period = p;
        break;
      }
    }
    // the service honours a different suggested period if it exists (duplicates are then caught by the unique index)
    if (suggested && period && suggested !== period.id) period = this.store.period(suggested) ?? period;
    if (!period)
      throw badRequest(
        `${E}.initiate.periodShouldBeOldestAndNotAssociated`,
        'Period should be the oldest and not associated with any requisitions.',
      );
    return period;
  }

  initiate(
    principal: Principal,
    params: { programId?: string; facilityId?: string; suggestedPeriodId?: string; emergency?: boolean },
    idempotencyKey: string | undefined,
  ) {
    const { programId, facilityId } = params;
    if (!programId || !facilityId)
      throw badRequest(
        `${E}.initiate.missingParameters`,
        'Facility and program must be specified when initiating a requisition.',
      );
    if (params.emergency === undefined)
      throw new SandboxHttpError(
        400,
        springDefaultError(400, '/api/requisitions/initiate', "Required boolean parameter 'emergency' is not present"),
      );
    this.requireRight(principal, 'REQUISITION_CREATE', { facilityId, programId });
    const key = this.reserveIdempotencyKey(idempotencyKey);
    const facility = this.store.facility(facilityId);
    if (!facility) throw notFound(`${E}.facilityNotFound`, 'Facility not found for ID: {0}.', facilityId);
    const program = this.store.program(programId);
    if (!facility.supportedPrograms.some((s) => s.programId === programId && s.supportActive) || !program) {
      throw badRequest(
        `${E}.facilityDoesNotSupportProgram`,
        'Facility with ID {0} does not support program with ID {1}.',
        facilityId,
        programId,
      );
    }
    const emergency = params.emergency;
    const period = this.findPeriodForInitiate(programId, facilityId, params.suggestedPeriodId, emergency);
    if (!emergency && this.regularRequisition(facilityId, programId, period.id)) {
      throw badRequest(`${E}.duplication`, 'Requisition already exists for the given facility, program and period.');
    }
    const userId = this.currentUserId(principal, '/api/requisitions/initiate');
    const approved = this.store.approvedProductsFor(facility.typeId, programId);
    const now = this.now();
    // Requisition.initiate builds lines only for a regular requisition (its full-supply products);
    // an emergency one starts empty and the user adds the products wanted.
    const lineItems = emergency
      ? []
      : approved
          .filter((a) => this.isFullSupply(a.orderableId, programId))
          .map((a) => this.newLine(facilityId, programId, a));
    const requisition: Requisition = {
      id: newId(),
      facilityId,
      programId,
      periodId: period.id,
      emergency,
      reportOnly: false,
      status: 'INITIATED',
      createdDate: now,
      modifiedDate: now,
      supervisoryNodeId: null,
      supplyingFacilityId: null,
      templateId: this.store.seed.template.id,
      draftStatusMessage: null,
      datePhysicalStockCountCompleted: null,
      extraData: {},
      lineItems,
      statusChanges: [{ status: 'INITIATED', authorId: userId, createdDate: now }],
      availableApprovedProductIds: approved.map((a) => a.id),
    };
    this.store.putRequisition(requisition);
    this.completeIdempotencyKey(key, requisition.id);
    return { requisition, idempotencyKey: key };
  }

  private isFullSupply(orderableId: string, programId: string): boolean {
    return !!this.store.orderable(orderableId)?.programs.some((p) => p.programId === programId && p.fullSupply);
  }

  private newLine(facilityId: string, programId: string, a: FacilityTypeApprovedProduct): RequisitionLineItem {
    const orderable = this.store.orderable(a.orderableId)!;
    // stock-based template: stock on hand comes from the facility's stock cards at initiation
    const cards = [...this.store.stockCards.values()].filter(
      (c) => c.facilityId === facilityId && c.programId === programId && c.orderableId === a.orderableId,
    );
    const soh = cards.length ? cards.reduce((sum, c) => sum + currentSoh(c), 0) : null;
    return {
      id: newId(),
      orderableId: orderable.id,
      orderableVersion: orderable.versionNumber,
      approvedProductId: a.id,
      approvedProductVersion: a.versionNumber,
      beginningBalance: null,
      totalReceivedQuantity: null,
      totalLossesAndAdjustments: null,
      stockOnHand: soh,
      totalConsumedQuantity: null,
      requestedQuantity: null,
      requestedQuantityExplanation: null,
      remarks: null,
      approvedQuantity: null,
      totalStockoutDays: 0,
      calculatedOrderQuantity: null,
      skipped: false,
      pricePerPack: orderable.programs.find((p) => p.programId === programId)?.pricePerPack ?? null,
      maxPeriodsOfStock: a.maxPeriodsOfStock,
    };
  }

  private availableProducts(r: Requisition): FacilityTypeApprovedProduct[] {
    return r.availableApprovedProductIds.map((id) => this.store.seed.approvedProducts.find((a) => a.id === id)!);
  }

  /**
   * A PUT line the requisition does not have becomes a new line (Requisition.updateReqLines keeps
   * lines whose id it does not know as new ones) when its product is one of the requisition's
   * available products; anything else names a product that cannot be on this requisition.
   */
  private addedLine(
    r: Requisition,
    orderableId: string | undefined,
  ): RequisitionLineItem | LocalizedMessage | undefined {
    const approved = orderableId ? this.availableProducts(r).find((a) => a.orderableId === orderableId) : undefined;
    if (!approved)
      return localized(
        `${E}.validation.referencedObjectDoesNotExist`,
        'The {0} with ID {1} does not exist.',
        'orderable',
        String(orderableId),
      );
    // older servers add only non-full-supply lines and silently ignore the rest
    if (this.options.newLines === 'non-full-supply' && this.isFullSupply(approved.orderableId, r.programId))
      return undefined;
    return this.newLine(r.facilityId, r.programId, approved);
  }

  /**
   * Lines a PUT body leaves out: full-supply lines of a regular requisition stay (they are the
   * template's, not the user's to remove); added ones (non-full-supply, or any line of an
   * emergency requisition) go.
   */
  private removable(r: Requisition, line: RequisitionLineItem): boolean {
    return r.emergency || !this.isFullSupply(line.orderableId, r.programId);
  }

  private rightForUpdate(status: RequisitionStatus): string {
    if (status === 'INITIATED' || status === 'REJECTED') return 'REQUISITION_CREATE';
    if (status === 'SUBMITTED') return 'REQUISITION_AUTHORIZE';
    return 'REQUISITION_APPROVE';
  }

  update(principal: Principal, id: string, body: RequisitionUpdate): Requisition {
    if (body.id && body.id !== id)
      throw badRequest(
        `${E}.idMismatch`,
        'Requisition ID mismatch. The ID that was provided in the requisition body differs from the one in url.',
      );
    const r = this.find(id);
    if (body.modifiedDate && Date.parse(body.modifiedDate) !== Date.parse(r.modifiedDate)) {
      throw conflict(
        `${E}.validation.dateModifiedMismatch`,
        'The requisition with ID {0} has a newer version on the server; the server version will be used, and you will need to remake your changes.',
        r.id,
      );
    }
    const right = this.rightForUpdate(r.status);
    const scope =
      right === 'REQUISITION_APPROVE'
        ? { supervisoryNodeId: r.supervisoryNodeId ?? undefined }
        : { facilityId: r.facilityId, programId: r.programId };
    if (principal.kind === 'apikey' || !hasRight(principal, right, scope)) {
      throw new SandboxHttpError(
        403,
        localized(
          `${E}.authorization.noFollowingPermissionForRequisitionUpdate`,
          'Requisition has been {0}. You do not have permission to change this requisition. The following permission is required: {1}.',
          r.status,
          right,
        ),
      );
    }
    if (!UPDATABLE.includes(r.status))
      throw badRequest(`${E}.update.canNotUpdateWithStatus`, 'Cannot update a requisition with status: {0}.', r.status);

    const errors: Record<string, LocalizedMessage> = {};
    const inApproval = r.status === 'AUTHORIZED' || r.status === 'IN_APPROVAL';
    const pending: Array<[RequisitionLineItem, LineUpdate]> = [];
    const added: RequisitionLineItem[] = [];
    for (const update of body.requisitionLineItems ?? []) {
      const orderableId = update.orderable?.id ?? update.orderableId;
      let line =
        r.lineItems.find((l) => l.orderableId === orderableId) ?? added.find((l) => l.orderableId === orderableId);
      if (!line) {
        const fresh = this.addedLine(r, orderableId);
        if (!fresh) continue;
        if (!('orderableId' in fresh)) {
          errors.requisitionLineItems = fresh;
          continue;
        }
        added.push(fresh);
        line = fresh;
      }
      for (const field of ['requestedQuantity', 'approvedQuantity', 'totalStockoutDays'] as const) {
        const v = update[field];
        if (v !== undefined && v !== null && (typeof v !== 'number' || v < 0))
          errors.requisitionLineItems = localized(
            `${E}.validation.mustBeNonNegative`,
            '{0} must be a non-negative value.',
            field,
          );
      }
      if (!inApproval && update.approvedQuantity !== undefined && update.approvedQuantity !== null) {
        errors.requisitionLineItems = localized(
          `${E}.validation.onlyAvailableForApproval`,
          '{0} is only available during the approval step of the requisition process.',
          'approvedQuantity',
        );
      }
      pending.push([line, update]);
    }
    if (Object.keys(errors).length) throw fieldErrors(errors);
    // the body's lines replace the requisition's (updateReqLines), but a full-supply line of a
    // regular requisition left out of the body is kept
    if (Array.isArray(body.requisitionLineItems)) {
      const kept = new Set(pending.map(([line]) => line));
      r.lineItems = r.lineItems.filter((l) => kept.has(l) || !this.removable(r, l));
    }
    r.lineItems.push(...added);
    for (const [line, u] of pending) {
      // invariants (ids, orderables, calculated columns) are ignored; only user-input columns change
      if (!inApproval) {
        if (u.requestedQuantity !== undefined) line.requestedQuantity = u.requestedQuantity;
        if (u.requestedQuantityExplanation !== undefined)
          line.requestedQuantityExplanation = u.requestedQuantityExplanation;
        if (u.totalStockoutDays !== undefined) line.totalStockoutDays = u.totalStockoutDays;
        if (u.skipped !== undefined && u.skipped !== null) line.skipped = u.skipped;
      } else if (u.approvedQuantity !== undefined) {
        line.approvedQuantity = u.approvedQuantity;
      }
      if (u.remarks !== undefined) line.remarks = u.remarks;
    }
    if (body.draftStatusMessage !== undefined) r.draftStatusMessage = body.draftStatusMessage;
    if (body.datePhysicalStockCountCompleted !== undefined)
      r.datePhysicalStockCountCompleted = body.datePhysicalStockCountCompleted;
    if (body.extraData) r.extraData = body.extraData;
    r.modifiedDate = this.now();
    return r;
  }

  /** Template-driven checks at submit/authorize (RequestedQuantityValidator and friends). */
  private validateForStatusChange(r: Requisition): void {
    const calculatedDisplayed = this.store.seed.template.calculatedOrderQuantityDisplayed;
    const errors: Record<string, LocalizedMessage> = {};
    for (const line of r.lineItems.filter((l) => !l.skipped)) {
      if (line.requestedQuantity !== null && line.requestedQuantity < 0) {
        errors.requisitionLineItems = localized(
          `${E}.validation.mustBeNonNegative`,
          '{0} must be a non-negative value.',
          'requestedQuantity',
        );
      }
      if (r.emergency || !calculatedDisplayed) {
        if (line.requestedQuantity === null)
          errors.requisitionLineItems = localized(
            `${E}.validation.valueMustBeEntered`,
            '{0} must be entered prior to submission of a requisition.',
            'requestedQuantity',
          );
      } else if (
        line.requestedQuantity !== null &&
        line.requestedQuantity !== line.calculatedOrderQuantity &&
        !line.requestedQuantityExplanation?.trim()
      ) {
        errors.requisitionLineItems = localized(
          `${E}.validation.valueMustBeEntered`,
          '{0} must be entered prior to submission of a requisition.',
          'requestedQuantityExplanation',
        );
      }
    }
    if (Object.keys(errors).length) throw fieldErrors(errors);
  }

  private checkPeriodEnded(r: Requisition): void {
    if (r.emergency) return;
    const period = this.store.period(r.periodId)!;
    if (period.endDate > this.today()) {
      throw badRequest(
        `${E}.approve.errorPeriodEndDateWrong`,
        "You cannot submit/authorize/approve a regular requisition before this period's end date {0}. Please wait until the period ends and submit final, complete data accurate as of the period end date.",
        period.endDate,
      );
    }
  }

  private changeStatus(r: Requisition, status: RequisitionStatus, authorId: string | null): void {
    const now = this.now();
    r.status = status;
    r.modifiedDate = now;
    r.statusChanges.push({ status, authorId, createdDate: now });
  }

  /** On authorization the approved quantity starts as the requested one (or the calculated one). */
  private authorizeInPlace(r: Requisition, userId: string): void {
    for (const line of r.lineItems)
      if (!line.skipped) line.approvedQuantity = line.requestedQuantity ?? line.calculatedOrderQuantity;
    r.supervisoryNodeId = this.store.supervisoryNodeFor(r.programId, r.facilityId);
    this.changeStatus(r, 'AUTHORIZED', userId);
  }

  submit(principal: Principal, id: string, idempotencyKey: string | undefined) {
    const r = this.find(id);
    this.requireRight(principal, 'REQUISITION_CREATE', { facilityId: r.facilityId, programId: r.programId });
    const key = this.reserveIdempotencyKey(idempotencyKey);
    if (r.status !== 'INITIATED' && r.status !== 'REJECTED') {
      throw badRequest(
        `${E}.submit.mustBeInitiatedToBeSubmitted`,
        "Cannot submit requisition: {0}, requisition must have status 'INITIATED' or 'REJECTED' to be submitted.",
        r.id,
      );
    }
    this.validateForStatusChange(r);
    this.checkPeriodEnded(r);
    const userId = this.currentUserId(principal, `/api/requisitions/${id}/submit`);
    this.changeStatus(r, 'SUBMITTED', userId);
    if (this.store.program(r.programId)!.skipAuthorization) this.authorizeInPlace(r, userId);
    this.completeIdempotencyKey(key, r.id);
    return { requisition: r, idempotencyKey: key };
  }

  authorize(principal: Principal, id: string, idempotencyKey: string | undefined) {
    const r = this.find(id);
    this.requireRight(principal, 'REQUISITION_AUTHORIZE', { facilityId: r.facilityId, programId: r.programId });
    const key = this.reserveIdempotencyKey(idempotencyKey);
    if (this.store.program(r.programId)!.skipAuthorization)
      throw badRequest(`${E}.authorizationToBeSkipped`, 'Requisition authorization is configured to be skipped.');
    if (r.status !== 'SUBMITTED') {
      throw badRequest(
        `${E}.authorize.mustBeSubmittedToBeAuthorize`,
        "Cannot authorize requisition: {0}, requisition must have status 'SUBMITTED' to be authorized.",
        r.id,
      );
    }
    this.validateForStatusChange(r);
    this.checkPeriodEnded(r);
    this.authorizeInPlace(r, this.currentUserId(principal, `/api/requisitions/${id}/authorize`));
    this.completeIdempotencyKey(key, r.id);
    return { requisition: r, idempotencyKey: key };
  }

  approve(principal: Principal, id: string, idempotencyKey: string | undefined) {
    const r = this.find(id);
    if (r.status !== 'AUTHORIZED' && r.status !== 'IN_APPROVAL') {
      throw badRequest(
        `${E}.approve.requisitionMustBeAuthorized`,
        'Cannot approve requisition: {0}. The requisition must be authorized in order to be eligible for approval.',
        r.id,
      );
    }
    if (
      principal.kind === 'apikey' ||
      !hasRight(principal, 'REQUISITION_APPROVE', { supervisoryNodeId: r.supervisoryNodeId ?? undefined })
    ) {
      throw new SandboxHttpError(
        403,
        localized(
          `${E}.approve.noPermissionForSupervisoryNode`,
          'Cannot approve this requisition because you do not have right for this supervisory node.',
        ),
      );
    }
    const key = this.reserveIdempotencyKey(idempotencyKey);
    const missing = r.lineItems.some((l) => !l.skipped && l.approvedQuantity === null);
    if (missing)
      throw fieldErrors({
        requisitionLineItems: localized(
          `${E}.validation.valueMustBeEntered`,
          '{0} must be entered prior to submission of a requisition.',
          'approvedQuantity',
        ),
      });
    this.checkPeriodEnded(r);
    const userId = this.currentUserId(principal, `/api/requisitions/${id}/approve`);
    const node = this.store.seed.supervisoryNodes.find((n) => n.id === r.supervisoryNodeId);
    const supplying = node?.supplyLines[r.programId];
    if (supplying || !node?.parentId) {
      r.supplyingFacilityId = supplying ?? null;
      this.changeStatus(r, 'APPROVED', userId);
    } else {
      r.supervisoryNodeId = node.parentId;
      this.changeStatus(r, 'IN_APPROVAL', userId);
    }
    this.completeIdempotencyKey(key, r.id);
    return { requisition: r, idempotencyKey: key };
  }

  reject(principal: Principal, id: string): Requisition {
    const r = this.find(id);
    if (
      principal.kind === 'apikey' ||
      !hasRight(principal, 'REQUISITION_APPROVE', { supervisoryNodeId: r.supervisoryNodeId ?? undefined })
    )
      throw permissionErrors.requisition('REQUISITION_APPROVE');
    if (r.status !== 'AUTHORIZED' && r.status !== 'IN_APPROVAL') {
      throw badRequest(
        `${E}.reject.requisitionMustBeWaitingForApproval`,
        'Cannot reject requisition: {0}. Requisition must be waiting for approval to be rejected.',
        r.id,
      );
    }
    r.supervisoryNodeId = null;
    this.changeStatus(r, 'REJECTED', this.currentUserId(principal, `/api/requisitions/${id}/reject`));
    return r;
  }

  skip(principal: Principal, id: string): Requisition {
    const r = this.find(id);
    this.requireRight(principal, 'REQUISITION_CREATE', { facilityId: r.facilityId, programId: r.programId });
    if (!this.store.program(r.programId)!.periodsSkippable)
      throw badRequest(
        `${E}.canNotSkipPeriod.program`,
        'Skip period failed. This program does not allow skipping processing periods.',
      );
    if (r.emergency)
      throw badRequest(
        `${E}.canNotSkipPeriod.emergency`,
        'Skip period failed. Emergency requisitions cannot be skipped.',
      );
    if (r.status !== 'INITIATED' && r.status !== 'REJECTED')
      throw badRequest(
        `${E}.canNotSkipPeriod.status`,
        'Skip period failed. Only requisitions in INITIATED or REJECTED state can be skipped.',
      );
    for (const l of r.lineItems) l.skipped = true;
    this.changeStatus(r, 'SKIPPED', this.currentUserId(principal, `/api/requisitions/${id}/skip`));
    return r;
  }

  remove(principal: Principal, id: string): void {
    const r = this.find(id);
    this.requireRight(principal, 'REQUISITION_DELETE', { facilityId: r.facilityId, programId: r.programId });
    if (!['INITIATED', 'REJECTED', 'SUBMITTED', 'SKIPPED'].includes(r.status)) {
      throw badRequest(
        `${E}.badStatus.delete`,
        'Delete failed. Only INITIATED, SUBMITTED or SKIPPED requisitions can be deleted.',
      );
    }
    if (!r.emergency) {
      const start = this.store.period(r.periodId)!.startDate;
      const newer = this.store
        .requisitionsAt(r.facilityId)
        .some((x) => !x.emergency && x.programId === r.programId && this.store.period(x.periodId)!.startDate > start);
      if (newer)
        throw badRequest(
          `${E}.delete.newerExists`,
          'You cannot delete this requisition. A newer regular requisition already exists, and its Average Period Consumption and Beginning Balance were tied to this requisition already.',
        );
    }
    this.store.deleteRequisition(r.id);
  }

  search(principal: Principal, query: Record<string, unknown>): Requisition[] {
    const unknown = Object.keys(query).filter((k) => !SEARCH_PARAMS.has(k));
    if (unknown.length) {
      throw badRequest(
        `${E}.search.invalidParams`,
        'To search requisitions you can provide only facility, program, initiatedDateFrom, initiatedDateTo, modifiedDateFrom, modifiedDateFrom, processingPeriod, supervisoryNode, requisitionStatus or emergency parameters.',
      );
    }
    const list = (name: string) =>
      ([] as unknown[])
        .concat(query[name] ?? [])
        .flatMap((v) => String(v).split(','))
        .filter(Boolean);
    const one = (name: string) => list(name)[0];
    for (const name of ['facility', 'program', 'processingPeriod', 'supervisoryNode']) {
      const v = one(name);
      if (v && !isUuid(v))
        throw badRequest(
          `${E}.validation.invalidUuidFormat`,
          'UUID {0} parameter has wrong format for field {1}.',
          v,
          name,
        );
    }
    const statuses = list('requisitionStatus');
    const bad = statuses.find((s) => !ALL_STATUSES.includes(s as RequisitionStatus));
    if (bad)
      throw badRequest(
        `${E}.validation.params.requisitionStatus.notValidStatus`,
        'Parameter "requisitionStatus" is not a valid Requisition Status: {0}.',
        bad,
      );
    const emergency = one('emergency')?.toLowerCase();
    // each parameter read once, not once per requisition: OpenLMIS answers this from an indexed
    // query, so the simulator's cost should not grow with every requisition it holds
    const [facility, program, period, node] = ['facility', 'program', 'processingPeriod', 'supervisoryNode'].map(one);
    const [createdFrom, createdTo, modifiedFrom, modifiedTo] = [
      'initiatedDateFrom',
      'initiatedDateTo',
      'modifiedDateFrom',
      'modifiedDateTo',
    ].map(one);
    const dateFilter = (r: Requisition, field: 'createdDate' | 'modifiedDate', from?: string, to?: string) =>
      (!from || r[field].slice(0, 10) >= from) && (!to || r[field].slice(0, 10) <= to);
    const candidates = facility ? this.store.requisitionsAt(facility) : [...this.store.requisitions.values()];
    return candidates.filter(
      (r) =>
        (!facility || r.facilityId === facility) &&
        (!program || r.programId === program) &&
        (!period || r.periodId === period) &&
        (!node || r.supervisoryNodeId === node) &&
        (!statuses.length || statuses.includes(r.status)) &&
        (emergency === undefined || String(r.emergency) === emergency) &&
        dateFilter(r, 'createdDate', createdFrom, createdTo) &&
        dateFilter(r, 'modifiedDate', modifiedFrom, modifiedTo) &&
        (principal.kind !== 'user' ||
          hasRight(principal, 'REQUISITION_VIEW', { facilityId: r.facilityId, programId: r.programId })),
    );
  }

  /** APPROVED → RELEASED (with an order) or RELEASED_WITHOUT_ORDER. */
  release(
    principal: Principal,
    body: {
      createOrder?: boolean;
      requisitionsToRelease?: Array<{ requisitionId?: string; supplyingDepotId?: string }>;
    },
    createOrder: (r: Requisition, depotId: string, userId: string) => void,
  ) {
    const items = body.requisitionsToRelease ?? [];
    for (const item of items) {
      if (principal.kind === 'apikey' || !hasRight(principal, 'ORDERS_EDIT', { facilityId: item.supplyingDepotId }))
        throw permissionErrors.requisition('ORDERS_EDIT');
    }
    const userId = this.currentUserId(principal, '/api/requisitions/batchReleases');
    const released: Requisition[] = [];
    for (const item of items) {
      const r = this.find(item.requisitionId ?? '');
      if (r.status !== 'APPROVED')
        throw badRequest(
          `${E}.release.requisitionMustBeApproved`,
          'Cannot release requisition: {0} as order. Requisition must be approved.',
          r.id,
        );
      if (body.createOrder !== false) {
        if (!item.supplyingDepotId || !this.store.facility(item.supplyingDepotId)) {
          throw badRequest(
            `${E}.release.mustHaveSupplyingFacility`,
            'Cannot release requisition: {0} as order. Requisition must have supplying facility.',
            r.id,
          );
        }
        r.supplyingFacilityId = item.supplyingDepotId;
        createOrder(r, item.supplyingDepotId, userId);
        this.changeStatus(r, 'RELEASED', userId);
      } else {
        this.changeStatus(r, 'RELEASED_WITHOUT_ORDER', userId);
      }
      released.push(r);
    }
    return released;
  }

  // ---- DTOs ----
  private statusChangesMap(r: Requisition) {
    const map: Record<string, { authorId: string | null; changeDate: string }> = {};
    for (const c of r.statusChanges) map[c.status] = { authorId: c.authorId, changeDate: c.createdDate };
    return map;
  }

  private statusHistory(r: Requisition) {
    return r.statusChanges.map((c) => ({
      status: c.status,
      statusMessageDto: null,
      authorId: c.authorId,
      createdDate: c.createdDate,
    }));
  }

  private reasons(r: Requisition) {
    const facility = this.store.facility(r.facilityId)!;
    return this.store.seed.validReasons
      .filter((v) => v.programId === r.programId && v.facilityTypeId === facility.typeId)
      .map((v) => {
        const reason = this.store.reason(v.reasonId)!;
        return {
          id: reason.id,
          name: reason.name,
          description: reason.description,
          reasonType: reason.reasonType,
          reasonCategory: reason.reasonCategory,
          isFreeTextAllowed: reason.isFreeTextAllowed,
          hidden: v.hidden,
        };
      });
  }

  private lineValues(l: RequisitionLineItem) {
    const orderable = this.store.orderable(l.orderableId, l.orderableVersion)!;
    const quantity = l.approvedQuantity ?? l.requestedQuantity ?? l.calculatedOrderQuantity ?? 0;
    const packsToShip = packsToOrder(quantity, orderable);
    return {
      beginningBalance: l.beginningBalance,
      totalReceivedQuantity: l.totalReceivedQuantity,
      totalLossesAndAdjustments: l.totalLossesAndAdjustments,
      stockOnHand: l.stockOnHand,
      requestedQuantity: l.requestedQuantity,
      totalConsumedQuantity: l.totalConsumedQuantity,
      requestedQuantityExplanation: l.requestedQuantityExplanation,
      remarks: l.remarks,
      approvedQuantity: l.approvedQuantity,
      totalStockoutDays: l.totalStockoutDays,
      total: null,
      packsToShip,
      totalCost: l.pricePerPack === null ? null : Math.round(packsToShip * l.pricePerPack * 100) / 100,
      skipped: l.skipped,
      adjustedConsumption: null,
      averageConsumption: null,
      calculatedOrderQuantity: l.calculatedOrderQuantity,
      idealStockAmount: null,
      calculatedOrderQuantityIsa: null,
      maximumStockQuantity: null,
      pricePerPack: l.pricePerPack,
      stockAdjustments: [],
    };
  }

  private common(r: Requisition) {
    return {
      id: r.id,
      createdDate: r.createdDate,
      modifiedDate: r.modifiedDate,
      draftStatusMessage: r.draftStatusMessage,
      status: r.status,
      emergency: r.emergency,
      reportOnly: r.reportOnly,
      supplyingFacility: r.supplyingFacilityId,
      supervisoryNode: r.supervisoryNodeId,
      template: { id: r.templateId },
      statusChanges: this.statusChangesMap(r),
      statusHistory: this.statusHistory(r),
      datePhysicalStockCountCompleted: r.datePhysicalStockCountCompleted,
      stockAdjustmentReasons: this.reasons(r),
      extraData: r.extraData,
    };
  }

  /** RequisitionDto (v1): facility, program, period and orderables embedded. */
  toV1(r: Requisition) {
    const available = this.availableProducts(r).map((a) => this.store.orderable(a.orderableId)!);
    const fullSupply = available.filter((o) => this.isFullSupply(o.id, r.programId));
    return {
      ...this.common(r),
      facility: this.dto.embeddedFacility(r.facilityId, 'requisition'),
      program: this.dto.program(this.store.program(r.programId)!),
      processingPeriod: this.dto.period(this.store.period(r.periodId)!),
      requisitionLineItems: r.lineItems.map((l) => ({
        id: l.id,
        orderable: this.dto.orderable(this.store.orderable(l.orderableId, l.orderableVersion)!),
        approvedProduct: { id: l.approvedProductId, versionNumber: l.approvedProductVersion },
        ...this.lineValues(l),
      })),
      availableFullSupplyProducts: fullSupply.map((o) => this.dto.orderable(o)),
      availableNonFullSupplyProducts: available
        .filter((o) => !fullSupply.includes(o))
        .map((o) => this.dto.orderable(o)),
    };
  }

  /** RequisitionV2Dto: references `{id, href[, versionNumber]}` instead of embedded objects. */
  toV2(r: Requisition) {
    return {
      ...this.common(r),
      facility: this.dto.href('facilities', r.facilityId),
      program: this.dto.href('programs', r.programId),
      processingPeriod: this.dto.href('processingPeriods', r.periodId),
      requisitionLineItems: r.lineItems.map((l) => ({
        id: l.id,
        orderable: this.dto.versionRef('orderables', l.orderableId, l.orderableVersion),
        approvedProduct: this.dto.versionRef(
          'facilityTypeApprovedProducts',
          l.approvedProductId,
          l.approvedProductVersion,
        ),
        ...this.lineValues(l),
      })),
      availableProducts: this.availableProducts(r).map((a) => {
        const o = this.store.orderable(a.orderableId)!;
        return this.dto.versionRef('orderables', o.id, o.versionNumber);
      }),
    };
  }

  /** BasicRequisitionDto (search results, status-change responses). */
  toBasic(r: Requisition) {
    const f = this.store.facility(r.facilityId)!;
    const p = this.store.program(r.programId)!;
    const period = this.store.period(r.periodId)!;
    return {
      id: r.id,
      emergency: r.emergency,
      reportOnly: r.reportOnly,
      status: r.status,
      createdDate: r.createdDate,
      modifiedDate: r.modifiedDate,
      statusChanges: this.statusChangesMap(r),
      processingPeriod: { id: period.id, name: period.name, startDate: period.startDate, endDate: period.endDate },
      facility: { id: f.id, code: f.code, name: f.name },
      program: { id: p.id, code: p.code, name: p.name },
      extraData: r.extraData,
    };
  }

  /** ApproveRequisitionDto (batch release results). */
  toApproveDto(r: Requisition) {
    return {
      id: r.id,
      emergency: r.emergency,
      status: r.status,
      modifiedDate: r.modifiedDate,
      periodName: this.store.period(r.periodId)!.name,
      facilityName: this.store.facility(r.facilityId)!.name,
      requisitionLineItems: r.lineItems
        .filter((l) => !l.skipped)
        .map((l) => {
          const o = this.store.orderable(l.orderableId, l.orderableVersion)!;
          const packs = packsToOrder(l.approvedQuantity ?? 0, o);
          return {
            id: l.id,
            orderable: {
              id: o.id,
              productCode: o.productCode,
              fullProductName: o.fullProductName,
              dispensable: o.dispensable,
              netContent: o.netContent,
              packRoundingThreshold: o.packRoundingThreshold,
              roundToZero: o.roundToZero,
              meta: { versionNumber: o.versionNumber, lastUpdated: o.lastUpdated },
            },
            approvedQuantity: l.approvedQuantity,
            pricePerPack: l.pricePerPack,
            totalCost: l.pricePerPack === null ? null : Math.round(packs * l.pricePerPack * 100) / 100,
            skipped: l.skipped,
          };
        }),
    };
  }
}
