/**
 * A secret echoed inside a JSON string by another serialiser than JSON.stringify: Go's
 * encoding/json and Gson escape `<>&` (Gson `='` too) as `\u00xx`, .NET's System.Text.Json and
 * Jackson's ESCAPE_NON_ASCII write upper-case hex. Each is masked whole, so an upstream built on
 * one that repeats a password holding `&`, `=` or an accent leaks none of it.
 */
import t from 'tap';
import { MASK, Redactor } from '../../../src/platform/redaction.js';

function redactorOf(...secrets: string[]): Redactor {
  const r = new Redactor();
  for (const secret of secrets) r.learn(secret);
  return r;
}

const HTML = 'Tr0ub&dor=3<x>';
const ACCENTED = 'pässwörd-Zeta9';
const DOTNET = `Key+'q"u&ote`;

for (const [writer, secret, echoed] of [
  ['Gson (HTML-safe, the default)', HTML, 'Tr0ub\\u0026dor\\u003d3\\u003cx\\u003e'],
  ["Go's encoding/json", HTML, 'Tr0ub\\u0026dor=3\\u003cx\\u003e'],
  ['.NET System.Text.Json', HTML, 'Tr0ub\\u0026dor=3\\u003Cx\\u003E'],
  ['.NET System.Text.Json (non-ASCII)', ACCENTED, 'p\\u00E4ssw\\u00F6rd-Zeta9'],
  ['.NET System.Text.Json (quote, plus)', DOTNET, 'Key\\u002B\\u0027q\\u0022u\\u0026ote'],
  ['Jackson ESCAPE_NON_ASCII', ACCENTED, 'p\\u00E4ssw\\u00F6rd-Zeta9'],
] as const) {
  t.test(`a secret as ${writer} writes it is masked whole`, async (t) => {
    const body = `{"error":"bad login for ${echoed}"}`;
    const out = redactorOf(secret).redact(body);
    t.equal(out, `{"error":"bad login for ${MASK}"}`, out);
    t.same(JSON.parse(out), { error: `bad login for ${MASK}` }, 'still JSON');
  });
}
