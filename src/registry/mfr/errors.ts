import {
  UpstreamCallError,
  asRecord,
  decodeHttpError,
  textReason,
  type UpstreamErrorOptions,
  type UpstreamReason,
} from '../../upstream/errors.js';

/**
 * The registry's error shape for the shared decoder (upstream/errors.ts): a FHIR server answers
 * errors with an OperationOutcome, whose first issue's code and diagnostics are the reason.
 */
export const REGISTRY = 'registry';

export class RegistryError extends UpstreamCallError {
  constructor(opts: UpstreamErrorOptions) {
    super(opts);
    this.name = 'RegistryError';
  }
}

export const makeRegistryError = (opts: UpstreamErrorOptions) => new RegistryError(opts);

export function operationOutcomeReason(body: unknown): UpstreamReason {
  const b = asRecord(body);
  if (b?.resourceType !== 'OperationOutcome') return textReason(body);
  const issue = asRecord(Array.isArray(b.issue) ? b.issue[0] : undefined);
  const text = asRecord(issue?.details)?.text;
  return {
    code: typeof issue?.code === 'string' ? issue.code : undefined,
    message: typeof issue?.diagnostics === 'string' ? issue.diagnostics : typeof text === 'string' ? text : undefined,
  };
}

const CREDENTIALS = ' (check registry.username and registry.password, or registry.token)';

export function decodeRegistryError(status: number, body: unknown, method: string, path: string) {
  return decodeHttpError(status, body, {
    system: REGISTRY,
    method,
    path,
    reasonOf: operationOutcomeReason,
    hints: { 401: CREDENTIALS, 403: `${CREDENTIALS.slice(0, -1)}: the user may not read Location)` },
    make: makeRegistryError,
  });
}
