import t from 'tap';
import { withMeta } from '../../../src/fhir/adapters.js';
import { contentVersion } from '../../../src/domain/ids.js';

t.test('versionId is the hash of the content without meta, hashed when encoded', async (t) => {
  const resource = {
    resourceType: 'Location',
    id: 'loc-1',
    meta: { versionId: 'stale', lastUpdated: 'x' },
    name: 'Clinic',
    extension: [{ url: 'https://example.org/probe', valueString: 'v' }],
  };
  const { meta: _m, ...content } = resource;
  const expected = contentVersion(content);
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
    /^\{"resourceType":"Location","id":"a","meta":\{"versionId":"[0-9a-f]{16}","lastUpdated":"1970-01-01T00:00:00.000Z"\},"name":"N"\}$/,
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
    t.equal(descriptor?.value, contentVersion({ resourceType: 'Location', id: 'a', name: 'N' }), 'a data member');
    t.same(Object.keys(encoded), ['resourceType', 'id', 'meta', 'name'], 'meta stays third');
    t.same(Object.keys(encoded.meta), ['versionId', 'lastUpdated'], 'as Object.keys and spreads see it');
    t.equal(
      JSON.stringify(encoded),
      `{"resourceType":"Location","id":"a","meta":{"versionId":"${descriptor?.value}","lastUpdated":"2026-01-02T03:04:05Z"},"name":"N"}`,
    );
    t.same(structuredClone(encoded), JSON.parse(JSON.stringify(encoded)), 'a clone keeps versionId');
  }
});
