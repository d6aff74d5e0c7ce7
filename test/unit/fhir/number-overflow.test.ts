/**
 * A JSON number past the double range (1e400) parses as Infinity, which JSON cannot write back: a
 * decimal such as Location.position.altitude would reach the upstream as null. The edge said such
 * a body was valid ($validate 200). It is now a 400 at the element, on both bases.
 */
import t from 'tap';
import { validateResource } from '../../../src/fhir/validation/index.js';
import { parseFhirJson } from '../../../src/fhir/json-body.js';
import { location } from '../../support/samples.js';

for (const version of ['r4', 'r5'] as const) {
  t.test(`${version}: a number that overflows to infinity is refused at the element`, async (t) => {
    const text = JSON.stringify({ ...location(), position: { latitude: 1, longitude: 2, altitude: 7 } }).replace(
      '"altitude":7',
      '"altitude":-1e400',
    );
    const body = parseFhirJson(text, { maxDepth: 48, maxArrayLength: 10000 });
    const issues = validateResource(version, body, 'Location');
    t.same(
      issues.map((i) => i.expression),
      [['Location.position.altitude']],
      JSON.stringify(issues),
    );
    t.match(issues[0]?.diagnostics, /Location\.position\.altitude is beyond the range of a number/);
  });
}

t.test('an infinite latitude is reported once, by its range check', async (t) => {
  const text = JSON.stringify({ ...location(), position: { latitude: 7, longitude: 2 } }).replace(
    '"latitude":7',
    '"latitude":1e400',
  );
  const issues = validateResource('r4', parseFhirJson(text, { maxDepth: 48, maxArrayLength: 10000 }), 'Location');
  t.same(
    issues.map((i) => i.expression),
    [['Location.position.latitude']],
    JSON.stringify(issues),
  );
});
