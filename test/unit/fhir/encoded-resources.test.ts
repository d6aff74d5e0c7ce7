/**
 * EncodedResources (issue 18): a search match whose domain value is equal in content to the one
 * last encoded under its key gets those resources again; any change is encoded afresh. Every
 * answer is checked against a fresh encoding, and the shared resources cannot be changed in place.
 */
import t from 'tap';
import { adapters } from '../../../src/fhir/adapters.js';
import { EncodedResources } from '../../../src/fhir/encoded-resources.js';
import { versionOfText } from '../../../src/fhir/version-id.js';
import type { Facility } from '../../../src/domain/index.js';

const facility = (): Facility => ({
  id: 'f1',
  identifiers: [{ system: 'urn:code', value: 'F1' }],
  name: 'Mji Mpya',
  status: 'active',
  kind: 'facility',
  types: [{ system: 'urn:type', code: 'hc', display: 'Health centre' }],
  position: { latitude: -15.05, longitude: 35.3 },
  programs: ['EM01'],
  lastUpdated: '2026-12-03T07:00:00.000Z',
});

function counted() {
  let encodes = 0;
  const encode = (f: Facility) => () => {
    encodes++;
    return adapters.Location.encode('r4', f);
  };
  return { encode, count: () => encodes };
}

t.test('an equal value reuses its resources; every change is encoded again', async (t) => {
  const memo = new EncodedResources();
  const { encode, count } = counted();
  const first = memo.encode('r4|Location|f1', facility(), encode(facility()));
  const { meta: _meta, ...content } = first[0];
  t.equal(first[0].meta.versionId, versionOfText(JSON.stringify(content)), 'versionId is the hash of the content');
  const again = memo.encode('r4|Location|f1', { ...facility(), description: undefined }, encode(facility()));
  t.equal(again, first, 'another object with the same content: the same resources');
  t.equal(count(), 1, 'encoded once');

  const changes: [string, (f: Facility) => void][] = [
    ['a rename', (f) => (f.name = 'Mji Mpya Clinic')],
    ['a nested value', (f) => (f.position!.latitude = -15.06)],
    ['a new sighting time', (f) => (f.lastUpdated = '2026-12-03T08:00:00.000Z')],
    ['a program more', (f) => f.programs!.push('FP01')],
    ['a member added', (f) => (f.description = 'by the river')],
  ];
  for (const [what, change] of changes) {
    const value = facility();
    change(value);
    const before = count();
    const got = memo.encode('r4|Location|f1', value, encode(value));
    t.equal(count(), before + 1, `${what}: encoded again`);
    t.same(got, adapters.Location.encode('r4', value), `${what}: what a fresh encoding gives`);
    t.equal(got[0].meta.versionId, adapters.Location.encode('r4', value)[0].meta.versionId, `${what}: its ETag`);
  }
});

t.test('keys keep versions apart, and the oldest keys are dropped past the limit', async (t) => {
  const memo = new EncodedResources(2);
  const r4 = memo.encode('r4|Location|f1', facility(), () => adapters.Location.encode('r4', facility()));
  const r5 = memo.encode('r5|Location|f1', facility(), () => adapters.Location.encode('r5', facility()));
  t.ok(r4[0].physicalType && !r4[0].form, 'R4 encoding under the R4 key');
  t.ok(r5[0].form && !r5[0].physicalType, 'R5 encoding under the R5 key');
  memo.encode('r4|Location|f2', { ...facility(), id: 'f2' }, () => adapters.Location.encode('r4', facility()));
  t.equal(memo.size, 2, 'at most the limit');
  let encoded = false;
  memo.encode('r4|Location|f1', facility(), () => {
    encoded = true;
    return adapters.Location.encode('r4', facility());
  });
  t.ok(encoded, 'the key dropped first was the one encoded longest ago');
});

t.test('shared resources are frozen: changing one in place fails instead of changing the next answer', async (t) => {
  const memo = new EncodedResources();
  const [resource] = memo.encode('r4|Location|f1', facility(), () => adapters.Location.encode('r4', facility()));
  t.throws(() => {
    resource.name = 'changed';
  }, TypeError);
  t.throws(() => {
    resource.identifier[0].value = 'X';
  }, TypeError);
  t.equal(resource.meta.versionId.length, 20, 'the versionId hashed when encoded is there when frozen');
  t.equal(JSON.parse(JSON.stringify(resource)).meta.versionId, resource.meta.versionId, 'and is serialized as read');
});
