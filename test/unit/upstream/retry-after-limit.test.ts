/**
 * Retry-After is honoured up to a day: a throttling gateway's hours are waited out, but a date
 * years ahead (or a number of seconds past what a Date holds) does not park a job for ever.
 */
import t from 'tap';
import { RETRY_AFTER_LIMIT_MS, retryAfterInstant } from '../../../src/upstream/retry-after.js';

const now = Date.parse('2026-12-05T05:00:00Z');

t.test('seconds and dates within a day are taken as given', async (t) => {
  t.equal(retryAfterInstant('120', now), now + 120_000);
  t.equal(retryAfterInstant(' 7200 ', now), now + 7_200_000);
  t.equal(retryAfterInstant('Sat, 05 Dec 2026 09:00:00 GMT', now), Date.parse('2026-12-05T09:00:00Z'));
  t.equal(retryAfterInstant(['30', '60'], now), now + 30_000, 'the first of repeated headers');
});

t.test('beyond a day, a day', async (t) => {
  t.equal(retryAfterInstant('31536000', now), now + RETRY_AFTER_LIMIT_MS, 'a year of seconds');
  t.equal(retryAfterInstant('Fri, 31 Dec 9999 23:59:59 GMT', now), now + RETRY_AFTER_LIMIT_MS, 'a date far ahead');
  t.equal(retryAfterInstant('9'.repeat(400), now), undefined, 'seconds past any date: unreadable');
});

t.test('unreadable or absent: no instant', async (t) => {
  t.equal(retryAfterInstant(undefined, now), undefined);
  t.equal(retryAfterInstant('', now), undefined);
  t.equal(retryAfterInstant('soon', now), undefined);
  t.equal(retryAfterInstant('-5', now), undefined);
});
