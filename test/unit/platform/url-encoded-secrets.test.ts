/**
 * A secret carried in a URL that is itself carried in another URL (a login page's redirect
 * `?from=…` repeating the refused request), a Basic header or a JSON login body percent-encoded
 * into one: the redactor masks these forms too, so a redirect, a page or an error message that
 * repeats them leaks nothing (found by test/e2e/secrets-echo: Open mSupply's login body in a
 * redirect reached an OperationOutcome and the log).
 */
import t from 'tap';
import { loadSettings } from '../../../src/config/load.js';
import { MASK, Redactor } from '../../../src/platform/redaction.js';

// its Basic pair's base64 holds `+` and `/`, which percent-encoding changes
const PASSWORD = 'cnryKKdhis2 pw"&+/%?>????';

function redactor(): Redactor {
  const r = new Redactor();
  r.learnSettings(
    loadSettings({ AUTH_MODE: 'off', DHIS2_USERNAME: 'mediator', DHIS2_PASSWORD: PASSWORD } as NodeJS.ProcessEnv),
  );
  return r;
}

const basic = Buffer.from(`mediator:${PASSWORD}`).toString('base64');

t.test('a Basic header percent-encoded into a URL is masked', async (t) => {
  t.match(basic, /\+/, 'the base64 holds +');
  t.match(basic, /\//, 'and /');
  const r = redactor();
  for (const text of [
    `/login?said=Basic%20${encodeURIComponent(basic)}%3B`,
    `/login?said=Basic%20${encodeURIComponent(basic).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase())}`,
    `/login?${new URLSearchParams({ said: `Basic ${basic}` }).toString()}`,
  ]) {
    const out = r.redact(text);
    t.notMatch(out, encodeURIComponent(basic.replace(/=+$/, '')), `masked: ${out}`);
    t.match(out, MASK);
  }
});

t.test('a password percent-encoded twice (a URL inside a URL) is masked', async (t) => {
  const r = redactor();
  const inner = `/api/login?password=${encodeURIComponent(PASSWORD)}`;
  const out = r.redact(`/login?from=${encodeURIComponent(inner)}`);
  t.notMatch(out, encodeURIComponent(encodeURIComponent(PASSWORD)), out);
  t.match(out, `from=%2Fapi%2Flogin%3Fpassword%3D${MASK}`, 'the rest of the URL kept');
});

t.test('a JSON login body percent-encoded into a URL is masked', async (t) => {
  const r = redactor();
  const body = JSON.stringify({ variables: { username: 'mediator', password: PASSWORD } });
  const out = r.redact(`/login?from=%2Fgraphql&body=${encodeURIComponent(body)}`);
  t.notMatch(out, encodeURIComponent(JSON.stringify(PASSWORD).slice(1, -1)), out);
  t.match(out, MASK);
});

// a `\ud800` escape in a JSON settings file gives a lone surrogate, which encodeURIComponent
// refuses: learning such a secret must not throw (the settings would fail to load), and its
// form-encoded text (U+FFFD, as URL encoders write it) is masked
t.test('a secret holding a lone surrogate is learnt and masked', async (t) => {
  const secret = 'pw-\ud800-lonely-42';
  const r = new Redactor();
  t.equal(r.learn(secret), true, 'learnt');
  const encoded = encodeURIComponent(secret.replace(/[\ud800-\udfff]/gu, '\ufffd'));
  t.equal(r.redact(`said ${encoded} once`).includes(encoded), false, 'its percent-encoded form masked');
  t.equal(r.redact(`said ${secret} once`).includes(secret), false, 'the secret masked');
});

// a secret with characters a URL parser and encodeURI leave as they are (& = + ; / ?) and ones
// they encode (space, quote, < >, non-ASCII): neither encoding is encodeURIComponent's
const PARTLY = `Pa ss"w<rd>'é&=+;/?x`;

t.test('a secret concatenated into a URL and normalised by a URL parser is masked', async (t) => {
  const r = new Redactor();
  r.learn(PARTLY);
  // a redirect Location built by concatenation, then parsed (WHATWG URL, as fetch and undici do)
  const location = new URL(`https://login.example/sso?from=${PARTLY}`).href;
  t.notOk(location.includes(encodeURIComponent(PARTLY)), 'not the component encoding');
  const out = r.redact(`redirected to ${location}`);
  t.equal(out, `redirected to https://login.example/sso?from=${MASK}`);
});

t.test('a secret encoded with encodeURI (only some characters) is masked', async (t) => {
  const r = new Redactor();
  r.learn(PARTLY);
  for (const encoded of [encodeURI(PARTLY), encodeURI(PARTLY).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase())]) {
    t.equal(r.redact(`/next?u=${encoded}#top`), `/next?u=${MASK}#top`, encoded);
  }
});

const UNICODE = 'Sécret-pässwörd/01';

t.test('a JSON body escaped to ASCII (\\uXXXX), then percent-encoded into a URL, is masked', async (t) => {
  const r = new Redactor();
  r.learn(UNICODE);
  // Python's json.dumps (ensure_ascii) and PHP's json_encode (also `/` as `\/`)
  const python = JSON.stringify({ password: UNICODE }).replace(
    /[\u0080-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  const php = python.replace(/\//g, '\\/');
  for (const body of [python, php]) {
    t.notOk(r.redact(body).includes('cret'), `raw: ${r.redact(body)}`);
    for (const encoded of [encodeURIComponent(body), new URLSearchParams({ b: body }).toString().slice(2)]) {
      const out = r.redact(`/login?body=${encoded}`);
      t.notOk(out.includes('cret'), out);
      t.match(out, MASK);
    }
    const parsed = new URL(`https://x.example/login?body=${body}`).href;
    t.notOk(r.redact(parsed).includes('cret'), `normalised by a URL parser: ${r.redact(parsed)}`);
  }
});
