/**
 * `mappings.dir` is what a running mediator reads (it was read by nothing before): a catalogue in
 * another directory changes the products the OpenLMIS connector maps, and a bad file there stops
 * start-up with the file, the JSON path and the reason before the store is opened.
 */
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { loadSettings } from '../../../src/config/load.js';
import { MappingError, shippedMappingsDir, useMappingsDir } from '../../../src/config/mappings.js';
import { startMediator } from '../../../src/main.js';
import { GTIN_SYSTEM } from '../../../src/systems/openlmis/identifiers.js';
import { ORDER_SYSTEM, gtinOf, orderLine, startRig, transactionOf, why } from '../../support/openlmis-e2e.js';

const shipped = shippedMappingsDir();
/** A GTIN the shipped catalogue does not hold (valid check digit). */
const NEW_GTIN = '10860012399991';

function mappingsCopy(edit: (catalogue: any) => void): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'mappings-dir-'));
  cpSync(shipped, dir, { recursive: true });
  const file = path.join(dir, 'products.json');
  const catalogue = JSON.parse(readFileSync(file, 'utf8'));
  edit(catalogue);
  writeFileSync(file, JSON.stringify(catalogue, null, 2));
  return dir;
}

t.teardown(() => useMappingsDir(shipped)); // start-up made the temp directories the active one

t.test('MAPPINGS_DIR: the OpenLMIS connector maps products from the catalogue there', async (t) => {
  const oldGtin = gtinOf('EM-AMX250');
  const dir = mappingsCopy((c) => {
    c.products.find((p: any) => p.codes.openlmis === 'EM-AMX250').gtin = NEW_GTIN;
  });
  const rig = await startRig({ MAPPINGS_DIR: dir });
  t.teardown(async () => {
    await rig.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const facilityId = rig.lmis.seed.facilities['LK-HC-101'];
  const line = (order: string, gtin: string) => {
    const r = orderLine({ order, facilityId, program: 'EM01', productCode: 'EM-AMX250', qty: 40 });
    r.itemCodeableConcept.coding[0].code = gtin;
    return r;
  };

  const refused = await rig.fhir('POST', '/fhir', transactionOf([line('MAP-DIR-OLD', oldGtin)]));
  t.equal(refused.status, 422, 'the shipped GTIN is no longer mapped');
  t.same(refused.body.issue[0].expression, ['Bundle.entry[0].resource.itemCodeableConcept']);
  t.equal(
    refused.body.issue[0].diagnostics,
    `product ${GTIN_SYSTEM}|${oldGtin} is not in products.json: no row carries that code (add the product, with codes.openlmis)`,
  );

  const created = await rig.fhir('POST', '/fhir', transactionOf([line('MAP-DIR-NEW', NEW_GTIN)]));
  t.equal(created.status, 200, why(created));
  t.equal(created.body.entry[0].response.status.slice(0, 3), '201', 'the GTIN from MAPPINGS_DIR is');
  const orderableId = rig.lmis.seed.orderables['EM-AMX250'];
  const requested = rig.lmis.sb.state
    .requisitionsByStatus()
    .filter((r: any) => r.facilityId === facilityId && r.programId === rig.lmis.seed.programs.EM01)
    .flatMap((r: any) => r.lineItems)
    .find((l: any) => l.orderableId === orderableId && l.requestedQuantity === 40);
  t.ok(requested, 'OpenLMIS got the line for EM-AMX250');

  const read = await rig.fhir(
    'GET',
    `/fhir/SupplyRequest?identifier=${encodeURIComponent(`${ORDER_SYSTEM}|MAP-DIR-NEW`)}`,
  );
  t.equal(read.status, 200, why(read));
  t.same(
    read.body.entry[0].resource.itemCodeableConcept.coding[0],
    { system: GTIN_SYSTEM, code: NEW_GTIN, display: 'Amoxicillin 250mg dispersible tablet' },
    'read back with the GTIN from MAPPINGS_DIR',
  );
});

t.test('a bad file in MAPPINGS_DIR stops start-up with the file, the path and the reason', async (t) => {
  const mappings = mappingsCopy((c) => {
    c.products[3].gtin = '10860012300042'; // the shipped 10860012300041 with a wrong check digit
  });
  const dataDir = mkdtempSync(path.join(tmpdir(), 'mappings-data-'));
  t.teardown(() => {
    rmSync(mappings, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  });
  const settings = loadSettings({
    HOST: '127.0.0.1',
    PORT: '0',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    AUTH_MODE: 'off',
    MAPPINGS_DIR: mappings,
  } as NodeJS.ProcessEnv);
  const err = await startMediator(settings).then(
    async (m) => {
      await m.stop();
      return undefined;
    },
    (e: unknown) => e,
  );
  t.type(err, MappingError, 'start-up refused');
  const e = err as MappingError;
  t.equal(e.file, path.join(mappings, 'products.json'));
  t.equal(e.jsonPath, '/products/3/gtin');
  t.equal(e.reason, '10860012300042 has a wrong check digit');
  t.same(readdirSync(dataDir), [], 'refused before the store was opened (no database file)');
  t.notOk(existsSync(path.join(dataDir, 'mediator.db')));
});
