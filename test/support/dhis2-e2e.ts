/**
 * The end-to-end rig for flows routed to DHIS2: the DHIS2 sandbox beside the OpenLMIS rig
 * (openlmis-e2e.ts, with OpenLMIS switched off), the real mediator signed in with DHIS2's personal
 * access token, and a copy of the mappings whose routing.json is the one given.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { RTS, SEED_API_TOKEN, startDhis2Sandbox } from '../../sandbox/dhis2/index.js';
import type { Dhis2SandboxOptions } from '../../sandbox/dhis2/server.js';
import type { FaultAction } from '../../sandbox/openlmis/faults.js';
import type { Test } from 'tap';
import { startRig, type Rig } from './openlmis-e2e.js';
import type { EngineCase } from './outbox-engines.js';
import type { OutboxJob } from '../../src/store/types.js';
import type { StartOptions } from '../../src/main.js';
import { until } from './net.js';

const root = path.resolve(import.meta.dirname, '../..');

export interface Dhis2Rig extends Rig {
  dhis2: Awaited<ReturnType<typeof startDhis2Sandbox>>;
}

export async function startDhis2Rig(
  flows: Record<string, unknown>,
  env: Record<string, string> = {},
  start: StartOptions = {},
  sandbox: Dhis2SandboxOptions = {},
): Promise<Dhis2Rig> {
  const dhis2 = await startDhis2Sandbox(sandbox);
  const mappings = mkdtempSync(path.join(tmpdir(), 'dhis2-e2e-'));
  cpSync(path.join(root, 'fhir-mappings'), mappings, { recursive: true });
  writeFileSync(path.join(mappings, 'routing.json'), JSON.stringify({ flows }));
  const rig = await startRig(
    {
      MAPPINGS_DIR: mappings,
      OPENLMIS_BASE_URL: '',
      DHIS2_BASE_URL: dhis2.url,
      DHIS2_API_TOKEN: SEED_API_TOKEN,
      DHIS2_DATA_SET: 'LkStockMnth',
      ...env,
    },
    start,
  );
  return {
    ...rig,
    dhis2,
    async close() {
      await rig.close();
      await dhis2.close();
      rmSync(mappings, { recursive: true, force: true });
    },
  };
}

/** startDhis2Rig on a fresh database of `engine`, closed and dropped at the test's end. */
export async function startDhis2RigOn(
  t: { teardown(fn: () => unknown): void },
  engine: EngineCase,
  flows: Record<string, unknown>,
  env: Record<string, string> = {},
  start: StartOptions = {},
  sandbox: Dhis2SandboxOptions = {},
): Promise<Dhis2Rig> {
  const db = await engine.freshDatabase({ migrated: true });
  const rig = await startDhis2Rig(flows, { ...env, DATABASE_URL: db.databaseUrl }, start, sandbox);
  t.teardown(async () => {
    await rig.close();
    await db.drop();
  });
  return rig;
}

/** The routing of stock reports and facilities to DHIS2. */
export const STOCK_TO_DHIS2 = { stock: { default: 'dhis2' }, facilities: { default: 'dhis2' } };

/** The settings that send stock as RTS tracker events (no aggregate data set). */
export const RTS_STOCK_ENV = { DHIS2_DATA_SET: '', DHIS2_RTS_PROGRAM: RTS.program, DHIS2_STOCK_TARGET: 'rts' };

/**
 * After an operator's retry of an RTS count refused earlier: DHIS2 was asked once more (`before`:
 * its tracker POSTs and events when the retry began) and holds one more event, with the count `value`.
 */
export function rtsCountWrittenOnce(
  t: Test,
  sb: Dhis2Rig['dhis2'],
  before: { posts: number; events: number },
  value: string,
): void {
  t.equal(sb.state.count('POST', '/api/tracker'), before.posts + 1, 'DHIS2 asked once more');
  t.equal(sb.tracker.events.size, before.events + 1, 'one event, written once');
  t.ok(
    [...sb.tracker.events.values()].some((e) =>
      e.dataValues.some((d) => d.dataElement === RTS.stockCount && d.value === value),
    ),
    `the count of ${value}`,
  );
}

/** The mediator's id of the facility with this code, found through its FHIR API. */
export async function locationIdOf(rig: Rig, code: string): Promise<string> {
  const found = await rig.fhir('GET', `/fhir/Location?identifier=${code}`);
  return found.body.entry[0].resource.id;
}

/** The registry's identifier system the facility tests write Locations under. */
export const MFR = 'https://mfr.example.org/facility';

/** An active Location with its registry code, a child of `partOf` (a `Location/<id>` reference). */
export function mfrLocation(code: string, name: string, partOf: string): any {
  return {
    resourceType: 'Location',
    identifier: [{ system: MFR, value: code }],
    status: 'active',
    name,
    partOf: { reference: partOf },
  };
}

/** The facility write job of the Location named `name`. */
export async function facilityJobOf(rig: Dhis2Rig, name: string): Promise<OutboxJob> {
  const jobs = await rig.mediator.store.listJobs({ flow: 'facility' });
  return jobs.find((j) => (j.payload as { name?: string }).name === name)!;
}

/** The id of a region (a top-level Location) the sandbox seeds: a parent for new districts. */
export async function aRegion(rig: Rig): Promise<string> {
  const found = await rig.fhir('GET', '/fhir/Location?_count=1');
  return found.body.entry[0].resource.id;
}

/** The id a create's answer gives the Location (its Location header), 201 or 202 alike. */
export function createdId(answer: { headers: Headers }): string {
  const at = answer.headers.get('location') ?? '';
  return /\/Location\/([^/]+)/.exec(at)![1];
}

/** The sandbox's org unit named `name`, if DHIS2 holds one. */
export function orgUnitNamed(rig: Dhis2Rig, name: string): any {
  return [...rig.dhis2.state.orgUnits.values()].find((o: any) => o.name === name);
}

/**
 * A facility waiting for its district (routing/linked-parent.ts): DHIS2 takes `delayMs` to create
 * the district, posted under a region, and the facility is posted under it meanwhile, so it looks
 * for its parent every 3 + 2 s until the district is written. Answers the district's request
 * (still running) and the facility's job.
 */
export async function facilityWaitingForDistrict(
  t: Test,
  rig: Dhis2Rig,
  district: { code: string; name: string },
  facility: { code: string; name: string },
  delayMs: number,
) {
  const region = await aRegion(rig);
  rig.dhis2.faults.add({
    method: 'POST',
    path: '/api/organisationUnits',
    times: 1,
    action: { type: 'delay', ms: delayMs },
  });
  const districtAnswer = rig.fhir(
    'POST',
    '/fhir/Location',
    mfrLocation(district.code, district.name, `Location/${region}`),
  );
  const parent = await until('the district is under way', async () => {
    const job = await facilityJobOf(rig, district.name);
    return job?.status === 'in-flight' ? job : undefined;
  });
  const districtId = (parent.payload as { id: string }).id;
  const child = await rig.fhir(
    'POST',
    '/fhir/Location',
    mfrLocation(facility.code, facility.name, `Location/${districtId}`),
  );
  t.equal(child.status, 202, `the facility waits for the district: ${JSON.stringify(child.body).slice(0, 300)}`);
  return { district: districtAnswer, waiting: await facilityJobOf(rig, facility.name) };
}

/** A refusal of DHIS2's org unit creates: `times` (every create when absent), a 503 unless `action` says. */
export interface CreateFailure {
  times?: number;
  action?: FaultAction;
}

/**
 * A district posted under a region while DHIS2 fails its creates as `failures` say, in order (one
 * outage of 503s left in place by default): the client is answered 202, the district queued.
 * Answers the region, the fault rules added (`outage` the first), the answer and the district's job.
 */
export async function districtAfterFailures(
  t: Test,
  rig: Dhis2Rig,
  code: string,
  name: string,
  failures: CreateFailure[] = [{}],
) {
  const region = await aRegion(rig);
  const rules = failures.map((f) =>
    rig.dhis2.faults.add({
      method: 'POST',
      path: '/api/organisationUnits',
      times: f.times,
      action: f.action ?? { type: 'status', status: 503 },
    }),
  );
  const district = await rig.fhir('POST', '/fhir/Location', mfrLocation(code, name, `Location/${region}`));
  t.equal(district.status, 202, `DHIS2 failing: ${name} is queued`);
  return { region, outage: rules[0], rules, district, job: await facilityJobOf(rig, name) };
}

/**
 * DHIS2 refuses every org unit create (503, left in place: `outage`), and a district posted under a
 * region is queued and given up (the rig's OUTBOX_MAX_ATTEMPTS): the parent a facility then waits for.
 */
export async function districtGivenUp(t: Test, rig: Dhis2Rig, code: string, name: string) {
  const { region, outage, district } = await districtAfterFailures(t, rig, code, name);
  const job = await until('the district is given up', async () => {
    const found = await facilityJobOf(rig, name);
    return found.status === 'dead' ? found : undefined;
  });
  return { region, outage, district, job };
}
