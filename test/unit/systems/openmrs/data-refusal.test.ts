/**
 * A 500 from OpenMRS whose cause is the database refusing the data (a Hibernate DataException,
 * SQLState class 22: a text longer than its column on MySQL strict mode, a number out of range)
 * fails the same way on every retry and kept nothing: a permanent 422 naming the column, not a
 * transient 502 retried until it is given up. Any other 500 (a deadlock, a bug) stays transient.
 * The error bodies are the sandbox's, shaped as the REST module answers (BaseRestController).
 */
import t from 'tap';
import { dataTooLong, restError } from '../../../../sandbox/openmrs/errors.js';
import { dataRefusal, decodeOpenMrsError } from '../../../../src/systems/openmrs/errors.js';

const PATH = '/openmrs/ws/rest/v1/stockmanagement/stockoperation';

t.test('a value too long for its column: refused for good, the column named', async (t) => {
  const answer = dataTooLong('external_reference');
  const err = decodeOpenMrsError(answer.status, answer.body, 'POST', PATH);
  t.equal(err.transient, false, 'not retried');
  t.equal(err.status, 422);
  t.match(err.message, /OpenMRS's database refused the data \(Data too long for column 'external_reference'\)/);
  t.match(err.message, /nothing was kept/);
});

t.test('an integer out of range, an incorrect value: named without the value sent', async (t) => {
  const outOfRange = restError(
    500,
    'could not execute statement; SQL [n/a]; nested exception is org.hibernate.exception.DataException: could not execute statement',
    'org.hibernate.exception.internal.SQLStateConversionDelegate:123',
    "com.mysql.cj.jdbc.exceptions.MysqlDataTruncation: Data truncation: Out of range value for column 'quantity' at row 1",
  );
  t.equal(dataRefusal(outOfRange.status, outOfRange.body), "Out of range value for column 'quantity'");
  const incorrect = restError(
    500,
    'could not execute statement; nested exception is org.hibernate.exception.DataException: could not execute statement',
    'org.hibernate.exception.internal.SQLStateConversionDelegate:123',
    "java.sql.SQLException: Incorrect datetime value: '2026-13-45 10:00:00' for column 'operation_date' at row 1",
  );
  t.equal(
    dataRefusal(incorrect.status, incorrect.body),
    "Incorrect datetime value for column 'operation_date'",
    'the value itself is left out',
  );
});

t.test('other 500s stay transient: a deadlock, an unexplained failure', async (t) => {
  const deadlock = restError(
    500,
    'could not execute statement; nested exception is org.hibernate.exception.LockAcquisitionException: could not execute statement',
    'org.hibernate.exception.internal.SQLStateConversionDelegate:123',
    'com.mysql.cj.jdbc.exceptions.MySQLTransactionRollbackException: Deadlock found when trying to get lock; try restarting transaction',
  );
  const bug = restError(500, 'java.lang.NullPointerException', 'org.openmrs.module.stockmanagement:42');
  for (const answer of [deadlock, bug]) {
    t.equal(dataRefusal(answer.status, answer.body), undefined);
    const err = decodeOpenMrsError(answer.status, answer.body, 'POST', PATH);
    t.equal(err.transient, true, `retried: ${err.message}`);
    t.equal(err.status, 502);
  }
});
