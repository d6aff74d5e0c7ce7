/**
 * Every coding of a CodeableConcept is read (issue 16): the first coding with a code is the
 * domain code, the others and then the text its alternatives, so that a system that does not
 * know the first tries the rest; propagation maps a registry type by any of its codings.
 */
import t from 'tap';
import { codeCandidates, codeNames } from '../../../src/domain/identifiers.js';
import { conceptToCode } from '../../../src/fhir/codecs/common.js';
import { decodeLocation } from '../../../src/fhir/codecs/location.js';
import { systemTypes } from '../../../src/registry/propagation/facility-types.js';

t.test('conceptToCode keeps the other codings and the text as alternatives, in order', async (t) => {
  const code = conceptToCode({
    coding: [
      { system: 'urn:a', display: 'no code here' },
      { system: 'urn:a', code: 'A1', display: 'First' },
      { system: 'urn:b', code: 'B2' },
    ],
    text: 'Damaged in transit',
  });
  t.same(code, {
    system: 'urn:a',
    code: 'A1',
    display: 'First',
    alternatives: [
      { system: 'urn:b', code: 'B2' },
      { code: 'Damaged in transit', display: 'Damaged in transit' },
    ],
  });
  t.same(
    codeCandidates(code).map((c) => c.code),
    ['A1', 'B2', 'Damaged in transit'],
  );
  t.same(codeNames(code), ['A1', 'First', 'B2', 'Damaged in transit']);
  t.same(conceptToCode({ coding: [{ system: 'urn:a', code: 'X' }] }), { system: 'urn:a', code: 'X' }, 'one coding');
  t.same(conceptToCode({ text: 'only text' }), { code: 'only text', display: 'only text' });
  t.equal(conceptToCode({ coding: [] }), undefined);
});

t.test('a Location type with several codings keeps them all', async (t) => {
  const f = decodeLocation('r4', {
    resourceType: 'Location',
    name: 'Kibera Health Centre',
    type: [
      {
        coding: [
          { system: 'urn:local', code: 'HC3' },
          { system: 'http://example.org/moh-types', code: 'health_center' },
        ],
      },
    ],
  });
  t.same(
    codeCandidates(f.types?.[0]).map((c) => c.code),
    ['HC3', 'health_center'],
  );
});

t.test('propagation maps a registry type by the first of its codings that has a row', async (t) => {
  const map = {
    types: [
      { registry: { system: 'urn:moh', code: 'HC' }, display: 'Health centre', systems: { openlmis: 'health_center' } },
    ],
  };
  const mapped = systemTypes(
    map,
    [{ system: 'urn:gofr', code: 'facility', alternatives: [{ system: 'urn:moh', code: 'HC' }] }],
    'openlmis',
  );
  t.same(mapped, { codes: [{ code: 'health_center', display: 'Health centre' }], unmapped: [] });
  const none = systemTypes(map, [{ system: 'urn:gofr', code: 'facility' }], 'openlmis');
  t.same(none.unmapped, ['facility'], 'unmapped names the first coding');
});
