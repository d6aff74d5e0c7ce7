import t from 'tap';
import { decodeFacility } from '../../../../src/systems/openlmis/facility/facility-codec.js';
import { createFacilityCapability } from '../../../../src/systems/openlmis/facility/facilities.js';
import { FACILITY_CODE_SYSTEM } from '../../../../src/systems/openlmis/identifiers.js';
import { createReferenceData } from '../../../../src/systems/openlmis/reference-data.js';
import { stableId } from '../../../../sandbox/openlmis/index.js';
import { startClientHarness } from '../../../unit/systems/openlmis/client-harness.js';
import { fixturesPresent, loadSchemas, readExample } from '../../sandbox/openlmis/schemas.js';
import { spyClient, wire } from './spy.js';

/**
 * Contract tier for the facility flow: bodies we send validate against referencedata's own
 * facility.json (with only the documented deviations of test/contract/sandbox/openlmis/schemas.ts: NULLS,
 * DRAFT03_REQUIRED, MISSING_REFS; plus EXTRA_FIELDS below), and the upstream examples decode
 * without losing a field the FHIR Location carries.
 * - EXTRA_FIELDS: facility.json omits `location` and `extraData`, which FacilityDto has (reference §2.2);
 *   the schema has no additionalProperties:false, so they pass as extra fields.
 * - REFERENCES_BY_ID: `type`, `geographicZone` and `operator` are sent as `{id}` references, as the
 *   upstream's verbatim contract-test body does (examples/referencedata/POST-api-facilities.request.json,
 *   reference §2.2). They are checked to be exactly `{id}`, then stand as null for the schema check.
 */
if (!fixturesPresent) {
  t.comment('contract tier skipped: ../shared/fixtures not found');
} else {
  const { validator } = loadSchemas();

  t.test('create and update bodies validate against referencedata facility.json', async (t) => {
    const h = await startClientHarness();
    t.teardown(h.close);
    const { client, sent } = spyClient(h.client);
    const cap = createFacilityCapability(client, createReferenceData(client, 60_000));
    const journal = { idempotencyKey: 'k', run: <T>(_s: string, f: () => Promise<T>) => f() };
    const facility = {
      identifiers: [{ system: FACILITY_CODE_SYSTEM, value: 'MFR-CT-1' }],
      name: 'Contract Clinic',
      status: 'active' as const,
      kind: 'facility' as const,
      types: [{ code: 'health_center' }],
      operator: { code: 'moh' },
      partOf: stableId('zone:LKL-S-CHL'),
      position: { latitude: -15.1, longitude: 35.2 },
      programs: ['EM01'],
    };
    await cap.upsert!(facility, journal);
    await cap.upsert!({ ...facility, status: 'inactive' }, journal);
    const writes = sent
      .filter((r) => r.method === 'POST' || r.method === 'PUT')
      .filter((r) => /^\/api\/facilities(\/[^/]+)?$/.test(r.path));
    t.same(
      writes.map((w) => w.method),
      ['POST', 'PUT'],
    );
    const validate = validator('referencedata', 'facility.json');
    const REFS = ['type', 'geographicZone', 'operator'];
    // checked as {id} on their own, the references stand as null (NULLS) for the schema check
    const withoutRefs = (b: any) =>
      Object.fromEntries(Object.entries(b).map(([k, v]) => [k, REFS.includes(k) ? null : v]));
    const example = readExample('referencedata/POST-api-facilities.request.json');
    t.same(
      [Object.keys(example.type), Object.keys(example.operator)],
      [['id'], ['id']],
      "the upstream's own body references by id",
    );
    for (const w of writes) {
      const body = wire(w.body) as any;
      for (const k of REFS) t.same(Object.keys(body[k]), ['id'], `${w.method} ${k} is an {id} reference`);
      t.ok(validate(withoutRefs(body)), `${w.method} body is a FacilityDto: ${JSON.stringify(validate.errors)}`);
      t.same(
        (wire(w.body) as any).location,
        { type: 'Point', coordinates: [35.2, -15.1] },
        'GeoJSON [longitude, latitude]',
      );
      t.equal((wire(w.body) as any).extraData.isManagedExternally, 'true');
    }
  });

  t.test('example FacilityDto (HC02) decodes without losing a Location field', async (t) => {
    const dto = readExample('referencedata/GET-api-facilities-id.HC02.response.json');
    const f = decodeFacility(dto);
    t.equal(f.id, dto.id);
    t.same(f.identifiers, [{ system: FACILITY_CODE_SYSTEM, value: dto.code }]);
    t.equal(f.name, dto.name);
    t.equal(f.status, 'active');
    t.equal(f.types?.[0].code, dto.type.code);
    t.equal(f.operator?.code, dto.operator.code);
    t.equal(f.partOf, dto.geographicZone.id);
    t.same(f.areaPath, ['Phalombe District', 'Southern Region', 'Malawi']);
    t.same(f.position, { longitude: dto.location.coordinates[0], latitude: dto.location.coordinates[1] });
    t.same(
      f.programs,
      dto.supportedPrograms.filter((p: any) => p.supportActive !== false).map((p: any) => p.code),
    );
  });

  t.test('example pages of basic and minimal facilities decode (nulls and missing fields tolerated)', async (t) => {
    for (const name of ['GET-api-facilities.page.response.json', 'GET-api-facilities-minimal.response.json']) {
      const page = readExample(`referencedata/${name}`);
      const decoded = page.content.map(decodeFacility);
      t.equal(decoded.length, page.content.length, name);
      t.ok(
        decoded.every(
          (f: any, i: number) =>
            f.id === page.content[i].id &&
            f.identifiers[0].value === page.content[i].code &&
            f.name === page.content[i].name,
        ),
        `${name}: id, code, name kept`,
      );
      t.ok(
        decoded.every(
          (f: any, i: number) =>
            f.status === (page.content[i].active === false ? 'suspended' : 'active') ||
            page.content[i].enabled === false,
        ),
        `${name}: status from active/enabled`,
      );
    }
  });
}
