/**
 * Error answers as OpenMRS gives them: the REST module's `{error: {message, code, detail}}` for
 * exceptions, `{error: {message: "Invalid Submission", code, globalErrors, fieldErrors}}` for
 * validation failures (webservices.rest RestUtil.wrapErrorResponse / ValidationException), and the
 * servlet container's HTML page for filter refusals (Session timed out, bad Basic header).
 */
export class SandboxError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly contentType = 'application/json',
  ) {
    super(typeof body === 'string' ? body : JSON.stringify(body));
  }
}

export function restError(
  status: number,
  message: string,
  code = 'org.openmrs.module.webservices.rest.web.RestUtil:0',
  detail = '',
): SandboxError {
  return new SandboxError(status, { error: { message: `[${message}]`, code, detail } });
}

export function invalidSubmission(fieldErrors: Record<string, string>, globalErrors: string[] = []): SandboxError {
  return new SandboxError(400, {
    error: {
      message: 'Invalid Submission',
      code: 'webservices.rest.error.invalid.submission',
      globalErrors: globalErrors.map((m) => ({ code: m, message: m })),
      fieldErrors: Object.fromEntries(
        Object.entries(fieldErrors).map(([f, m]) => [f, [{ code: `error.${f}`, message: m }]]),
      ),
    },
  });
}

/**
 * A validator that passes its message already resolved as the error code
 * (`errors.rejectValue(field, messageSourceService.getMessage(key))`, as the stockmanagement
 * module's do): RestUtil.wrapValidationErrorResponse answers that text as both code and message,
 * never the key.
 */
export function rejectedValue(field: string, text: string): SandboxError {
  return new SandboxError(400, {
    error: {
      message: 'Invalid Submission',
      code: 'webservices.rest.error.invalid.submission',
      globalErrors: [],
      fieldErrors: { [field]: [{ code: text, message: text }] },
    },
  });
}

export function containerError(status: number, message: string): SandboxError {
  const title = `HTTP Status ${status} – ${message}`;
  return new SandboxError(
    status,
    `<!doctype html><html lang="en"><head><title>${title}</title></head><body><h1>${title}</h1><p><b>Message</b> ${message}</p></body></html>`,
    'text/html;charset=utf-8',
  );
}

export const notFound = () =>
  restError(
    404,
    "Object with given uuid doesn't exist",
    'org.openmrs.module.webservices.rest.web.resource.impl.BaseDelegatingResource:*',
  );

export function notLoggedIn(privilege: string): SandboxError {
  return restError(
    401,
    `User is not logged in [Privileges required: ${privilege}]`,
    'org.openmrs.api.context.Context:*',
  );
}

export function forbidden(privilege: string): SandboxError {
  return restError(403, `Privileges required: ${privilege}`, 'org.openmrs.api.context.Context:*');
}

/**
 * A text longer than its column, on MySQL in strict mode (OpenMRS's default): the insert fails at
 * the flush and the REST module answers the Hibernate exception as a 500 (BaseRestController
 * handleException: no status of its own), the transaction rolled back. The stock management
 * module checks no lengths (stockmgmt_stock_operation: external_reference VARCHAR(50), remarks
 * VARCHAR(255), openmrs-module-stockmanagement liquibase.xml).
 */
export function dataTooLong(column: string): SandboxError {
  return restError(
    500,
    'could not execute statement; SQL [n/a]; nested exception is org.hibernate.exception.DataException: could not execute statement',
    'org.hibernate.exception.internal.SQLStateConversionDelegate:123',
    `com.mysql.cj.jdbc.exceptions.MysqlDataTruncation: Data truncation: Data too long for column '${column}' at row 1`,
  );
}

/** A gateway's login form, answered 200 in place of the call (see OpenMrsStore.expiredSessionAnswer). */
export function loginPage(): SandboxError {
  return new SandboxError(
    200,
    '<!doctype html><html><head><title>Sign in</title></head><body><form method="post" action="/login"><input name="username"><input name="password" type="password"></form></body></html>',
    'text/html;charset=utf-8',
  );
}

/**
 * A gateway's JSON page answered 200 in place of the call ("maintenance"), served to a session it
 * no longer knows until the cookie expires (see OpenMrsStore.expiredSessionAnswer). No `uuid`,
 * `results` or `authenticated`: no answer of OpenMRS's.
 */
export function jsonPage(): SandboxError {
  return new SandboxError(
    200,
    { message: 'Service under maintenance, please sign in again later', ref: 'gw-7f3a' },
    'application/json;charset=utf-8',
  );
}

/**
 * A 500 as the REST module of today answers an exception from the database: RestUtil
 * wrapErrorResponse joins the cause chain into `message` (" => "), leaves `detail` empty unless the
 * stack trace global property is on, and adds `rawMessage` (the top exception's) and
 * `translatedMessage`. `top` is Spring's translation of the Hibernate exception, `jdbc` the
 * driver's sentence (MySQL Connector/J, OpenMRS's default database).
 */
export function databaseError(top: string, jdbc: string): SandboxError {
  const message = `${top} => could not execute statement => ${jdbc}`;
  return new SandboxError(500, {
    error: {
      message: `[${message}]`,
      code: 'org.springframework.orm.hibernate5.SessionFactoryUtils:*',
      detail: '',
      rawMessage: top,
      translatedMessage: top,
    },
  });
}

const constraintViolation = (constraint: string, jdbc: string) =>
  databaseError(
    `could not execute statement; SQL [n/a]; constraint [${constraint}]; nested exception is org.hibernate.exception.ConstraintViolationException: could not execute statement`,
    jdbc,
  );

/** SQLState 23000, MySQL 1048: a NOT NULL column left empty (a check the module does not make). */
export const columnCannotBeNull = (column: string) => constraintViolation('null', `Column '${column}' cannot be null`);

/** SQLState 23000, MySQL 1452: a reference to a row that is not there (or went away meanwhile). */
export const foreignKeyFails = (table: string, constraint: string, column: string, parent: string) =>
  constraintViolation(
    constraint,
    `Cannot add or update a child row: a foreign key constraint fails (\`openmrs\`.\`${table}\`, CONSTRAINT \`${constraint}\` FOREIGN KEY (\`${column}\`) REFERENCES \`${parent}\` (\`${parent}_id\`))`,
  );

/** SQLState 23000, MySQL 3819: a CHECK constraint (MySQL 8.0.16+). */
export const checkViolated = (constraint: string) =>
  constraintViolation(constraint, `Check constraint '${constraint}' is violated.`);

/**
 * SQLState 23000, MySQL 1062: a unique key already held. MySQL 8 names the key `table.index` and
 * quotes the values of the entry (the module's batch key: item id, batch number, expiry).
 */
export const duplicateEntry = (entry: string, key: string) =>
  constraintViolation(key.split('.').pop()!, `Duplicate entry '${entry}' for key '${key}'`);

/** SQLState 40001, MySQL 1213: a deadlock; MySQL rolled the transaction back and the same write may pass next time. */
export const deadlock = () =>
  databaseError(
    'could not execute statement; SQL [n/a]; nested exception is org.hibernate.exception.LockAcquisitionException: could not execute statement',
    'Deadlock found when trying to get lock; try restarting transaction',
  );
