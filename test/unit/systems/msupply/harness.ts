import type { Delivery, Order, StockReport } from '../../../../src/domain/index.js';
import {
  createMsupplyConnector,
  type MsupplyConnector,
  type MsupplyConnectorOptions,
} from '../../../../src/systems/msupply/index.js';
import {
  startMsupplySandbox,
  type MsupplyFaultInput,
  type MsupplySandbox,
  type MsupplySandboxOptions,
} from '../../../../sandbox/msupply/index.js';
import type { StockLineMore } from '../../../../sandbox/msupply/model.js';

/** The mSupply sandbox and a connector configured against it, for the connector's unit tests. */
export const GTIN = 'https://www.gs1.org/gtin';
export const ORDER_SYSTEM = 'https://mobile.example.org/orders';
/** GTINs of the catalogue products the mSupply seed carries (fhir-mappings/products.json). */
export const AMOXICILLIN = '10860012300058';
export const PARACETAMOL = '10860012300065';
export const ORS = '10860012300072';

import { MemoryJournal } from '../../../support/memory-journal.js';

export { MemoryJournal };

/** What `p` rejects with; a result is a failure of the test. */
export async function failure(p: Promise<unknown>): Promise<any> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection, got a result');
}

export interface Rig {
  sb: MsupplySandbox;
  connector: MsupplyConnector;
  settings: Record<string, unknown>;
  close(): Promise<void>;
}

export async function startRig(
  settings: Record<string, unknown> = {},
  sandbox: MsupplySandboxOptions = {},
  connectorOptions: MsupplyConnectorOptions = {},
): Promise<Rig> {
  const sb = await startMsupplySandbox(sandbox);
  const all = {
    'msupply.baseUrl': sb.url,
    'msupply.username': 'mediator',
    'msupply.password': 'password',
    'msupply.timeoutMs': 2_000,
    'msupply.supplierCode': 'WH-CENTRAL',
    ...settings,
  };
  const connector = createMsupplyConnector(all, { retryDelayMs: 10, ...connectorOptions });
  return {
    sb,
    connector,
    settings: all,
    async close() {
      await connector.close?.();
      await sb.close();
    },
  };
}

export function order(
  number: string,
  lines: { gtin: string; qty: number; packs?: boolean }[],
  facility = 'store-hc-north',
): Order {
  return {
    orderNumber: { system: ORDER_SYSTEM, value: number },
    status: 'active',
    priority: 'routine',
    facility: { id: facility },
    authoredOn: '2026-11-20T08:00:00Z',
    lines: lines.map((l) => ({
      product: { system: GTIN, code: l.gtin },
      quantity: { value: l.qty, unit: l.packs ? 'pack' : 'dispensing-unit' },
    })),
  };
}

/**
 * `number` ordered (300 tablets of amoxicillin, 4 packs of ORS) and the warehouse's response
 * shipped: the facility's inbound shipment in the sandbox.
 */
export async function shipOrder(rig: Rig, number: string) {
  await rig.connector.orders!.submit(
    order(number, [
      { gtin: AMOXICILLIN, qty: 300 },
      { gtin: ORS, qty: 4, packs: true },
    ]),
    new MemoryJournal(),
  );
  const response = [...rig.sb.state.requisitions.values()].find(
    (r) => r.type === 'RESPONSE' && r.theirReference === number,
  )!;
  return rig.sb.state.shipResponseRequisition(response.id).inbound;
}

/**
 * A receipt to confirm: `number` ordered and shipped (shipOrder), and the facility's inbound
 * shipment read back as a completed delivery accepting every line as shipped, in packs.
 */
export async function shippedReceipt(rig: Rig, number: string): Promise<Delivery> {
  const inbound = await shipOrder(rig, number);
  const d = (await rig.connector.deliveries!.search({ facility: 'store-hc-north', status: 'in-progress' })).items.find(
    (x) => x.id === inbound.id,
  )!;
  return {
    ...d,
    status: 'completed',
    lines: d.lines.map((l) => ({ ...l, quantityAccepted: { value: l.quantityShipped!.value, unit: 'pack' } })),
  };
}

/** A receipt's confirmation received as 2 packs of amoxicillin and 3 packs of ORS. */
export const receivedTwoAndThree = (d: Delivery): Delivery => ({
  ...d,
  status: 'completed',
  lines: d.lines.map((l) => ({
    ...l,
    quantityAccepted: { value: l.product.code === AMOXICILLIN ? 2 : 3, unit: 'pack' },
  })),
});

/** A receipt's RECEIVED applied once and its answer lost (the connection reset after it). */
export const receivedAnswerLost = (): MsupplyFaultInput => ({
  operation: 'updateInboundShipment',
  variablesInclude: '"RECEIVED"',
  action: { type: 'afterApply', answer: 'reset' },
  times: 1,
});

/** `sachets` of ORS counted at store-hc-north (the seed holds 10 packs of 50 of batch N20262). */
export const orsCount = (value: string, sachets = 600): StockReport => ({
  identifier: { system: 'https://mobile.example.org/counts', value },
  status: 'active',
  countType: 'snapshot',
  reportedAt: '2026-11-21T09:00:00Z',
  facility: { id: 'store-hc-north' },
  lines: [{ product: { system: GTIN, code: ORS }, quantity: { value: sachets, unit: 'dispensing-unit' } }],
});

/** The seed's ORS batch at store-hc-north, which orsCount counts. */
export const orsLine = (rig: Rig) =>
  [...rig.sb.state.stockLines.values()].find((l) => l.storeId === 'store-hc-north' && l.itemId === 'item-ors')!;

/** What a storekeeper set on the ORS batch in Open mSupply (the donor and manufacturer are names of the seed). */
export const asSet: StockLineMore = {
  locationId: 'location-shelf-a',
  manufactureDate: '2025-06-30',
  volumePerPack: 0.25,
  donorId: 'name-donor',
  manufacturerId: 'name-donor',
  campaignId: 'campaign-measles-2026',
  programId: 'program-essential',
};
