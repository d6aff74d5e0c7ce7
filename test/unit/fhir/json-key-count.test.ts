import t from 'tap';
import { checkJsonShape, countKeysWithin, MAX_OBJECT_KEYS, parseFhirJson } from '../../../src/fhir/json-body.js';

const limits = { maxDepth: 6, maxArrayLength: 5 };

/** A random JSON value: objects, arrays, strings, numbers, booleans and nulls, some past the limits. */
function randomValue(random: () => number, depth: number): unknown {
  const pick = random();
  if (depth > 8 || pick < 0.3) return [1, 'x', true, null, 'a:b'][Math.floor(random() * 5)];
  if (pick < 0.55) return Array.from({ length: Math.floor(random() * 7) }, () => randomValue(random, depth + 1));
  const out: Record<string, unknown> = {};
  const n = random() < 0.01 ? MAX_OBJECT_KEYS + 1 : Math.floor(random() * 5);
  for (let i = 0; i < n; i++) out[`k${i}`] = randomValue(random, depth + 1);
  return out;
}

t.test('the plain count equals the full walk, and gives up exactly where the full walk refuses', async (t) => {
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  let refused = 0;
  let differing = 0;
  for (let i = 0; i < 3000; i++) {
    const value = { resourceType: 'Basic', v: randomValue(random, 1) };
    let full: number;
    try {
      full = checkJsonShape(value, limits);
    } catch {
      full = -1;
      refused++;
    }
    if (countKeysWithin(value, limits.maxDepth, limits) !== full) differing++;
  }
  t.equal(differing, 0, 'no value differs');
  t.ok(refused > 100 && refused < 2900, `both outcomes were exercised (${refused} refused of 3000)`);
});

/** The refusal parseFhirJson throws for this text (undefined when it accepts it). */
function refusal(text: string): unknown {
  try {
    parseFhirJson(text, limits);
  } catch (err) {
    return err;
  }
  return undefined;
}

t.test('a body that takes the plain count is still refused with its path', async (t) => {
  const deep = `{"resourceType":"Basic","a":${'['.repeat(10)}1${']'.repeat(10)}}`;
  t.match(refusal(deep), { status: 400, issues: [{ code: 'too-costly' }] });
  t.same((refusal(deep) as { issues: { expression: string[] }[] }).issues[0].expression, ['Basic.a[0][0][0][0][0]']);
  const long = `{"resourceType":"Basic","a":[1,2,3,4,5,6]}`;
  t.match(refusal(long), { status: 413, issues: [{ code: 'too-costly' }] });
  t.same((refusal(long) as { issues: { expression: string[] }[] }).issues[0].expression, ['Basic.a']);
  const repeated = `{"resourceType":"Basic","a":{"b":1,"b":2}}`;
  t.match(refusal(repeated), {
    status: 400,
    issues: [{ code: 'duplicate', expression: ['Basic.a.b'] }],
  });
  const poison = `{"resourceType":"Basic","a":{"constructor":1}}`;
  t.match(refusal(poison), { status: 400, issues: [{ expression: ['Basic.a.constructor'] }] });
  const colonInValue = `{"resourceType":"Basic","note":"a\\":b","x":"c\\" : d"}`;
  t.same(parseFhirJson(colonInValue, limits), { resourceType: 'Basic', note: 'a":b', x: 'c" : d' }, 'accepted');
});
