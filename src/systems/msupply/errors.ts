import { UpstreamCallError, decodeHttpError, type UpstreamErrorOptions } from '../../upstream/errors.js';
import { graphqlReason } from '../../upstream/graphql.js';
import type { UpstreamError } from '../../domain/errors.js';
import { MSUPPLY } from './identifiers.js';

/**
 * Open mSupply's failures as the mediator's UpstreamError. Two shapes come back (server/graphql/core
 * /src/standard_graphql_error.rs in msupply-foundation/open-msupply): GraphQL `errors[]` whose
 * message is "Unauthenticated", "Forbidden", "Bad user input" or "Internal error", and typed errors
 * inside `data` (`XError { error { __typename description } }`), decoded by the shared GraphQL
 * exchange. The `__typename` of a typed error is kept as the reason code so flows can recognise the
 * states they handle (a requisition already sent, a line already there) without parsing text.
 */
export class MsupplyError extends UpstreamCallError {
  constructor(opts: UpstreamErrorOptions) {
    super(opts);
    this.name = 'MsupplyError';
  }
}

export const makeMsupplyError = (opts: UpstreamErrorOptions): UpstreamError => new MsupplyError(opts);

/** The `__typename` of the typed error (or the errors[] code) an Open mSupply call failed with. */
export function msupplyReason(err: unknown): string | undefined {
  return err instanceof UpstreamCallError ? err.reasonCode : undefined;
}

const HINTS: Partial<Record<number, string>> = {
  401: ' (credentials rejected after a fresh login: check msupply.username and msupply.password)',
};

/** A non-GraphQL error answer (a proxy's 502, a 401) → MsupplyError. */
export function decodeMsupplyHttpError(status: number, body: unknown, method: string, path: string): UpstreamError {
  return decodeHttpError(status, body, {
    system: MSUPPLY,
    method,
    path,
    reasonOf: graphqlReason,
    hints: HINTS,
    make: makeMsupplyError,
  });
}

/**
 * errors[] entries whose meaning is not "your input is wrong": "Forbidden" (the user has no right
 * in that store) is the configuration's fault, not the client's; "Unauthenticated" that survived a
 * fresh login means the credentials changed under us. Both become 502 with what to check.
 */
export function refineGraphQLError(err: unknown): unknown {
  if (!(err instanceof UpstreamCallError) || err.transient) return err;
  const words = err.upstreamMessage ?? '';
  if (/^forbidden\b/i.test(words)) {
    return makeMsupplyError({
      system: MSUPPLY,
      transient: false,
      status: 502,
      code: 'forbidden',
      upstreamStatus: err.upstreamStatus,
      reason: { code: err.reasonCode, message: words },
      diagnostics: `${err.issues[0].diagnostics.replace(/^msupply: /, '')} (the Open mSupply user lacks a permission in that store: check its store permissions)`,
    });
  }
  if (/^unauthenticated\b/i.test(words)) {
    return makeMsupplyError({
      system: MSUPPLY,
      transient: true,
      status: 502,
      code: 'login',
      upstreamStatus: err.upstreamStatus,
      reason: { code: err.reasonCode },
      diagnostics: 'the bearer token was refused after a fresh login: check msupply.username and msupply.password',
    });
  }
  return err;
}
