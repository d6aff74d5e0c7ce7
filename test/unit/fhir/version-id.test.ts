import t from 'tap';
import { adapters, withMeta } from '../../../src/fhir/adapters.js';
import type { Json } from '../../../src/fhir/codecs/common.js';
import { jsonText } from '../../../src/fhir/json-text.js';
import type { ResourceType } from '../../../src/fhir/routes.js';
import { atVersion, versionOfText } from '../../../src/fhir/version-id.js';
import type { FhirVersion } from '../../../src/fhir/versions.js';
import { contentVersionWithout } from '../../../src/domain/ids.js';
import { inventoryReport, location, supplyDelivery, supplyRequest } from '../../support/samples.js';

t.test('versionId is the hash of the JSON text without meta, hashed when encoded', async (t) => {
  const resource = {
    resourceType: 'Location',
    id: 'loc-1',
    meta: { versionId: 'stale', lastUpdated: 'x' },
    name: 'Clinic',
    extension: [{ url: 'https://example.org/probe', valueString: 'v' }],
  };
  const { meta: _m, ...content } = resource;
  const expected = versionOfText(JSON.stringify(content));
  const encoded = withMeta(resource, '2026-01-02T03:04:05Z');
  t.equal(encoded.meta.versionId, expected, 'the hash of the content without meta');
  t.equal(encoded.meta.lastUpdated, '2026-01-02T03:04:05Z');
  encoded.name = 'Changed after encoding';
  t.equal(encoded.meta.versionId, expected, 'fixed when encoded: encoded resources are not changed afterwards');
});

t.test('serialized like a plain meta: versionId first, then lastUpdated', async (t) => {
  const encoded = withMeta({ resourceType: 'Location', id: 'a', name: 'N' }, undefined);
  const json = JSON.stringify(encoded);
  t.match(
    json,
    /^\{"resourceType":"Location","id":"a","meta":\{"versionId":"[0-9a-f]{20}","lastUpdated":"1970-01-01T00:00:00.000Z"\},"name":"N"\}$/,
  );
  t.same(JSON.parse(json).meta, { versionId: encoded.meta.versionId, lastUpdated: '1970-01-01T00:00:00.000Z' });
  encoded.meta.versionId = 'set-by-caller';
  t.equal(encoded.meta.versionId, 'set-by-caller', 'a value set later wins, as on a plain object');
});

t.test('meta is a plain object with data members, third, and the text it always had', async (t) => {
  for (const resource of [
    { resourceType: 'Location', id: 'a', meta: {}, name: 'N' }, // meta third: finished in place
    { resourceType: 'Location', name: 'N', id: 'a' }, // rebuilt with meta third
  ]) {
    const encoded = withMeta({ ...resource }, '2026-01-02T03:04:05Z');
    const descriptor = Object.getOwnPropertyDescriptor(encoded.meta, 'versionId');
    t.equal(descriptor?.get, undefined, 'no accessor (a getter in a literal costs more than the hash)');
    t.equal(
      descriptor?.value,
      versionOfText(JSON.stringify({ resourceType: 'Location', id: 'a', name: 'N' })),
      'a data member',
    );
    t.same(Object.keys(encoded), ['resourceType', 'id', 'meta', 'name'], 'meta stays third');
    t.same(Object.keys(encoded.meta), ['versionId', 'lastUpdated'], 'as Object.keys and spreads see it');
    t.equal(
      JSON.stringify(encoded),
      `{"resourceType":"Location","id":"a","meta":{"versionId":"${descriptor?.value}","lastUpdated":"2026-01-02T03:04:05Z"},"name":"N"}`,
    );
    t.same(structuredClone(encoded), JSON.parse(JSON.stringify(encoded)), 'a clone keeps versionId');
  }
});

/**
 * Session 39: the versionId is the hash of the answer's own JSON text without meta, and that
 * text (meta put in) is what the answer sends. These check, for every adapter on both bases, that
 * the text registered is JSON.stringify's byte for byte, that one state has one version whatever
 * the order of its domain value's keys (a payload read back from PostgreSQL's jsonb comes in
 * another order than it was written), and that a tag of the earlier form still names unchanged
 * content.
 */
const samples: [ResourceType, FhirVersion, Json][] = [
  [
    'Location',
    'r4',
    { ...location({ code: 'HC9' }), description: 'by the river', partOf: { reference: 'Location/d1' } },
  ],
  ['Location', 'r5', { ...location({ code: 'HC9' }), description: 'by the river' }],
  [
    'SupplyRequest',
    'r4',
    {
      ...supplyRequest({ order: 'ORD-9' }),
      occurrencePeriod: { start: '2026-12-01', end: '2026-12-31' },
      reasonCode: [{ text: 'cholera season' }],
    },
  ],
  ['SupplyRequest', 'r5', { ...supplyRequest({ order: 'ORD-9', r5: true }), occurrenceDateTime: '2026-12-02' }],
  ['SupplyDelivery', 'r4', supplyDelivery({ number: 'POD-9', accepted: 8, rejected: 2, reason: 'damaged' })],
  [
    'InventoryReport',
    'r5',
    { ...inventoryReport({ id: 'cnt-9' }), reportingPeriod: { start: '2026-11-01', end: '2026-11-30' } },
  ],
];

/** The domain value a resource decodes to, as a create builds it, with a time it was last seen. */
function domainValue(type: ResourceType, version: FhirVersion, resource: Json): Record<string, unknown> {
  const value = adapters[type].decode(version, resource, type, 'create').build(undefined);
  return { ...value, lastUpdated: '2026-12-07T10:00:00.000Z' };
}

/** The same value with every object's keys in reverse order, at every depth. */
function reversedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reversedKeys);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).reverse()) out[key] = reversedKeys((value as Record<string, unknown>)[key]);
  return out;
}

t.test('an encoded resource is answered with the text its version was hashed from', async (t) => {
  for (const [type, version, resource] of samples) {
    for (const encoded of adapters[type].encode(version, domainValue(type, version, resource))) {
      t.equal(jsonText(encoded), JSON.stringify(encoded), `${version} ${type}: JSON.stringify's text`);
      t.match(encoded.meta.versionId, /^[0-9a-f]{20}$/, `${version} ${type}: the new form`);
      if (version === 'r4') {
        const { meta: _m, ...content } = encoded;
        t.equal(encoded.meta.versionId, versionOfText(JSON.stringify(content)), `${type}: hashed from that text`);
      }
    }
  }
});

t.test('one state, one version: whatever the order of its keys, encoded again, on either base', async (t) => {
  for (const [type, version, resource] of samples) {
    const value = domainValue(type, version, resource);
    const [first] = adapters[type].encode(version, value);
    const [again] = adapters[type].encode(version, domainValue(type, version, resource));
    t.equal(again.meta.versionId, first.meta.versionId, `${version} ${type}: encoded again`);
    const [reordered] = adapters[type].encode(version, reversedKeys(value));
    t.equal(reordered.meta.versionId, first.meta.versionId, `${version} ${type}: its keys in reverse order`);
    t.equal(jsonText(reordered), jsonText(first), `${version} ${type}: and the same text`);
    // Location and SupplyRequest render one state on both bases (releaseNeutral); a delivery is
    // one resource on R5 and one per line on R4, and an InventoryReport is R5's
    if (type === 'Location' || type === 'SupplyRequest') {
      const [other] = adapters[type].encode(version === 'r4' ? 'r5' : 'r4', value);
      t.equal(other.meta.versionId, first.meta.versionId, `${type}: the same version on the other base`);
    }
  }
});

t.test('a tag of the earlier form names the content it was given for, until that changes', async (t) => {
  for (const [type, version, resource] of samples) {
    const value = domainValue(type, version, resource);
    const [encoded] = adapters[type].encode(version, value);
    // the earlier form: the canonical text's hash, an R5 resource's from its R4 twin
    const [hashed] = type === 'InventoryReport' ? [encoded] : adapters[type].encode('r4', value);
    const earlier = contentVersionWithout(hashed, 'meta');
    t.match(earlier, /^[0-9a-f]{16}$/);
    t.ok(atVersion(encoded, [earlier]), `${version} ${type}: the earlier tag of unchanged content`);
    t.ok(atVersion(encoded, ['0000000000000000', encoded.meta.versionId]), `${version} ${type}: the current tag`);
    t.notOk(atVersion(encoded, ['0000000000000000']), `${version} ${type}: another earlier tag`);
    const [changed] = adapters[type].encode(version, { ...value, lastUpdated: undefined, status: 'entered-in-error' });
    t.not(changed.meta.versionId, encoded.meta.versionId, `${version} ${type}: a change is a new version`);
    t.notOk(atVersion(changed, [earlier]), `${version} ${type}: the earlier tag no longer names it`);
  }
});
