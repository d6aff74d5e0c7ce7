/**
 * Errors that cross layers. Each carries what a client needs to be told (HTTP status, FHIR issue
 * type, a precise diagnostic and the FHIRPath of the bad element) so that exactly one place, the
 * FHIR outcome plugin, turns them into an OperationOutcome. Never put secrets in `diagnostics`.
 */
import type { FacilityRef } from './identifiers.js';

export type IssueType =
  | 'invalid'
  | 'structure'
  | 'required'
  | 'value'
  | 'invariant'
  | 'security'
  | 'login'
  | 'forbidden'
  | 'not-found'
  | 'deleted'
  | 'conflict'
  | 'duplicate'
  | 'multiple-matches'
  | 'business-rule'
  | 'not-supported'
  | 'processing'
  | 'code-invalid'
  | 'too-costly'
  | 'transient'
  | 'timeout'
  | 'throttled'
  | 'exception'
  | 'informational'
  | 'incomplete'
  | 'lock-error';

export interface Issue {
  severity?: 'fatal' | 'error' | 'warning' | 'information';
  code: IssueType;
  diagnostics: string;
  expression?: string[];
}

export class MediatorError extends Error {
  readonly status: number;
  readonly issues: Issue[];
  constructor(status: number, issues: Issue[] | Issue) {
    const list = Array.isArray(issues) ? issues : [issues];
    super(list.map((i) => i.diagnostics).join('; '));
    this.name = 'MediatorError';
    this.status = status;
    this.issues = list;
  }
}

/**
 * 405, with the methods the resource does take (RFC 9110 §15.5.6: a 405 carries Allow). Given
 * issues (a transaction's, gathered), they are its issues as they are.
 */
export class MethodNotAllowedError extends MediatorError {
  readonly allow: string[];
  constructor(diagnostics: string | Issue[], allow: string[], expression: string[] = ['method']) {
    super(
      405,
      typeof diagnostics === 'string'
        ? { code: 'not-supported', diagnostics: `${diagnostics} (allowed: ${allow.join(', ')})`, expression }
        : diagnostics,
    );
    this.name = 'MethodNotAllowedError';
    this.allow = allow;
  }
}

/** 400/422 input errors: the client must change the request. */
export class InvalidInputError extends MediatorError {
  constructor(diagnostics: string, expression?: string | string[], status = 400, code: IssueType = 'invalid') {
    super(status, {
      code,
      diagnostics,
      expression: expression === undefined ? undefined : ([] as string[]).concat(expression),
    });
    this.name = 'InvalidInputError';
  }
}

/** A business rule refused the request (unmapped product, unknown facility …): 422. */
export class BusinessRuleError extends MediatorError {
  constructor(diagnostics: string, expression?: string | string[]) {
    super(422, {
      code: 'business-rule',
      diagnostics,
      expression: expression === undefined ? undefined : ([] as string[]).concat(expression),
    });
    this.name = 'BusinessRuleError';
  }
}

/**
 * A write's facility is not one of the system routing chose: the refusal routing adds its
 * reason to (routed-flow.ts), so a client or an implementer sees which rule sent an id of another
 * system there (a DHIS2 org unit id routed to OpenLMIS by the default) and what to change.
 */
export class UnknownFacilityError extends BusinessRuleError {
  constructor(
    diagnostics: string,
    expression?: string | string[],
    /** The facility refused: the write's own, or another it names (an order's supplier). */
    readonly facility?: FacilityRef,
  ) {
    super(diagnostics, expression);
    this.name = 'UnknownFacilityError';
  }

  /**
   * Whether this refuses `routed`, the facility routing chose the system by. Only then does how
   * routing chose it help: a supplier the system does not hold is not fixed by a routing rule.
   */
  refuses(routed: FacilityRef | undefined): boolean {
    if (!this.facility || !routed) return true;
    const a = this.facility;
    return (
      a.id === routed.id &&
      a.identifier?.system === routed.identifier?.system &&
      a.identifier?.value === routed.identifier?.value
    );
  }

  /** The same refusal, saying how routing chose the system (`routing`: its words). */
  routedBy(routing: string): UnknownFacilityError {
    const [first] = this.issues;
    return new UnknownFacilityError(`${first.diagnostics}; ${routing}`, first.expression, this.facility);
  }
}

/**
 * A search one system cannot answer as asked: OpenLMIS, OpenMRS and DHIS2 read stock per facility,
 * so a stock search naming none is nothing they can ask. Beside a system that can answer (Open
 * mSupply lists every store's), the search is that system's answer, as a system that does not know
 * a facility adds no match (routing/routed-flow.ts search); with none that can, a 422 at the
 * parameter each needs.
 */
export class SearchNeedsParameterError extends BusinessRuleError {
  constructor(diagnostics: string, parameter: string) {
    super(diagnostics, parameter);
    this.name = 'SearchNeedsParameterError';
  }
}

export class NotFoundError extends MediatorError {
  constructor(diagnostics: string) {
    super(404, { code: 'not-found', diagnostics });
    this.name = 'NotFoundError';
  }
}

/** The resource was there and has been deleted (an order line cancelled): FHIR's 410 on a read. */
export class GoneError extends MediatorError {
  constructor(diagnostics: string, expression: string[] = ['id']) {
    super(410, { code: 'deleted', diagnostics, expression });
    this.name = 'GoneError';
  }
}

/**
 * A record asked for by its system's own id (a DHIS2 org unit's UID), or by the id the mediator
 * derives for it (an order line a delivery names), that a write made under another id (the
 * client's, or a create's): that id is the resource's, as searches list it, so
 * the record has one id; or by an id it was served under before (an Open mSupply warehouse's
 * copy of an order, listed under ids of its own), which `formerly` says. A read answers a
 * redirect to it (fhir/interactions.ts); a change sent to the other id is this 409, nothing written.
 */
export class KnownAsError extends MediatorError {
  constructor(
    readonly asked: string,
    readonly known: string,
    /**
     * Why `asked` is no longer the record's id, when it is one the record was served under before
     * (FlowSpec.formerIdsWhy): a phrase that follows the id ("was …").
     */
    readonly formerly?: string,
  ) {
    super(409, {
      code: 'conflict',
      diagnostics: formerly
        ? `${asked} ${formerly}, ${known}: read and change it as ${known}`
        : `${asked} is another id of a record this server serves under the id its write came under, ${known}: read and change it as ${known}`,
      expression: ['id'],
    });
    this.name = 'KnownAsError';
  }
}

export class ConflictError extends MediatorError {
  constructor(diagnostics: string, status: 409 | 412 = 409, expression?: string[]) {
    super(status, { code: 'conflict', diagnostics, expression });
    this.name = 'ConflictError';
  }
}

/**
 * A write refused because its upstream record (`upstreamId`) is completed already (a confirmed
 * proof of delivery): routing finds the writes to it under any key, so a queued draft a
 * completion overtook under another identifier is told superseded (routing/delivery-overtaken.ts).
 */
export class CompletedUpstreamError extends ConflictError {
  constructor(
    diagnostics: string,
    readonly upstreamId: string,
    expression?: string[],
  ) {
    super(diagnostics, 409, expression);
    this.name = 'CompletedUpstreamError';
  }
}

/**
 * A change made from a version another write replaced meanwhile: two changes of one order from
 * one revision, the other accepted first. `ids`: the FHIR ids of the write that lost. The FHIR
 * edge answers it as FHIR says for a version conflict (412 to an If-Match, else 409), naming the
 * resource; this diagnostic is for any other caller.
 */
export class ChangedMeanwhileError extends ConflictError {
  constructor(readonly ids: string[]) {
    super(
      `${ids.join(', ')} changed meanwhile: another change of it was accepted first; read it again and resend the change`,
    );
    this.name = 'ChangedMeanwhileError';
  }
}

/**
 * The client of a write closed its connection before the write was recorded: OpenHIM gave up on
 * it (a channel timeout shorter than the upstream's slow reads) and keeps its transaction as
 * failed, to be rerun. Recording it now would apply a write OpenHIM says failed; nobody reads this
 * answer, its log line says what happened.
 */
export class ClientGoneError extends MediatorError {
  constructor() {
    super(503, {
      code: 'timeout',
      diagnostics:
        'The client closed the connection before the write was recorded (an OpenHIM channel timeout?): nothing was written; a rerun applies it once',
    });
    this.name = 'ClientGoneError';
  }
}

/**
 * A write's checks before it is recorded (its reference reads) outlasted its deadline
 * (routing/checks-deadline.ts): nothing was recorded, and the answer comes while OpenHIM still
 * waits, naming whom the checks waited on, rather than core's own timeout naming nobody. A 504,
 * so OpenHIM's auto-retry sends it again; the reads go on and fill the caches it then finds warm.
 */
export class ChecksTooSlowError extends MediatorError {
  constructor(
    readonly waitedOn: string[],
    ms: number,
    deadlineMs: number,
  ) {
    const whom = waitedOn.length ? ` for ${waitedOn.join(', ')}` : '';
    const budget = ms === deadlineMs ? 'outbox.deadlineMs' : `outbox.deadlineMs ${deadlineMs} ms, at least ${ms}`;
    super(504, {
      code: 'timeout',
      diagnostics: `The checks of this write before it is recorded waited more than ${ms} ms${whom} (${budget}): nothing was written; send it again (the reads go on, so it is checked sooner)`,
    });
    this.name = 'ChecksTooSlowError';
  }
}

/**
 * A batch's read entry outlasted the batch's time (its writes' checks' bound plus
 * outbox.deadlineMs, from the batch's start): answered alone, naming whom it waited on, so the
 * batch is answered while OpenHIM still waits. It changed nothing; the read goes on.
 */
export class ReadTooSlowError extends MediatorError {
  constructor(
    readonly waitedOn: string[],
    ms: number,
  ) {
    const whom = waitedOn.length ? ` for ${waitedOn.join(', ')}` : '';
    super(504, {
      code: 'timeout',
      diagnostics: `This read waited more than ${ms} ms${whom}, the time its batch is answered in (the checks' bound plus outbox.deadlineMs): read it again`,
    });
    this.name = 'ReadTooSlowError';
  }
}

/** The flow needs a system that is not configured: tells the operator which one. */
export class NotConfiguredError extends MediatorError {
  constructor(flow: string, systems: string[]) {
    super(501, {
      code: 'not-supported',
      diagnostics: `No connector is configured for ${flow}: configure ${systems.join(' or ')} (see README, "Configuration")`,
    });
    this.name = 'NotConfiguredError';
  }
}

/**
 * An upstream system failed. `transient` failures (timeouts, resets, 5xx, 429) are retried by the
 * outbox and flagged for OpenHIM auto-retry; permanent ones (the upstream's 4xx validation error)
 * are returned to the client with the upstream's reason.
 */
export class UpstreamError extends MediatorError {
  readonly system: string;
  readonly transient: boolean;
  readonly upstreamStatus?: number;
  /** When the upstream said to ask again (its Retry-After, epoch ms): no try before then. */
  notBefore?: number;
  /**
   * A 2xx answer of another shape than the API promises (upstream/errors.ts malformedAnswer): the
   * server did answer, so the outcome of the (read) request is known, and one odd endpoint or
   * record says nothing of the system's health (see isUnknownUpstreamOutcome, countsAgainstSystem).
   */
  readonly otherShape: boolean;
  /**
   * The system answered and is up; only this write must wait (OpenMRS refusing a date its clock has
   * not reached yet, systems/openmrs/operation-date.ts clockBehind). Retried with backoff and
   * charged its attempts like any transient failure, but counted against no circuit breaker
   * (outbox/failures.ts failsSystem): a few counts sent to a server whose clock is slow would
   * otherwise open it and hold every other write to that system.
   */
  readonly systemUp: boolean;
  /**
   * The request certainly never reached the server: it failed while connecting (upstream/errors.ts
   * connectPhaseFailure), before a byte of it was written. False whenever it may have (a reset, a
   * timeout after connecting, any answer, or an earlier try of the same call that may have: the
   * client clears it then), so a write seeing it true knows its call did not land.
   */
  neverSent: boolean;
  constructor(opts: {
    system: string;
    transient: boolean;
    diagnostics: string;
    otherShape?: boolean;
    systemUp?: boolean;
    neverSent?: boolean;
    upstreamStatus?: number;
    status?: number;
    code?: IssueType;
    expression?: string[];
  }) {
    const status = opts.status ?? (opts.transient ? (opts.code === 'timeout' ? 504 : 502) : 422);
    super(status, {
      code: opts.code ?? (opts.transient ? 'transient' : 'business-rule'),
      diagnostics: `${opts.system}: ${opts.diagnostics}`,
      expression: opts.expression,
    });
    this.name = 'UpstreamError';
    this.system = opts.system;
    this.transient = opts.transient;
    this.upstreamStatus = opts.upstreamStatus;
    this.otherShape = opts.otherShape === true;
    this.systemUp = opts.systemUp === true;
    this.neverSent = opts.neverSent === true;
  }
}

export function isTransient(err: unknown): boolean {
  return err instanceof UpstreamError && err.transient;
}

/**
 * A transaction Bundle refused at delivery (routing/transaction.ts settleTransaction): the
 * refusals of its writes in one answer. `retryable` when one of them was a transient upstream
 * failure, the only case in which sending the Bundle again can end differently; the others (a
 * rejection, a write given up and kept for an operator) would meet the same end, so OpenHIM is
 * not asked to auto-retry them (reference/openhim.md: `error` only for transient failures).
 */
export class TransactionRefusedError extends MediatorError {
  readonly retryable: boolean;
  constructor(status: number, issues: Issue[], retryable: boolean) {
    super(status, issues);
    this.name = 'TransactionRefusedError';
    this.retryable = retryable;
  }
}

/**
 * An upstream failure after which nobody knows whether the upstream applied the request: no
 * answer came from the server that does the work (the call timed out, the connection dropped,
 * or a gateway gave up with 502/504 while the server behind it may go on). Any other answer
 * (503, 429, 500 …) means the server has finished with the request.
 */
export function isUnknownUpstreamOutcome(err: unknown): boolean {
  if (!(err instanceof UpstreamError) || !err.transient || err.otherShape) return false;
  return err.upstreamStatus === undefined || err.upstreamStatus === 502 || err.upstreamStatus === 504;
}
