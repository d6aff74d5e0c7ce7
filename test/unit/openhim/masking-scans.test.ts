// The recorded bodies' cheap scans (secret values in one pass, escapes by literal search) mask as before.
import t from 'tap';
import { MASK, maskBodyText, scrubSecretValues } from '../../../src/openhim/masking.js';

const SECRETS = ['bench-secret-Lm1', 'changeme', '6f1c0a3e-2b7d-4c1e-9a55-0d3b2f4e8a71'];
const filler = (length: number) => '{"orderCode":"ORDER-1","facility":"HC01"},'.repeat(length).slice(0, length);

t.test('a secret anywhere in a long body is masked: first, last and every place between', async (t) => {
  const body = filler(600);
  let wrong = 0;
  for (const secret of SECRETS) {
    for (let at = 0; at <= body.length; at += 7) {
      const text = body.slice(0, at) + secret + body.slice(at);
      if (scrubSecretValues(text, SECRETS) !== body.slice(0, at) + MASK + body.slice(at)) wrong++;
    }
    if (scrubSecretValues(`${body}${secret}`, SECRETS) !== `${body}${MASK}`) wrong++;
    if (scrubSecretValues(`${secret}${body}`, SECRETS) !== `${MASK}${body}`) wrong++;
  }
  t.equal(wrong, 0);
  t.equal(scrubSecretValues(body, SECRETS), body, 'a body holding none: unchanged');
});

t.test('bodies either side of the length a single scan starts at mask alike', async (t) => {
  for (const length of [500, 511, 512, 513, 2048]) {
    const body = filler(length - SECRETS[1].length);
    t.equal(scrubSecretValues(`${body}${SECRETS[1]}`, SECRETS), `${body}${MASK}`, `${length} characters`);
  }
});

t.test('short secrets stay unmasked, and lists of secrets past those remembered still mask', async (t) => {
  const body = filler(1000);
  t.equal(scrubSecretValues(`${body} abc`, ['abc']), `${body} abc`, 'a 3-character secret is not masked');
  t.equal(scrubSecretValues(`${body} abc`, ['abc', 'changeme']), `${body} abc`);
  for (let i = 0; i < 20; i++) {
    const token = `token-${i}-0123456789`;
    t.equal(scrubSecretValues(`${body}${token}`, [...SECRETS, token]), `${body}${MASK}`, `list ${i}`);
  }
  t.equal(scrubSecretValues(`${body}${SECRETS[0]}`, SECRETS), `${body}${MASK}`, 'the first list again');
});

// one after another left the end of the second in clear (`${MASK}gh`): masked as their union
t.test('secrets overlapping each other are masked as one, whatever the order listed', async (t) => {
  const body = filler(700);
  t.equal(scrubSecretValues(`${body}abcdefgh`, ['abcdef', 'cdefgh']), `${body}${MASK}`);
  t.equal(scrubSecretValues(`${body}abcdefgh`, ['cdefgh', 'abcdef']), `${body}${MASK}`);
});

t.test('a body naming a credential only through an escape still takes the masking path', async (t) => {
  const long = 'ORDER-1 at HC01; '.repeat(120);
  t.equal(
    maskBodyText(`{"a":"${long}","\\u0074oken":"t1"}`, 'application/json'),
    `{"a":"${long}","token":"${MASK}"}`,
    'a \\u escape',
  );
  t.equal(
    maskBodyText(`a=${'x'.repeat(2000)}&%74oken=t2`, 'application/x-www-form-urlencoded'),
    `a=${'x'.repeat(2000)}&%74oken=${MASK}`,
    'a %XX escape',
  );
  t.equal(
    maskBodyText(`a=${'x'.repeat(2000)}&%74OKEN=t3&pct=100%`, 'application/x-www-form-urlencoded'),
    `a=${'x'.repeat(2000)}&%74OKEN=${MASK}&pct=100%`,
    'a %XX escape after a bare %',
  );
  const flags = `{"skipAuthorization":false,"note":"100% \\"done\\"","a":"${long}"}`;
  t.equal(maskBodyText(flags, 'application/json', SECRETS), flags, 'a bare % and quote escapes keep the fast path');
});

// found by review RC: lists keyed by their secrets joined with NUL made ['a\u0000b'] and ['a', 'b'] one
// key, so the second list's scan reused the first's finder and `a` was left in the body
t.test('two secret lists that join to the same text each find their own secrets', async (t) => {
  const body = filler(600);
  const joined = ['abcd-secret-1\u0000efgh-secret-2'];
  const apart = ['abcd-secret-1', 'efgh-secret-2'];
  t.equal(scrubSecretValues(`${body}abcd-secret-1`, joined), `${body}abcd-secret-1`, 'not a secret of the first list');
  t.equal(scrubSecretValues(`${body}abcd-secret-1`, apart), `${body}${MASK}`, 'a secret of the second list, masked');
});
