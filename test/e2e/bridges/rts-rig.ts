/**
 * The rig of the RTS → Open mSupply bridge end to end: the DHIS2 sandbox (its requisition event
 * program) and the Open mSupply sandbox with two supplying stores: the Northern Regional Medical
 * Store (store code = its DHIS2 org unit code, LK-WH-301) supplies Mberewa district, the central
 * warehouse (msupply.supplierCode) every other facility; each facility is a customer of its own
 * supplying store only, under its org unit code, and Mberewa District Hospital (LK-DH-201) is
 * itself an Open mSupply store. Per mediator instance: the real connectors, a store and an outbox
 * with the bridge's delivery handlers, as `serve` builds them.
 */
import {
  CONSIGNMENT,
  RTS,
  SEED_API_TOKEN,
  REQUISITION,
  REQUISITION_DATA_ELEMENTS,
  seedUid,
} from '../../../sandbox/dhis2/index.js';
import { startDhis2Sandbox, type Dhis2Sandbox } from '../../../sandbox/dhis2/index.js';
import { startMsupplySandbox, type MsupplySandbox } from '../../../sandbox/msupply/index.js';
import { rtsToMsupplyJob, type RtsBridgeDeps } from '../../../src/bridges/rts-to-msupply.js';
import type { ScheduledJob } from '../../../src/jobs/scheduler.js';
import { Outbox } from '../../../src/outbox/outbox.js';
import type { SupplyingStores } from '../../../src/bridges/rts-supplier.js';
import type { Store } from '../../../src/store/types.js';
import { openStore } from '../../../src/store/index.js';
import { createDhis2Connector } from '../../../src/systems/dhis2/index.js';
import { createMsupplyConnector } from '../../../src/systems/msupply/index.js';
import type { EngineCase } from '../../support/outbox-engines.js';

export const WAREHOUSE = 'store-wh-central';
/** The regional store: its code is its DHIS2 org unit code (mSupply's Dhis2Code convention). */
export const REGIONAL = 'store-lk-wh-301';
/** The district hospital that runs Open mSupply itself: a store, supplied by the regional store. */
export const HOSPITAL_STORE = 'store-lk-dh-201';
/** Five open facilities of the DHIS2 sandbox, by org unit code. */
export const FACILITIES = ['LK-HC-101', 'LK-HC-102', 'LK-HC-103', 'LK-HC-104', 'LK-DH-201'];
/** Each facility's supplying store: Mberewa district (LKL-N-MBR) from the regional store, the rest from the warehouse. */
export const SUPPLIER_OF: Record<string, string> = {
  'LK-HC-101': REGIONAL,
  'LK-HC-102': REGIONAL,
  'LK-DH-201': REGIONAL,
  'LK-HC-103': WAREHOUSE,
  'LK-HC-104': WAREHOUSE,
};
/** routing.json `supplyingStores` of the rig: one rule by district code, the default msupply.supplierCode. */
export const SUPPLYING_STORES: SupplyingStores = {
  rules: [{ name: 'Mberewa district: Northern RMS', when: { area: ['LKL-N-MBR'] }, store: 'LK-WH-301' }],
};
/** Products both catalogues carry (products.json codes.dhis2 and codes.msupply), with their pack sizes. */
export const PRODUCTS: [dhis2: string, msupply: string, packSize: number][] = [
  ['EM_AMX250', 'AMX250T', 100],
  ['EM_PCM500', 'PCM500T', 1000],
  ['EM_ORS', 'ORS205S', 50],
  ['EM_ZNC20', 'ZNC20T', 100],
  ['EM_CTX480', 'CTX480T', 1000],
];

export interface RtsSandboxes {
  dhis2: Dhis2Sandbox;
  ms: MsupplySandbox;
  settings: Record<string, string>;
  close(): Promise<void>;
}

/** `version`: the DHIS2 version the sandbox answers as (2.41+ pages tracker exports with `pager`, older with `instances`). */
export async function startRtsSandboxes(version?: string, timeZone?: string): Promise<RtsSandboxes> {
  const dhis2 = await startDhis2Sandbox({ ...(version ? { version } : {}), ...(timeZone ? { timeZone } : {}) });
  const ms = await startMsupplySandbox();
  // (through the sandbox's control API, as the demo would set the stores up)
  const control = async (path: string, body: unknown) => {
    const res = await fetch(`${ms.url}${path}`, { method: 'POST', body: JSON.stringify(body) });
    if (res.status !== 201) throw new Error(`the mSupply sandbox refused ${path}: ${await res.text()}`);
  };
  const nameOf = (code: string) => [...dhis2.state.orgUnits.values()].find((o) => o.code === code)!.name;
  await control('/_sandbox/stores', { code: 'LK-WH-301', name: nameOf('LK-WH-301'), users: ['mediator'], packs: 500 });
  await control('/_sandbox/stores', {
    code: 'LK-DH-201',
    name: nameOf('LK-DH-201'),
    supplierStoreId: REGIONAL,
    users: ['mediator'],
  });
  // mSupply knows a DHIS2 facility as a customer whose name code is the org unit code (Dhis2Code),
  // in its own supplying store only: a requisition sent to another store would be refused there
  for (const code of FACILITIES.filter((c) => c !== 'LK-DH-201'))
    await control(`/_sandbox/stores/${SUPPLIER_OF[code]}/customers`, { code, name: nameOf(code) });
  return {
    dhis2,
    ms,
    settings: {
      'dhis2.baseUrl': dhis2.url,
      'dhis2.apiToken': SEED_API_TOKEN,
      'dhis2.requisitionProgram': REQUISITION.program,
      'dhis2.requisitionStage': REQUISITION.stage,
      'dhis2.requisitionDataElements': REQUISITION_DATA_ELEMENTS,
      'dhis2.rtsProgram': RTS.program,
      'dhis2.consignmentProgram': CONSIGNMENT.program,
      'dhis2.consignmentStage': CONSIGNMENT.stage,
      'dhis2.consignmentDataElements': `item=${CONSIGNMENT.item},quantity=${CONSIGNMENT.quantity},reference=${CONSIGNMENT.reference},lot=${CONSIGNMENT.lot}`,
      'msupply.baseUrl': ms.url,
      'msupply.username': 'mediator',
      'msupply.password': 'password',
      'msupply.supplierCode': 'WH-CENTRAL',
    },
    async close() {
      await dhis2.close();
      await ms.close();
    },
  };
}

export interface Requisition {
  event: string;
  facility: string;
  /** Units per product DHIS2 code. */
  lines: Record<string, number>;
}

/**
 * `n` requisitions raised and completed in DHIS2 as RTS posts them (`POST /api/tracker`, the
 * facility user's own call, not the mediator's): requisition i at facility i mod 5, two products
 * in whole packs.
 */
export async function raiseRequisitions(dhis2: Dhis2Sandbox, n: number, tag = 'r'): Promise<Requisition[]> {
  const made: Requisition[] = [];
  for (let i = 0; i < n; i++) {
    const facility = FACILITIES[i % FACILITIES.length];
    const [a, b] = [PRODUCTS[i % PRODUCTS.length], PRODUCTS[(i + 2) % PRODUCTS.length]];
    made.push({
      event: seedUid(`rts-requisition:${tag}:${i}`),
      facility,
      lines: { [a[0]]: a[2] * (1 + (i % 3)), [b[0]]: b[2] },
    });
  }
  await postRequisitions(dhis2, made);
  return made;
}

const ADMIN = `Basic ${Buffer.from('admin:district').toString('base64')}`;

/** Events posted as a DHIS2 user of the facility would (the RTS app's own call, not the mediator's). */
export async function postEvents(dhis2: Dhis2Sandbox, events: unknown[]): Promise<void> {
  const res = await fetch(`${dhis2.url}/api/tracker?async=false`, {
    method: 'POST',
    headers: { authorization: ADMIN, 'content-type': 'application/json' },
    body: JSON.stringify({ events }),
  });
  if (res.status !== 200) throw new Error(`DHIS2 refused the events: ${res.status} ${await res.text()}`);
}

export const orgUnitOf = (dhis2: Dhis2Sandbox, code: string) =>
  [...dhis2.state.orgUnits.values()].find((o) => o.code === code)!.id;

/**
 * The facility scans a consignment into RTS and completes it: its events COMPLETED, with the
 * units that arrived (`received` per item code; by default what was shipped).
 */
export async function completeConsignment(
  dhis2: Dhis2Sandbox,
  reference: string,
  received: Record<string, number> = {},
): Promise<void> {
  const events = [...dhis2.tracker.events.values()]
    .filter(
      (e) =>
        e.program === CONSIGNMENT.program &&
        e.dataValues.some((d) => d.dataElement === CONSIGNMENT.reference && d.value === reference),
    )
    .map((e) => {
      const item = e.dataValues.find((d) => d.dataElement === CONSIGNMENT.item)!.value;
      const dataValues = e.dataValues.map((d) =>
        d.dataElement === CONSIGNMENT.quantity && received[item] !== undefined
          ? { ...d, value: String(received[item]) }
          : d,
      );
      return { ...e, status: 'COMPLETED', dataValues };
    });
  await postEvents(dhis2, events);
}

/** An RTS stock count at a facility, as the facility records one. */
export async function countStock(dhis2: Dhis2Sandbox, facility: string, code: string, units: number, at: string) {
  const te = dhis2.tracker.teOf(orgUnitOf(dhis2, facility), code)!;
  await postEvents(dhis2, [
    {
      event: seedUid(`rts-count:${facility}:${code}:${at}`),
      program: RTS.program,
      programStage: RTS.stage,
      enrollment: te.enrollment,
      orgUnit: orgUnitOf(dhis2, facility),
      occurredAt: at,
      status: 'COMPLETED',
      dataValues: [{ dataElement: RTS.stockCount, value: String(units) }],
    },
  ]);
}

/** An item's stock on hand in RTS at a facility now: the program rules' value on its latest event. */
export function rtsStock(dhis2: Dhis2Sandbox, facility: string, code: string): number {
  const te = dhis2.tracker.teOf(orgUnitOf(dhis2, facility), code)!;
  const last = [...dhis2.tracker.events.values()]
    .filter((e) => e.enrollment === te.enrollment)
    .sort((a, b) => a.occurredAt.localeCompare(b.occurredAt) || a.createdAt.localeCompare(b.createdAt))
    .at(-1);
  return Number(last?.dataValues.find((d) => d.dataElement === RTS.stockOnHand)?.value ?? 0);
}

/** Events of the RTS program (stock transactions) at a facility. */
export const rtsEvents = (dhis2: Dhis2Sandbox) =>
  [...dhis2.tracker.events.values()].filter((e) => e.program === RTS.program);

export async function postRequisitions(dhis2: Dhis2Sandbox, list: Requisition[], status = 'COMPLETED'): Promise<void> {
  const orgUnit = (code: string) => [...dhis2.state.orgUnits.values()].find((o) => o.code === code)!.id;
  const events = list.map((r) => ({
    event: r.event,
    program: REQUISITION.program,
    programStage: REQUISITION.stage,
    orgUnit: orgUnit(r.facility),
    occurredAt: '2026-11-28T09:00:00.000',
    status,
    dataValues: Object.entries(r.lines).map(([code, units]) => ({
      dataElement: REQUISITION.quantities[code],
      value: String(units),
    })),
  }));
  const res = await fetch(`${dhis2.url}/api/tracker?async=false`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from('admin:district').toString('base64')}`,
      'content-type': 'application/json',
    },
    body: JSON.stringify({ events }),
  });
  if (res.status !== 200) throw new Error(`DHIS2 refused the requisitions: ${res.status} ${await res.text()}`);
}

export interface Instance {
  outbox: Outbox;
  job: ScheduledJob;
  deps: RtsBridgeDeps;
  /** Moves its DHIS2 client's clock on (the zone's reuse, the account hold): e.g. past a DHIS2 restart. */
  advance(ms: number): void;
  close(): Promise<void>;
}

/** One mediator instance on `store`: its connectors, its outbox (with the bridge's handler), the job. */
export function instanceOn(
  store: Store,
  settings: Record<string, string>,
  name = 'A',
  supplyingStores: () => SupplyingStores | undefined = () => SUPPLYING_STORES,
): Instance {
  let offset = 0;
  const connectors = [
    createDhis2Connector(settings, { now: () => Date.now() + offset }),
    createMsupplyConnector(settings),
  ];
  const outbox = new Outbox({
    store,
    options: {
      instanceId: name,
      deadlineMs: 5_000,
      backoff: { baseMs: 50, capMs: 200 },
      attemptTimeoutMs: 4_000,
      leaseMs: 5_000,
      settleMs: 100,
    },
  });
  const deps: RtsBridgeDeps = { store, outbox, connectors: () => connectors, supplyingStores };
  return {
    outbox,
    job: rtsToMsupplyJob(deps),
    deps,
    advance: (ms) => {
      offset += ms;
    },
    async close() {
      await outbox.stop(1_000);
      await Promise.allSettled(connectors.map((c) => c.close?.()));
    },
  };
}

/** How `instanceAOn` varies the rig: the DHIS2 version, the settings, the supplying-store rules. */
export interface InstanceAOptions {
  /** The DHIS2 version the sandbox answers as (see `startRtsSandboxes`). */
  version?: string;
  /** The DHIS2 server's zone (`serverTimeZoneId`): its times without a zone are wall time there. */
  timeZone?: string;
  /** The instance's settings, from the sandboxes' own (`sb.settings` when not given). */
  settings?: (sb: RtsSandboxes) => Record<string, string>;
  /** The routing rules, read at each run (so a test can change them between runs). */
  supplyingStores?: () => SupplyingStores | undefined;
}

/**
 * The sandboxes, a store on a fresh database of `engine` and instance A on it, closed (and the
 * database dropped) at the test's end.
 */
export async function instanceAOn(
  t: { teardown(fn: () => unknown): void },
  engine: EngineCase,
  options: InstanceAOptions = {},
): Promise<{ sb: RtsSandboxes; store: Store; a: Instance }> {
  const db = await engine.freshDatabase();
  const sb = await startRtsSandboxes(options.version, options.timeZone);
  const store = await openStore({ databaseUrl: db.databaseUrl });
  const a = instanceOn(store, options.settings?.(sb) ?? sb.settings, 'A', options.supplyingStores);
  t.teardown(async () => {
    await a.close();
    await store.close();
    await sb.close();
    await db.drop();
  });
  return { sb, store, a };
}

/**
 * `n` requisitions raised and taken through one cycle: a run answers them (response requisitions),
 * the warehouse ships them all, a second run consigns the shipments at their facilities; the
 * outbox drained after each run.
 */
export async function raiseAndShip(sb: RtsSandboxes, a: Instance, store: Store, n: number): Promise<Requisition[]> {
  const raised = await raiseRequisitions(sb.dhis2, n);
  await a.job.run();
  await drain(a.outbox, store);
  shipAll(sb.ms);
  await a.job.run();
  await drain(a.outbox, store);
  return raised;
}

/** Changes the consignment program in the DHIS2 sandbox (its `/_sandbox` control: sharing, org units). */
export async function changeConsignmentProgram(dhis2Url: string, change: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${dhis2Url}/_sandbox/programs/${CONSIGNMENT.program}`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(change),
  });
  if (res.status !== 200) throw new Error(await res.text());
}

/** Runs the outbox worker passes until no job waits or runs (a lease left by a killed process expires first). */
export async function drain(outbox: Outbox, store: Store, ms = 30_000): Promise<Record<string, number>> {
  const until = Date.now() + ms;
  for (;;) {
    await outbox.runOnce();
    await outbox.idle();
    const counts = await store.countJobsByStatus();
    if (!counts.pending && !counts['in-flight']) return counts;
    if (Date.now() > until) throw new Error(`outbox not drained: ${JSON.stringify(counts)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The response requisitions the supplying stores hold, with their lines. */
export function responses(ms: MsupplySandbox) {
  return [...ms.state.requisitions.values()]
    .filter((r) => r.type === 'RESPONSE')
    .map((r) => ({ ...r, lines: ms.state.linesOf(r.id) }));
}

/** The inbound shipments of the hospital's own store, with their lines. */
export function hospitalInbounds(ms: MsupplySandbox) {
  return [...ms.state.invoices.values()]
    .filter((i) => i.type === 'INBOUND_SHIPMENT' && i.storeId === HOSPITAL_STORE)
    .map((i) => ({ ...i, lines: ms.state.invoiceLinesOf(i.id) }));
}

/** The outbound shipment the supplying store made against its response to the RTS requisition `event`. */
export function shipmentFor(ms: MsupplySandbox, event: string) {
  const resp = responses(ms).find((r) => r.theirReference === event);
  const shipment =
    resp && [...ms.state.invoices.values()].find((i) => i.type === 'OUTBOUND_SHIPMENT' && i.requisitionId === resp.id);
  if (!shipment) throw new Error(`no outbound shipment against the response to ${event}`);
  return shipment;
}

/** The warehouse ships every response requisition not shipped yet (supply what was requested, SHIPPED). */
export function shipAll(ms: MsupplySandbox): string[] {
  const shipped = new Set(
    [...ms.state.invoices.values()].filter((i) => i.type === 'OUTBOUND_SHIPMENT').map((i) => i.requisitionId),
  );
  return responses(ms)
    .filter((r) => !shipped.has(r.id))
    .map((r) => ms.state.shipResponse(r.id).outbound.id);
}

/** Consignment events in DHIS2, by their reference (the shipment): org unit code, status, item → units. */
export function consignments(dhis2: Dhis2Sandbox) {
  const codeOf = (uid: string) => dhis2.state.orgUnits.get(uid)?.code;
  const out = new Map<
    string,
    { facility?: string; statuses: string[]; units: Record<string, number>; events: number }
  >();
  for (const e of dhis2.tracker.events.values()) {
    if (e.program !== CONSIGNMENT.program) continue;
    const value = (de: string) => e.dataValues.find((d) => d.dataElement === de)?.value;
    const ref = value(CONSIGNMENT.reference)!;
    const c = out.get(ref) ?? { facility: codeOf(e.orgUnit), statuses: [], units: {}, events: 0 };
    c.statuses.push(e.status);
    c.units[value(CONSIGNMENT.item)!] = (c.units[value(CONSIGNMENT.item)!] ?? 0) + Number(value(CONSIGNMENT.quantity));
    c.events++;
    out.set(ref, c);
  }
  return out;
}
