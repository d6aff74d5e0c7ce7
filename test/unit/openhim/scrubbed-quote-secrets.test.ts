/**
 * OpenHIM masking scrubs the call's secrets out of each recorded body as text. A secret holding
 * `"` (`a","b`) matched a JSON body across a string's bounds, the end of one value and the start
 * of the next key: the mask took the quotes with it (the body OpenHIM shows no longer JSON) or
 * ran into the mask of the secret's escaped form. In a JSON text the secret is now looked for
 * inside each string, where it stands escaped, and between strings, never across their bounds.
 */
import t from 'tap';
import { maskBodyText, scrubSecretValues } from '../../../src/openhim/masking.js';
import { widenToEscapes } from '../../../src/platform/escape-bounds.js';
import { maskSpans, type Span } from '../../../src/platform/mask-spans.js';
import { MASK } from '../../../src/platform/redaction.js';
import { random } from '../../support/seeded-random.js';

/** The quotes that open or close a JSON string: not escaped (an even run of backslashes before). */
function ownQuotes(text: string): Set<number> {
  const quotes = new Set<number>();
  for (let at = 0; at < text.length; at++) {
    if (text[at] !== '"') continue;
    let run = 0;
    while (text[at - 1 - run] === '\\') run++;
    if (run % 2 === 0) quotes.add(at);
  }
  return quotes;
}

/**
 * The reference: every occurrence of each secret and its JSON-escaped form that holds none of
 * the text's own quotes, widened to whole escapes, masked as their union.
 */
function bruteForce(text: string, secrets: readonly string[]): string {
  const forms = [...new Set(secrets.flatMap((s) => [s, JSON.stringify(s).slice(1, -1)]))];
  const quotes = ownQuotes(text);
  const spans: Span[] = [];
  for (let at = 0; at < text.length; at++) {
    for (const form of forms) {
      if (!text.startsWith(form, at)) continue;
      let crosses = false;
      for (let i = at; i < at + form.length; i++) crosses ||= quotes.has(i);
      if (!crosses) spans.push(widenToEscapes(text, [at, at + form.length]));
    }
  }
  return maskSpans(text, spans, MASK);
}

t.test('a secret holding a quote is not matched across two strings of a JSON body', async (t) => {
  const secret = 'a","b';
  const body = JSON.stringify({ x: 'a', b: 'c', note: `said ${secret} twice` });
  const out = scrubSecretValues(body, [secret]);
  t.same(JSON.parse(out), { x: 'a', b: 'c', note: `said ${MASK} twice` }, 'the keys kept, the value masked');
  const long = JSON.stringify({ pad: 'z'.repeat(600), x: 'a', b: `${secret}` });
  t.same(JSON.parse(scrubSecretValues(long, [secret])), { pad: 'z'.repeat(600), x: 'a', b: MASK }, 'a long body');
  t.same(JSON.parse(maskBodyText(body, 'application/json', [secret])), JSON.parse(out), 'through maskBodyText');
  t.equal(
    scrubSecretValues(`plain ${secret} text`, [secret]),
    `plain ${MASK} text`,
    'text that is not JSON: as before',
  );
});

t.test('random JSON bodies and secrets of a small alphabet: as the reference, JSON, no secret left', async (t) => {
  const alphabet = ['a', 'b', '"', '\\', ',', ':', 'n'];
  const next = random(3);
  const pick = (n: number) => Array.from({ length: n }, () => alphabet[Math.floor(next() * alphabet.length)]).join('');
  let wrong = 0;
  let broken = 0;
  let kept = 0;
  for (let i = 0; i < 4000; i++) {
    const secrets = [pick(4 + Math.floor(next() * 3)), pick(4)];
    const values = Array.from({ length: 1 + Math.floor(next() * 5) }, () =>
      next() < 0.4 ? secrets[0] : pick(Math.floor(next() * 12)),
    );
    const entries = values.map((v, k) => [next() < 0.2 ? secrets[1] : `${k}${pick(2)}`, v]);
    let body = JSON.stringify(Object.fromEntries(entries));
    if (next() < 0.25) body = JSON.stringify({ pad: 'z'.repeat(600), body: JSON.parse(body) as unknown });
    const out = scrubSecretValues(body, secrets);
    if (out !== bruteForce(body, secrets) && ++wrong < 4) {
      t.equal(out, bruteForce(body, secrets), `${JSON.stringify(secrets)} in ${body}`);
    }
    try {
      const parsed: string[] = [];
      JSON.parse(out, (k, v: unknown) => {
        parsed.push(k);
        if (typeof v === 'string') parsed.push(v);
        return v;
      });
      if (parsed.some((s) => secrets.some((secret) => s.includes(secret)))) kept += 1;
    } catch {
      if (++broken < 4) t.fail(`not JSON once scrubbed: ${body} -> ${out}`);
    }
  }
  t.equal(wrong, 0, 'every body scrubbed as the reference does');
  t.equal(broken, 0, 'every scrubbed body parses');
  t.equal(kept, 0, 'no secret left in a string or a key');
});
