/**
 * Two secrets whose forms overlap in a text (the end of one is the start of the other, or one
 * form sits across another's end) are masked as the union of every match: a left-to-right
 * alternation masks the first and resumes after it, leaving the rest of the second in clear.
 */
import t from 'tap';
import { scrubSecretValues } from '../../../src/openhim/masking.js';
import { MASK } from '../../../src/platform/redaction.js';
import { FIRST, redactorOf, SECOND } from '../../support/overlapping-secrets.js';

t.test('a secret starting inside another is masked to its end', async (t) => {
  const r = redactorOf(FIRST, SECOND);
  const out = r.redact(`said alpha-Pass-shared9-omega-Word here`);
  t.equal(out, `said ${MASK} here`);
  t.notMatch(out, 'omega', 'no piece of the second in clear');
});

t.test('either order of learning, and the second first in the text', async (t) => {
  const r = redactorOf(SECOND, FIRST);
  t.equal(r.redact('x alpha-Pass-shared9-omega-Word y'), `x ${MASK} y`);
  // a short form inside a long one that a third secret extends past
  const inner = redactorOf('Pass-shared9-omega', 'omega-Word-tail', FIRST);
  const out = inner.redact('alpha-Pass-shared9-omega-Word-tail!');
  t.equal(out, `${MASK}!`);
});

t.test('overlapping forms of different encodings', async (t) => {
  // the percent-encoded form of one and the raw form of the other share `shared`
  const one = 'key one/shared';
  const two = 'shared-rest-2';
  const r = redactorOf(one, two);
  const out = r.redact(`q=${encodeURIComponent(one)}-rest-2&z`);
  t.equal(out, `q=${MASK}&z`);
});

t.test('texts without overlap are masked as before: one mask per occurrence', async (t) => {
  const r = redactorOf(FIRST, SECOND);
  t.equal(r.redact(`${FIRST}${SECOND}`), `${MASK}${MASK}`, 'adjacent, not overlapping: two masks');
  t.equal(r.redact(`${FIRST} and ${SECOND}`), `${MASK} and ${MASK}`);
  t.equal(r.redact('nothing here'), 'nothing here');
});

t.test('OpenHIM masking scrubs overlapping secrets as their union too', async (t) => {
  const text = `said alpha-Pass-shared9-omega-Word here`;
  for (const secrets of [
    [FIRST, SECOND],
    [SECOND, FIRST],
  ]) {
    const out = scrubSecretValues(text, secrets);
    t.equal(out, `said ${MASK} here`, secrets.join(' then '));
  }
  const long = `${'x'.repeat(600)} alpha-Pass-shared9-omega-Word`;
  t.equal(scrubSecretValues(long, [FIRST, SECOND]), `${'x'.repeat(600)} ${MASK}`, 'a long text (the finder path)');
  t.equal(scrubSecretValues(`${FIRST}${SECOND}`, [FIRST, SECOND]), `${MASK}${MASK}`, 'adjacent: two masks');
});
