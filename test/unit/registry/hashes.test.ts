/** Hashes stored in crosswalk rows keep their formula: a change would make every stored row look stale. */
import { createHash } from 'node:crypto';
import t from 'tap';
import type { Facility } from '../../../src/domain/facility.js';
import { registrySnapshotHash, toCrosswalkRows } from '../../../src/registry/crosswalk.js';
import { matchFacilities } from '../../../src/registry/match/matcher.js';
import { facilityInputHash } from '../../../src/registry/review.js';

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

const fac = (id: string, name: string, extra: Partial<Facility> = {}): Facility => ({
  id,
  name,
  identifiers: [{ system: 'mfl', value: id }],
  status: 'active',
  kind: 'facility',
  areaPath: ['Yatta', 'Machakos'],
  ...extra,
});

t.test('facility input hash: SHA-256 of the fields the matcher reads, 32 hex', async (t) => {
  const f = fac('12', 'Ndalani Dispensary', { aliases: ['b', 'a'], position: { latitude: -1.2, longitude: 37.4 } });
  const material = JSON.stringify([
    'Ndalani Dispensary',
    ['a', 'b'],
    ['Yatta', 'Machakos'],
    [],
    [-1.2, 37.4],
    ['mfl|12'],
    'active',
  ]);
  t.equal(facilityInputHash(f), sha256(material).slice(0, 32));
});

t.test('registry snapshot hash: SHA-256 over the record hashes in order, 16 hex', async (t) => {
  const registry = [fac('1', 'Ndalani Dispensary'), fac('2', 'Kasikeu Dispensary')];
  t.equal(registrySnapshotHash(registry), sha256(registry.map(facilityInputHash).join('')).slice(0, 16));
  t.not(registrySnapshotHash(registry), registrySnapshotHash([...registry].reverse()), 'order matters');
});

t.test('CLI crosswalk rows carry <record hash>.<snapshot>', async (t) => {
  const left = [fac('L1', 'Ndalani Dispensary')];
  const right = [fac('R1', 'Ndalani Dispensary')];
  const rows = toCrosswalkRows(matchFacilities(left, right), 'emr', left, {
    at: '2026-01-01T00:00:00.000Z',
    registrySnapshot: registrySnapshotHash(right),
  });
  t.equal(rows[0].inputHash, `${facilityInputHash(left[0])}.${registrySnapshotHash(right)}`);
  const custom = toCrosswalkRows(matchFacilities(left, right), 'emr', left, {
    at: '2026-01-01T00:00:00.000Z',
    inputHash: (row, i) => `${row.systemId}#${i}`,
  });
  t.equal(custom[0].inputHash, 'L1#0', 'a caller-supplied hash replaces the default');
});
