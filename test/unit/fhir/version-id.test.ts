import t from 'tap';
import { withMeta } from '../../../src/fhir/adapters.js';
import { contentVersion } from '../../../src/domain/ids.js';

/** A resource whose nested field counts how often it is read: hashing the content reads it. */
function probedResource() {
  const probe = { reads: 0 };
  const resource = {
    resourceType: 'Location',
    id: 'loc-1',
    meta: { versionId: 'stale', lastUpdated: 'x' },
    name: 'Clinic',
    extension: [
      {
        url: 'https://example.org/probe',
        get valueString() {
          probe.reads++;
          return 'v';
        },
      },
    ],
  };
  return { probe, resource };
}

t.test('versionId is the content hash, computed when first read and then kept', async (t) => {
  const { probe, resource } = probedResource();
  const encoded = withMeta(resource, '2026-01-02T03:04:05Z');
  t.equal(probe.reads, 0, 'encoding alone hashes nothing');
  const { meta: _m, ...content } = resource;
  const expected = contentVersion({ ...content, extension: [{ url: 'https://example.org/probe', valueString: 'v' }] });
  const readsBefore = probe.reads;
  t.equal(encoded.meta.versionId, expected, 'the hash of the content without meta');
  t.equal(probe.reads, readsBefore + 1, 'hashed once on first read');
  t.equal(encoded.meta.versionId, expected);
  JSON.stringify(encoded);
  t.equal(
    probe.reads,
    readsBefore + 2,
    'kept: the second read and the serialization hash nothing (one read is the stringify of the field itself)',
  );
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

t.test('once read, meta is a plain object with the same text (JSON.stringify stays on its fast path)', async (t) => {
  for (const resource of [
    { resourceType: 'Location', id: 'a', meta: {}, name: 'N' }, // meta third: finished in place
    { resourceType: 'Location', name: 'N', id: 'a' }, // rebuilt with meta third
  ]) {
    const encoded = withMeta(resource, '2026-01-02T03:04:05Z');
    const before = encoded.meta;
    t.type(Object.getOwnPropertyDescriptor(before, 'versionId')?.get, 'function', 'lazy until read');
    const textBefore = JSON.stringify(withMeta({ ...resource }, '2026-01-02T03:04:05Z'));
    const version = encoded.meta.versionId;
    const descriptor = Object.getOwnPropertyDescriptor(encoded.meta, 'versionId');
    t.equal(descriptor?.value, version, 'a data property now');
    t.equal(descriptor?.get, undefined);
    t.same(Object.keys(encoded), ['resourceType', 'id', 'meta', 'name'], 'meta stays third');
    t.equal(JSON.stringify(encoded), textBefore, 'the same text as a meta serialized before any read');
    t.equal(before.versionId, version, 'the first meta object still answers');
    before.versionId = 'set-on-old';
    t.equal(encoded.meta.versionId, 'set-on-old', 'a value set through the first object reaches the plain one');
  }
});
