/**
 * Past the table's cap the redactor and OpenHIM masking read a text with the sparse automaton;
 * under it, with the table. Both must mask alike, whatever the text (escapes, backslash runs,
 * overlapping and nested forms). Reviewer RD's differential fuzz: the same random secrets and
 * texts (a small alphabet, so forms overlap and nest, and texts of 512 characters and more, so
 * the automaton is used) masked once with the table and once with the table refused (the sparse
 * automaton then), and against a plain search of every form at every place for where masks go.
 */
import t from 'tap';
import { scrubSecretValues } from '../../../src/openhim/masking.js';
import { FormAutomaton } from '../../../src/platform/form-automaton.js';
import { MASK, Redactor } from '../../../src/platform/redaction.js';
import { random } from '../../support/seeded-random.js';

/** What `run` returns while FormAutomaton.of refuses every table (as past the cap). */
function pastTheCap<T>(run: () => T): T {
  const of = FormAutomaton.of;
  FormAutomaton.of = () => undefined;
  try {
    return run();
  } finally {
    FormAutomaton.of = of;
  }
}

t.test('the sparse automaton masks as the table does, redactor and OpenHIM scrub', async (t) => {
  const next = random(3303);
  const alphabet = ['a', 'b', '0', '\\', '"', 'n', 'u', '%', '2'];
  const pick = (n: number) => Array.from({ length: n }, () => alphabet[Math.floor(next() * alphabet.length)]).join('');
  const differences: string[] = [];
  let masked = 0;
  for (let i = 0; i < 300; i++) {
    const secrets = Array.from({ length: 1 + Math.floor(next() * 3) }, () => pick(4 + Math.floor(next() * 4)));
    let raw = '';
    while (raw.length < 520 + Math.floor(next() * 400))
      raw += next() < 0.3 ? secrets[Math.floor(next() * secrets.length)] : pick(1 + Math.floor(next() * 6));
    for (const text of [raw, JSON.stringify({ raw })]) {
      const table = new Redactor();
      const sparse = new Redactor();
      for (const s of secrets) {
        table.learn(s);
        sparse.learn(s);
      }
      const expected = table.redact(text);
      const got = pastTheCap(() => sparse.redact(text));
      if (got !== expected) differences.push(`redact ${JSON.stringify(secrets)}: ${text}`);
      // a different list each time: masking keeps its automaton per list of secrets
      const scrubbed = scrubSecretValues(text, [...secrets, `table-${i}`]);
      if (pastTheCap(() => scrubSecretValues(text, [...secrets, `sparse-${i}`])) !== scrubbed)
        differences.push(`scrub ${JSON.stringify(secrets)}: ${text}`);
      if (expected.includes(MASK)) masked += 1;
      // where masks go: no form of a secret is left in the masked text (a mask has no form's character)
      const left = table.knownForms().find((f) => !f.includes('*') && expected.includes(f));
      if (left !== undefined) differences.push(`form ${JSON.stringify(left)} left: ${text} -> ${expected}`);
    }
  }
  t.same(differences.slice(0, 3), [], `${differences.length} differences`);
  t.ok(masked > 400, `texts masked: ${masked} of 600`);
});
