import { Command, Option } from 'commander';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { loadSettings } from '../config/load.js';
import { reconcileDemoAtStart } from './demo-reconcile.js';
import { clearDemoDatabase, DEMO_DATA_DIR, removeDemoMarker, writeDemoMarker } from './demo-data.js';
import { portArgument } from './port-argument.js';
import { serve } from './serve.js';
import { ownSqliteStore } from '../store/sqlite-owner.js';

interface SandboxHandle {
  url: string;
  close(): Promise<void>;
}

/** The demo facility (an OpenLMIS sandbox health centre) and a product the product map knows. */
const DEMO_FACILITY_CODE = 'LK-HC-101';
const DEMO_PRODUCT_GTIN = '10860012300058';

/**
 * The facility's answer to a shipment, as a one-line script the printed commands pipe a delivery
 * through: completed, every shipped quantity accepted (suppliedItem.quantity is what was accepted).
 */
export const ACCEPT_ALL_SHIPPED =
  'const d=JSON.parse(require("fs").readFileSync(0,"utf8"));d.status="completed";' +
  'for(const i of d.suppliedItem)i.quantity=i.extension.find((e)=>e.url.endsWith("/quantity-shipped")).valueQuantity;' +
  'console.log(JSON.stringify(d))';

/** An OpenMRS sandbox location that keeps stock (Mwangaza Health Centre). */
const OPENMRS_DEMO_LOCATION = '0d3c2b1a-1111-4a2b-8c3d-000000000002';
/** An OpenMRS sandbox location that orders from Mwangaza (Kilima Dispensary). */
const OPENMRS_ORDERING_LOCATION = '0d3c2b1a-1111-4a2b-8c3d-000000000004';
/** A DHIS2 sandbox org unit (Kasito Health Centre); the demo names it by its UID, as DHIS2 reads serve it. */
const DHIS2_DEMO_ORG_UNIT_CODE = 'LK-HC-102';

/** Last calendar month (UTC) as a reporting period, and its DHIS2 monthly period id. */
function lastMonth(now: Date): { start: string; end: string; period: string } {
  const first = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
  const last = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 0, 23, 59, 59));
  const period = `${first.getUTCFullYear()}${String(first.getUTCMonth() + 1).padStart(2, '0')}`;
  return { start: first.toISOString().replace('.000', ''), end: last.toISOString().replace('.000', ''), period };
}

/** A month's stock count of the demo product at a facility, as an R5 InventoryReport. */
function demoStockReport(id: string, location: string, month: { start: string; end: string }, count: number) {
  return {
    resourceType: 'InventoryReport',
    identifier: [{ system: 'https://app.example.org/stock-reports', value: id }],
    status: 'active',
    countType: 'snapshot',
    reportedDateTime: month.end,
    reportingPeriod: { start: month.start, end: month.end },
    inventoryListing: [
      {
        location: { reference: `Location/${location}` },
        item: [
          {
            item: { concept: { coding: [{ system: 'https://www.gs1.org/gtin', code: DEMO_PRODUCT_GTIN }] } },
            quantity: {
              value: count,
              system: 'http://fhir-supply-mediator.org/fhir/CodeSystem/quantity-unit',
              code: 'dispensing-unit',
            },
          },
        ],
      },
    ],
  };
}

/** The sandbox upstreams, started on free loopback ports. */
async function startSandboxes() {
  const { startOpenHimSandbox, DEFAULT_OPENHIM_USER } = await import('../../sandbox/openhim/index.js');
  const { startOpenLmisSandbox } = await import('../../sandbox/openlmis/index.js');
  const { startMsupplySandbox } = await import('../../sandbox/msupply/index.js');
  const { startDhis2Sandbox, SEED_API_TOKEN: DHIS2_TOKEN, CONSIGNMENT } = await import('../../sandbox/dhis2/index.js');
  const { startOpenMrsSandbox, ADMIN_PASSWORD: OPENMRS_PASSWORD } = await import('../../sandbox/openmrs/index.js');
  const { startMfrSandbox, DEFAULT_MFR_AUTH } = await import('../../sandbox/mfr/index.js');
  const openhim = await startOpenHimSandbox({ port: 0 });
  // per-run passwords, not the seeds' `password`: a secret that is a word of the mediator's own
  // output is masked wherever that word appears (the console's "password" fields among them)
  const openlmisPassword = `lmis-${randomBytes(6).toString('hex')}`;
  const msupplyPassword = `msup-${randomBytes(6).toString('hex')}`;
  const openlmis = await startOpenLmisSandbox({ port: 0, seed: { mediatorPassword: openlmisPassword } });
  const msupply = await startMsupplySandbox({ port: 0, mediatorPassword: msupplyPassword });
  const dhis2 = await startDhis2Sandbox({ port: 0 });
  const openmrs = await startOpenMrsSandbox({ port: 0 });
  const mfr = await startMfrSandbox({ port: 0 });
  const facilityId = openlmis.state.seedSummary().facilities[DEMO_FACILITY_CODE];
  const dhis2OrgUnit = dhis2.state.summary().orgUnits[DHIS2_DEMO_ORG_UNIT_CODE];
  const list: { name: string; handle: SandboxHandle; note: string }[] = [
    {
      name: 'OpenHIM core API (sandbox)',
      handle: openhim,
      note: `user ${DEFAULT_OPENHIM_USER.email} / ${DEFAULT_OPENHIM_USER.password}`,
    },
    {
      name: 'OpenLMIS v3 (sandbox)',
      handle: openlmis,
      note: `seeded facilities, programs and products; mediator logs in as mediator/${openlmisPassword}`,
    },
    {
      name: 'Open mSupply (sandbox)',
      handle: msupply,
      note: `GraphQL at /graphql; stores WH-CENTRAL, HC-NORTH, HC-SOUTH; mediator/${msupplyPassword}`,
    },
    {
      name: 'DHIS2 2.41 (sandbox)',
      handle: dhis2,
      note: `org units of the same facilities (codes LK-HC-101 …), data set LkStockMnth, consignment program ${CONSIGNMENT.program}; token ${DHIS2_TOKEN.slice(0, 12)}…`,
    },
    {
      name: 'OpenMRS (sandbox)',
      handle: openmrs,
      note: `REST + stock management module; locations with Master Facility Codes; admin/${OPENMRS_PASSWORD}`,
    },
    {
      name: 'Facility registry (mCSD sandbox)',
      handle: { url: mfr.url, close: () => mfr.close() },
      note: `the same facilities (LK-HC-101 …) as Locations; rename/move/close at ${mfr.root}/_sandbox/locations/<code>/…`,
    },
  ];
  return {
    list,
    openhim,
    openlmis,
    openlmisPassword,
    msupply,
    msupplyPassword,
    openmrs,
    openmrsPassword: OPENMRS_PASSWORD,
    facilityId,
    dhis2,
    dhis2Token: DHIS2_TOKEN,
    dhis2OrgUnit,
    dhis2Consignments: CONSIGNMENT,
    mfr,
    mfrToken: DEFAULT_MFR_AUTH.token,
  };
}

export function demoCommand(): Command {
  return new Command('demo')
    .description('Run the mediator on embedded SQLite beside the sandbox upstreams, and print how to try it')
    .addOption(new Option('--port <port>', 'mediator port').env('PORT').default('3000').argParser(portArgument))
    .addOption(
      new Option('--data-dir <dir>', 'directory of the demo SQLite database').env('DATA_DIR').default(DEMO_DATA_DIR),
    )
    .option(
      '--keep-data',
      "keep the previous run's database (by default each run starts empty: the sandboxes start from their seed)",
    )
    .action(async (opts: { port: string; dataDir: string; keepData?: boolean }) => {
      // taken before the fresh start deletes anything: a second demo (or a serve) on this
      // directory is refused, and the database the running one serves stays where it is
      const ownership = ownSqliteStore({ dataDir: opts.dataDir });
      const cleared = opts.keepData ? false : clearDemoDatabase(opts.dataDir);
      const {
        list: sandboxes,
        openhim,
        openlmis,
        openlmisPassword,
        msupply,
        msupplyPassword,
        openmrs,
        openmrsPassword,
        facilityId,
        dhis2,
        dhis2Token,
        dhis2OrgUnit,
        dhis2Consignments: c,
        mfr,
        mfrToken,
      } = await startSandboxes();
      const password = process.env.AUTH_PASSWORD ?? `demo-${randomBytes(6).toString('hex')}`;
      const port = Number(opts.port);
      const settings = loadSettings({
        ...process.env,
        PORT: String(port),
        HOST: '127.0.0.1',
        AUTH_MODE: 'basic',
        AUTH_USERNAME: 'demo',
        AUTH_PASSWORD: password,
        DATA_DIR: opts.dataDir,
        // always the embedded SQLite of --data-dir: a fresh start must not touch a shared database
        DATABASE_URL: '',
        OPENHIM_API_URL: openhim.url,
        OPENHIM_PASSWORD: 'openhim-password',
        OPENLMIS_BASE_URL: openlmis.url,
        OPENLMIS_USERNAME: 'mediator',
        OPENLMIS_PASSWORD: openlmisPassword,
        OPENLMIS_CLIENT_ID: 'user-client',
        OPENLMIS_CLIENT_SECRET: 'changeme',
        MSUPPLY_BASE_URL: msupply.url,
        MSUPPLY_USERNAME: 'mediator',
        MSUPPLY_PASSWORD: msupplyPassword,
        MSUPPLY_SUPPLIER_CODE: 'WH-CENTRAL',
        DHIS2_BASE_URL: dhis2.url,
        DHIS2_API_TOKEN: dhis2Token,
        DHIS2_DATA_SET: 'LkStockMnth',
        // received deliveries at the DHIS2 org units are written as events of the sandbox's
        // consignment program (routing.json's demo rule sends those org units' deliveries to DHIS2)
        DHIS2_CONSIGNMENT_PROGRAM: c.program,
        DHIS2_CONSIGNMENT_STAGE: c.stage,
        DHIS2_CONSIGNMENT_DATA_ELEMENTS: `item=${c.item},quantity=${c.quantity},reference=${c.reference},lot=${c.lot}`,
        OPENMRS_BASE_URL: openmrs.url,
        OPENMRS_USERNAME: 'admin',
        OPENMRS_PASSWORD: openmrsPassword,
        REGISTRY_URL: mfr.url,
        REGISTRY_TOKEN: mfrToken,
        LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
      });
      // the sandboxes close once the mediator has stopped (Ctrl-C): serve's own signal handlers, as
      // the demo's replacing them removed tsx's too, whose loss made tsx SIGKILL the process
      // 30 ms after a Ctrl-C, mid-stop (a job run left "running", the lock files left behind)
      const mediator = await serve(settings, ownership, async () => {
        for (const s of sandboxes) await s.handle.close();
      });
      // the sandboxes are seeded: link their facilities to the registry's, so changes propagate
      const reconciled = await reconcileDemoAtStart(mediator.scheduler);
      const base = `http://127.0.0.1:${port}`;
      writeDemoMarker({
        pid: process.pid,
        dataDir: path.resolve(opts.dataDir),
        url: base,
        startedAt: new Date().toISOString(),
      });
      process.on('exit', () => removeDemoMarker());
      const auth = `-u demo:${password}`;
      const order = JSON.stringify({
        resourceType: 'SupplyRequest',
        status: 'active',
        priority: 'routine',
        identifier: [
          {
            type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'PLAC' }] },
            system: 'https://app.example.org/orders',
            value: 'DEMO-1',
          },
        ],
        category: { coding: [{ system: 'http://fhir-supply-mediator.org/fhir/CodeSystem/program', code: 'EM01' }] },
        itemCodeableConcept: { coding: [{ system: 'https://www.gs1.org/gtin', code: DEMO_PRODUCT_GTIN }] },
        quantity: {
          value: 300,
          system: 'http://fhir-supply-mediator.org/fhir/CodeSystem/quantity-unit',
          code: 'dispensing-unit',
        },
        deliverTo: { reference: `Location/${facilityId}` },
      });
      // the OpenMRS and DHIS2 examples name facilities the demo rules of routing.json send to them
      const openmrsOrder = JSON.stringify({
        ...(JSON.parse(order) as object),
        identifier: [{ ...(JSON.parse(order) as { identifier: object[] }).identifier[0], value: 'DEMO-MRS-1' }],
        category: undefined,
        deliverTo: { reference: `Location/${OPENMRS_ORDERING_LOCATION}` },
        deliverFrom: { reference: `Location/${OPENMRS_DEMO_LOCATION}` },
      });
      const month = lastMonth(new Date());
      const dhis2Report = JSON.stringify(demoStockReport('DEMO-DHIS2-1', dhis2OrgUnit, month, 480));
      console.log(
        [
          '',
          'FHIR supply-chain mediator — demo',
          `  FHIR R4          ${base}/fhir          (metadata: ${base}/fhir/metadata)`,
          `  FHIR R5          ${base}/fhir/R5`,
          `  health / metrics ${base}/health  ${base}/ready  ${base}/metrics`,
          `  credentials      demo / ${password}   (admin API: Bearer ${password})`,
          `  database         SQLite in ${settings['store.dataDir']} (${opts.keepData ? 'kept from the last run' : cleared ? 'emptied for this run' : 'new'}; --keep-data keeps it)`,
          `  operator CLI     npm run cli -- outbox list   (run here, it reads this demo's database)`,
          `  crosswalk        ${reconciled}`,
          ...sandboxes.map((s) => `  ${s.name.padEnd(16)} ${s.handle.url}  (${s.note})`),
          '',
          'Try:',
          `  curl -s ${base}/fhir/metadata | head -c 400`,
          `  curl -s ${auth} ${base}/fhir/SupplyRequest -H 'Content-Type: application/fhir+json' -d '${order}'`,
          `  curl -s ${auth} '${base}/fhir/Location?name=Mberewa'`,
          `  curl -s ${auth} '${base}/fhir/SupplyRequest?identifier=DEMO-1'`,
          `  curl -s -H 'Authorization: Bearer ${password}' ${base}/admin/outbox/jobs`,
          `  curl -s ${auth} ${base}/ready`,
          '',
          'The order becomes a submitted requisition in the OpenLMIS sandbox; posting it again changes nothing.',
          '',
          'Then confirm its delivery (README "Sandboxes"): the depot releases and ships it, the facility confirms.',
          `  curl -s '${openlmis.url}/_sandbox/requisitions?status=SUBMITTED'                  # the requisition id`,
          `  curl -s -X POST ${openlmis.url}/_sandbox/requisitions/<requisition id>/release    # → orderId`,
          `  curl -s -X POST ${openlmis.url}/_sandbox/orders/<order id>/ship                  # → proofOfDeliveryId`,
          `  curl -s ${auth} '${base}/fhir/R5/SupplyDelivery?destination=Location/${facilityId}&status=in-progress'`,
          `  curl -s ${auth} ${base}/fhir/R5/SupplyDelivery/<delivery id> | node -e '${ACCEPT_ALL_SHIPPED}' > delivery.json`,
          `  curl -s ${auth} -X PUT ${base}/fhir/R5/SupplyDelivery/<delivery id> -H 'Content-Type: application/fhir+json' -d @delivery.json`,
          `  curl -s ${openlmis.url}/_sandbox/state                                             # confirmedProofsOfDelivery: 1`,
          '',
          'An order for an Open mSupply store (routing.json sends store-hc-north to Open mSupply) becomes a SENT request requisition:',
          `  curl -s ${auth} ${base}/fhir/SupplyRequest -H 'Content-Type: application/fhir+json' -d '${order.replace('DEMO-1', 'DEMO-MS-1').replace(`Location/${facilityId}`, 'Location/store-hc-north')}'`,
          `  curl -s '${msupply.url}/_sandbox/requisitions?type=REQUEST'                      # status SENT; the warehouse's RESPONSE beside it`,
          '',
          'OpenMRS locations carry their Master Facility Code as identifier, coordinates west and south intact; stock is read per location:',
          `  curl -s ${auth} '${base}/fhir/Location?name=Rio%20Azul'`,
          `  curl -s ${auth} '${base}/fhir/R5/InventoryReport?location=Location/${OPENMRS_DEMO_LOCATION}'`,
          '',
          'An order for an OpenMRS location (routing.json sends the sandbox locations that keep stock to OpenMRS) becomes a submitted requisition stock operation:',
          `  curl -s ${auth} ${base}/fhir/SupplyRequest -H 'Content-Type: application/fhir+json' -d '${openmrsOrder}'`,
          `  curl -s ${new URL('/_sandbox/state', openmrs.url).href}                          # stockOperationsByType.requisition: {"SUBMITTED": 1}`,
          '',
          `A stock count for a DHIS2 org unit (routing.json sends the sandbox's org units to DHIS2) becomes data values of LkStockMnth, period ${month.period}:`,
          `  curl -s ${auth} ${base}/fhir/R5/InventoryReport -H 'Content-Type: application/fhir+json' -d '${dhis2Report}'`,
          `  curl -s ${auth} '${base}/fhir/R5/InventoryReport?location=Location/${dhis2OrgUnit}'`,
          '',
          'A registry change reaches each system linked to the facility (the demo reconciled them at start) at the next propagate run, every 5 minutes, or now:',
          `  curl -s -X POST ${mfr.root}/_sandbox/locations/LK-HC-101/rename -H 'Content-Type: application/json' -d '{"name":"Mberewa Health Centre II"}'`,
          `  curl -s -X POST -H 'Authorization: Bearer ${password}' ${base}/admin/jobs/propagate/run`,
          `  curl -s ${auth} '${base}/fhir/Location?name=Mberewa'                              # renamed in each system`,
          '',
          'Ctrl-C stops everything.',
        ].join('\n'),
      );
    });
}
