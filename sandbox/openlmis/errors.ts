/**
 * Error bodies as the OpenLMIS services send them (reference §0):
 * - localized message `{messageKey, message}` for service exceptions;
 * - a map field → localized message for requisition field validation (BindingResultException);
 * - Spring's default `{timestamp, status, error, message, path}` for framework-level failures;
 * - Spring Security OAuth2 `{error, error_description}` for token problems.
 */
export interface LocalizedMessage {
  messageKey: string;
  message: string;
}

export class SandboxHttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(
      typeof body === 'object' && body && 'message' in body
        ? String((body as { message: unknown }).message)
        : `HTTP ${statusCode}`,
    );
  }
}

/** `{0}`, `{1}`… placeholders as in the services' messages_en.properties. */
export function formatMessage(template: string, params: unknown[]): string {
  return template.replace(/\{(\d+)\}/g, (_m, i: string) => {
    const v = params[Number(i)];
    if (Array.isArray(v)) return `[${v.join(', ')}]`;
    return v === undefined ? `{${i}}` : String(v);
  });
}

export function localized(messageKey: string, template: string, ...params: unknown[]): LocalizedMessage {
  return { messageKey, message: formatMessage(template, params) };
}

export function badRequest(messageKey: string, template: string, ...params: unknown[]): SandboxHttpError {
  return new SandboxHttpError(400, localized(messageKey, template, ...params));
}

export function notFound(messageKey: string, template: string, ...params: unknown[]): SandboxHttpError {
  return new SandboxHttpError(404, localized(messageKey, template, ...params));
}

export function forbidden(messageKey: string, template: string, ...params: unknown[]): SandboxHttpError {
  return new SandboxHttpError(403, localized(messageKey, template, ...params));
}

export function conflict(messageKey: string, template: string, ...params: unknown[]): SandboxHttpError {
  return new SandboxHttpError(409, localized(messageKey, template, ...params));
}

/** Requisition field validation: `{"requisitionLineItems": {messageKey, message}}` with status 400. */
export function fieldErrors(errors: Record<string, LocalizedMessage>): SandboxHttpError {
  return new SandboxHttpError(400, errors);
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  415: 'Unsupported Media Type',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** Spring Boot's DefaultErrorAttributes body. */
export function springDefaultError(
  status: number,
  path: string,
  message = 'No message available',
): Record<string, unknown> {
  return {
    timestamp: new Date().toISOString(),
    status,
    error: REASONS[status] ?? 'Error',
    message,
    path,
  };
}
