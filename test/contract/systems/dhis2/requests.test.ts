import t, { type Test } from 'tap';
import type { UpstreamRequest } from '../../../../src/upstream/client.js';
import type { Dhis2Client } from '../../../../src/systems/dhis2/client.js';
import { createFacilityCapability, createOrgUnitReader } from '../../../../src/systems/dhis2/facilities.js';
import { decodeImportSummary } from '../../../../src/systems/dhis2/import-summary.js';
import { loadDhis2Products } from '../../../../src/systems/dhis2/products.js';
import { createStockCapability } from '../../../../src/systems/dhis2/stock.js';
import { amnesiacJournal, fixture, fixturesPresent, startHarness } from '../../../unit/systems/dhis2/harness.js';

/**
 * Contract tier for the DHIS2 connector: every body it sends uses only keys the documented
 * payloads in ../shared/fixtures/dhis2 have, with the same JSON types (values as strings, the
 * group key `completeDate` never misspelt), and every fixture answer decodes into what the FHIR
 * side needs (counts, conflicts with their indexes, statuses).
 */
type Json = Record<string, any>;
const kind = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

/** Keys of `sent` the documented payload lacks or types differently (arrays: against the first documented item). */
function undocumented(doc: unknown, sent: unknown, at = '$'): string[] {
  if (kind(doc) !== kind(sent)) return [`${at}: ${kind(sent)}, documented ${kind(doc)}`];
  if (Array.isArray(sent)) return sent.flatMap((s, i) => undocumented((doc as unknown[])[0], s, `${at}[${i}]`));
  if (sent && typeof sent === 'object') {
    return Object.entries(sent as Json).flatMap(([k, v]) =>
      k in (doc as Json)
        ? undocumented((doc as Json)[k], v, `${at}.${k}`)
        : [`${at}.${k}: not in the documented payload`],
    );
  }
  return [];
}

function spy(client: Dhis2Client): { client: Dhis2Client; sent: UpstreamRequest[] } {
  const sent: UpstreamRequest[] = [];
  return {
    sent,
    client: {
      ...client,
      send: (req) => {
        sent.push(req);
        return client.send(req);
      },
      call: (req) => {
        sent.push(req);
        return client.call(req);
      },
    },
  };
}

if (!fixturesPresent) {
  t.comment('contract tier skipped: ../shared/fixtures not found');
} else {
  const check = (t: Test, doc: unknown, sent: unknown, label: string) => t.same(undocumented(doc, sent), [], label);

  t.test('dataValueSets bodies: the documented keys, values as strings', async (t) => {
    const h = await startHarness({}, { 'dhis2.dataSet': 'LkStockMnth' });
    t.teardown(h.close);
    const s = spy(h.client);
    const products = loadDhis2Products({});
    const stock = createStockCapability({
      client: s.client,
      reader: createOrgUnitReader(h.client),
      products: () => products,
    });
    await stock.report(
      {
        status: 'active',
        countType: 'snapshot',
        reportedAt: '2024-02-01T00:00:00Z',
        period: { start: '2024-01-01T00:00:00Z' },
        facility: { identifier: { system: 'http://dhis2.org/identifiertypes#code', value: 'LK-HC-101' } },
        lines: [
          {
            product: { system: 'https://www.gs1.org/gtin', code: '10860012300034' },
            quantity: { value: 12, unit: 'dispensing-unit' },
          },
        ],
      },
      amnesiacJournal(),
    );
    const posts = s.sent.filter((r) => r.method === 'POST' && r.path === '/api/dataValueSets');
    t.equal(posts.length, 1);
    const body = posts[0].body as Json;
    const documented = {
      ...fixture('datavaluesets/request-single-dataset.json'),
      completeDate: '2019-06-05',
      attributeOptionCombo: 'HllvX50cXC0',
    };
    check(
      t,
      documented,
      body,
      'the single data set form (dhis2-core e2e dataValues_single_dataset.json + docs data.md)',
    );
    t.notOk('completedDate' in body, 'the misspelt group key of the e2e file is never sent');
    t.ok(
      body.dataValues.every((v: Json) => typeof v.value === 'string'),
      'values as strings (2.43 reads them as JSON strings)',
    );
    t.same(
      posts[0].query,
      { dataElementIdScheme: 'CODE', orgUnitIdScheme: 'CODE', importStrategy: 'CREATE_AND_UPDATE' },
      'documented query parameters (docs data.md)',
    );
  });

  t.test('organisation unit bodies: the keys and types of a real org unit', async (t) => {
    const h = await startHarness();
    t.teardown(h.close);
    const s = spy(h.client);
    const caps = createFacilityCapability(s.client, createOrgUnitReader(h.client), { today: () => '2024-05-01' });
    const ids = h.sandbox.state.summary().orgUnits;
    await caps.upsert!(
      {
        id: 'mfr-1',
        identifiers: [{ system: 'urn:mfr', value: 'MFR-1' }],
        name: 'New Post',
        status: 'inactive',
        kind: 'facility',
        partOf: ids['LKL-N-TSG'],
        position: { latitude: -11.2, longitude: 33.9 },
      },
      amnesiacJournal(),
    );
    const posted = s.sent.find((r) => r.method === 'POST')!;
    check(t, fixture('orgunits/orgunit-single.json'), posted.body, 'POST /api/organisationUnits');
    // the sandbox stores timestamps; the fixture's dates are timestamps too
    t.match(posted.body, {
      openingDate: '2024-05-01',
      closedDate: '2024-05-01',
      geometry: { type: 'Point', coordinates: [33.9, -11.2] },
    });
  });

  t.test('fixture answers decode: counts, statuses, conflicts with their indexes', async (t) => {
    t.same(decodeImportSummary(fixture('datavaluesets/response-success-200.json')), {
      status: 'SUCCESS',
      imported: 0,
      updated: 3,
      ignored: 0,
      deleted: 0,
      accepted: 3,
      conflicts: [],
      rejectedIndexes: [],
      description: 'Import process completed successfully',
    });
    const legacy = decodeImportSummary(fixture('datavaluesets/response-warning-409-legacy.json'))!;
    t.match(legacy, { status: 'WARNING', accepted: 0, ignored: 1 });
    t.same(legacy.conflicts, [
      {
        object: '40L',
        objects: undefined,
        message: 'Data value is not a positive integer, must match data element type: vANAXwtLwcT',
        errorCode: undefined,
        property: undefined,
        indexes: undefined,
      },
    ]);
    const conflict = fixture('datavaluesets/import-conflict-v2.38plus.json');
    const modern = decodeImportSummary({
      response: {
        responseType: 'ImportSummary',
        status: 'WARNING',
        importCount: { imported: 5, updated: 0, ignored: 2, deleted: 0 },
        conflicts: [conflict],
        rejectedIndexes: [2, 7],
      },
    })!;
    t.same(modern.conflicts[0], {
      object: 'UOlfIjgN8X6',
      objects: { dataElement: 'UOlfIjgN8X6', value: 'value_not_numeric' },
      message: conflict.value,
      errorCode: 'E7619',
      property: 'value',
      indexes: [2, 7],
    });
    t.same([modern.accepted, modern.rejectedIndexes], [5, [2, 7]]);
    t.equal(
      decodeImportSummary(fixture('datavaluesets/response-async-job-started.json')),
      undefined,
      'a job answer is not an import summary',
    );
  });
}
