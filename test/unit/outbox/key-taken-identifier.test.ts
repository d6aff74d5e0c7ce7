/**
 * The 409 for an identifier used with another payload names the identifier as the client sent it
 * (`system|value`): the outbox's own marks after it, an order's revision and a delivery's draft
 * (`|in-progress`, `|in-progress:2`), are terms the client never saw, and so is the escaping of
 * its parts (domain/business-key.ts). A draft mark was shown.
 */
import t from 'tap';
import { KeyTakenError } from '../../../src/outbox/errors.js';
import { ORDERS } from '../../../src/routing/flows.js';

const APP = 'https://mobile.example.org/deliveries';

t.test('a delivery draft key names the identifier alone', async (t) => {
  for (const mark of ['', '|in-progress', '|in-progress:2', '|in-progress:12']) {
    const err = new KeyTakenError(`delivery|${APP}|DL-1${mark}`, 'job-1', 'delivery');
    t.match(err.message, `Identifier "${APP}|DL-1" was already used`, `mark '${mark}'`);
    t.notMatch(err.message, /in-progress/, `mark '${mark}' not shown`);
  }
});

t.test('an order revision key too', async (t) => {
  const err = new KeyTakenError('order|https://mobile.example.org/orders|ORD-1|rev:3', 'job-1', 'order');
  t.match(err.message, 'Identifier "https://mobile.example.org/orders|ORD-1" was already used');
});

t.test('a value holding | or % reads as the client sent it, not as the key escapes it', async (t) => {
  const order = { orderNumber: { system: 'https://mobile.example.org/orders|ward-3', value: 'ORD|77 %' }, revision: 2 };
  const key = ORDERS.key(order as never)!;
  const err = new KeyTakenError(key, 'job-1', 'order', order);
  t.match(err.message, 'Identifier "https://mobile.example.org/orders|ward-3|ORD|77 %" was already used');
  t.notMatch(err.message, /%7C|%25/, 'no escape shown');
});
