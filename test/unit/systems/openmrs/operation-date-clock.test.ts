/**
 * OpenMRS's stockmanagement module refuses an operation dated after its clock with no allowance
 * (StockOperationDTOValidator `operationDate.after(new Date())`), answering the message already
 * resolved ("Operation date must not be in the future") at the `operationDate` field, never the
 * key. The mediator refuses before sending only a date surely in the future: a date without a
 * time is today somewhere until it has begun at UTC+14 (OpenMRS reads it as its own midnight),
 * and a time a few minutes ahead is a phone's clock a little fast. OpenMRS's refusal of a date
 * not surely in the future is its clock behind (or the phone's ahead): retried, not refused.
 * Every clock here is given, never the wall clock.
 */
import t from 'tap';
import { invalidSubmission, rejectedValue } from '../../../../sandbox/openmrs/errors.js';
import { decodeOpenMrsError } from '../../../../src/systems/openmrs/errors.js';
import { clockBehind, refuseFutureOrderDate } from '../../../../src/systems/openmrs/operation-date.js';

const PATH = '/openmrs/ws/rest/v1/stockmanagement/stockoperation';
const NOW = Date.parse('2026-12-06T22:00:00Z'); // 01:00 on the 7th in Nairobi (UTC+3)
const asOpenMrsAnswers = (answer: { status: number; body: unknown }) =>
  decodeOpenMrsError(answer.status, answer.body, 'POST', PATH);

t.test('a date without a time is refused only once it is after today everywhere', async (t) => {
  t.doesNotThrow(() => refuseFutureOrderDate('2026-12-07', NOW), 'today in Nairobi, tomorrow in UTC');
  t.throws(() => refuseFutureOrderDate('2026-12-08', NOW), {
    message: /^Order\.authoredOn: 2026-12-08 is in the future/,
  });
});

t.test('a time a few minutes ahead is a clock a little fast, not refused; further ahead it is', async (t) => {
  t.doesNotThrow(() => refuseFutureOrderDate('2026-12-06T22:00:30Z', NOW));
  t.doesNotThrow(() => refuseFutureOrderDate('2026-12-07T01:04:00+03:00', NOW));
  t.throws(() => refuseFutureOrderDate('2026-12-06T22:06:00Z', NOW), { message: /is in the future/ });
  t.throws(() => refuseFutureOrderDate('2027-12-06T22:00:00Z', NOW), { message: /is in the future/ });
});

t.test("OpenMRS's refusal of the date as it answers it: retried when the date is not surely ahead", async (t) => {
  const refusal = asOpenMrsAnswers(rejectedValue('operationDate', 'Operation date must not be in the future'));
  for (const date of ['2026-12-06T21:59:00Z', '2026-12-06T22:00:30Z', '2026-12-07']) {
    const err = clockBehind(refusal, date, NOW);
    t.equal(err?.transient, true, `${date}: retried`);
    t.match(err?.message, /OpenMRS's clock is behind/);
  }
  t.equal(clockBehind(refusal, '2027-01-01T00:00:00Z', NOW), undefined, "surely ahead: the client's error");
  // the same refusal in another locale: told by its field, not its words
  const french = asOpenMrsAnswers(rejectedValue('operationDate', "La date de l'opération ne doit pas être future"));
  t.equal(clockBehind(french, '2026-12-06T21:59:00Z', NOW)?.transient, true);
});

t.test('any other refusal is left as it is', async (t) => {
  const other = asOpenMrsAnswers(invalidSubmission({ sourceUuid: 'Source required' }));
  t.equal(clockBehind(other, '2026-12-06T21:59:00Z', NOW), undefined);
  t.equal(clockBehind(new Error('operationDate: no'), '2026-12-06T21:59:00Z', NOW), undefined);
});
