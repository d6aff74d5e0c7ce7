/**
 * The line of a DHIS2 data value's comment naming the difference reports added to it: a person's
 * note kept, the names bounded, and within DHIS2's 50,000-character comment limit.
 */
import t from 'tap';
import { ADDED_KEPT, addedKey, wasAdded, withAdded } from '../../../../src/systems/dhis2/added-reports.js';

const change = (value: string) => [{ dataElement: 'FP_CNDM_ADJ', categoryOptionCombo: 'HllvX50cXC0', value }];

t.test('a report named once is found, a corrected one is another report', async (t) => {
  const key = addedKey('https://hmis.example.org/stock-reports|ADJ-1', change('-3'));
  t.equal(key, addedKey('https://hmis.example.org/stock-reports|ADJ-1', change('-3')), 'stable');
  t.not(key, addedKey('https://hmis.example.org/stock-reports|ADJ-1', change('-4')), 'other quantities');
  const comment = withAdded(undefined, key);
  t.ok(wasAdded(comment, key));
  t.notOk(wasAdded(comment, addedKey('x|ADJ-2', change('-3'))));
  t.notOk(wasAdded(undefined, key));
});

t.test("a person's note is kept, the names bounded", async (t) => {
  let comment = 'Checked with the facility.\nRecount on Monday.';
  for (let i = 0; i < 40; i++) comment = withAdded(comment, `k${i}`);
  t.match(comment, /^Checked with the facility\.\nRecount on Monday\.\n/);
  t.equal(comment.split('\n').length, 3, 'one line of names');
  t.ok(wasAdded(comment, 'k39'));
  t.notOk(wasAdded(comment, `k${39 - ADDED_KEPT}`), 'the oldest dropped');
  t.ok(wasAdded(comment, `k${40 - ADDED_KEPT}`));
});

t.test("within DHIS2's comment limit", async (t) => {
  let comment = 'n'.repeat(49_900);
  for (let i = 0; i < 30; i++) comment = withAdded(comment, `key${String(i).padStart(7, '0')}`);
  t.ok(comment.length <= 50_000, `${comment.length} characters`);
  t.ok(wasAdded(comment, 'key0000029'), 'the latest still named');
});
