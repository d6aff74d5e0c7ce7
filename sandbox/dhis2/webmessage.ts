/**
 * DHIS2's WebMessage envelope (dhis2-core `dhis-api/.../webmessage/WebMessage.java`,
 * `WebMessageUtils`): every non-data answer and every error. Thrown as SandboxError, answered by
 * the server's error handler.
 */
type Json = Record<string, any>;

const STATUS_WORDS: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function webMessage(code: number, status: 'OK' | 'WARNING' | 'ERROR', message?: string, extra: Json = {}): Json {
  return {
    httpStatus: STATUS_WORDS[code] ?? String(code),
    httpStatusCode: code,
    status,
    ...(message === undefined ? {} : { message }),
    ...extra,
  };
}

export class SandboxError extends Error {
  constructor(
    readonly statusCode: number,
    readonly body: Json,
  ) {
    super(String(body.message ?? body.httpStatus));
  }
}

export const errorMessage = (code: number, message: string, extra: Json = {}) =>
  new SandboxError(code, webMessage(code, 'ERROR', message, extra));
export const notFound = (klass: string, id: string) => errorMessage(404, `${klass} with id ${id} could not be found.`);

export interface ErrorReport {
  message: string;
  mainKlass: string;
  errorCode: string;
  errorProperty?: string;
  errorProperties?: string[];
  value?: string;
}

export function objectReport(klass: string, uid: string, errorReports: ErrorReport[] = []): Json {
  return { responseType: 'ObjectReport', uid, klass, errorReports };
}
