/**
 * The end-to-end rig for flows routed to Open mSupply: the Open mSupply sandbox beside the
 * OpenLMIS rig (openlmis-e2e.ts), the real mediator signed in to both, with a copy of the
 * mappings whose routing.json is the one given, so a test says only where each flow goes.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { StartOptions } from '../../src/main.js';
import { startMsupplySandbox } from '../../sandbox/msupply/index.js';
import { orderLine, startRig, transactionOf, why, type Rig } from './openlmis-e2e.js';
import type { EngineCase } from './outbox-engines.js';
import { until } from './net.js';

const root = path.resolve(import.meta.dirname, '../..');

/** The routing rule that sends a flow for this Open mSupply store there. */
export const toStore = (store: string) => ({
  rules: [{ name: 'Open mSupply stores', when: { facility: [store] }, system: 'msupply' }],
});

export interface MsupplyRig extends Rig {
  ms: Awaited<ReturnType<typeof startMsupplySandbox>>;
}

/**
 * `flows`: routing.json's flows; `env` adds or overrides settings (OPENLMIS_BASE_URL '' for mSupply
 * alone); `start`: the mediator's start options (a test's own logger, to read its lines).
 */
export async function startMsupplyRig(
  flows: Record<string, unknown>,
  env: Record<string, string> = {},
  start: StartOptions = {},
): Promise<MsupplyRig> {
  const ms = await startMsupplySandbox();
  const mappings = mkdtempSync(path.join(tmpdir(), 'msupply-e2e-'));
  cpSync(path.join(root, 'fhir-mappings'), mappings, { recursive: true });
  writeFileSync(path.join(mappings, 'routing.json'), JSON.stringify({ flows }));
  let rig: Rig;
  try {
    rig = await startRig(
      {
        MAPPINGS_DIR: mappings,
        MSUPPLY_BASE_URL: ms.url,
        MSUPPLY_USERNAME: 'mediator',
        MSUPPLY_PASSWORD: 'password',
        MSUPPLY_SUPPLIER_CODE: 'WH-CENTRAL',
        ...env,
      },
      start,
    );
  } catch (err) {
    // a mediator that refuses to start (a bad routing.json) must not leave the sandbox holding the test open
    await ms.close();
    rmSync(mappings, { recursive: true, force: true });
    throw err;
  }
  return {
    ...rig,
    ms,
    async close() {
      await rig.close();
      await ms.close();
      rmSync(mappings, { recursive: true, force: true });
    },
  };
}

/** The rig on a fresh database of this engine, closed and the database dropped when `t` ends. */
export async function startMsupplyRigOn(
  t: { teardown(fn: () => unknown): void },
  engine: EngineCase,
  flows: Record<string, unknown>,
  env: Record<string, string> = {},
  start: StartOptions = {},
): Promise<MsupplyRig> {
  const db = await engine.freshDatabase({ migrated: true });
  const rig = await startMsupplyRig(flows, { DATABASE_URL: db.databaseUrl, ...env }, start).catch(
    async (err: unknown) => {
      await db.drop();
      throw err;
    },
  );
  t.teardown(async () => {
    await rig.close();
    await db.drop();
  });
  return rig;
}

/**
 * An app's stock count (a snapshot InventoryReport under the app's own `id`, as the Android SDK
 * PUTs it) of `packs` packs of `gtin` at the store `store`, counted 2026-11-21.
 */
export const packCountAt = (o: { id: string; value: string; store: string; gtin: string; packs: number }) => ({
  resourceType: 'InventoryReport',
  id: o.id,
  status: 'active',
  countType: 'snapshot',
  identifier: [{ system: 'https://mobile.example.org/counts', value: o.value }],
  reportedDateTime: '2026-11-21T09:00:00Z',
  inventoryListing: [
    {
      location: { reference: `Location/${o.store}` },
      countingDateTime: '2026-11-21T08:40:00+03:00',
      item: [
        {
          quantity: {
            value: o.packs,
            unit: 'pack',
            system: 'http://fhir-supply-mediator.org/fhir/CodeSystem/quantity-unit',
            code: 'pack',
          },
          item: { concept: { coding: [{ system: 'https://www.gs1.org/gtin', code: o.gtin }] } },
        },
      ],
    },
  ],
});

/**
 * An order of `store` for `qty` of `productCode` (program EM01) posted through the mediator, its
 * response requisition shipped by the supplying store: the inbound shipment a delivery confirms.
 */
export async function shippedToStore(
  rig: MsupplyRig,
  o: { order: string; store: string; productCode: string; qty: number },
): Promise<{ id: string }> {
  const line = orderLine({
    order: o.order,
    facilityId: o.store,
    program: 'EM01',
    productCode: o.productCode,
    qty: o.qty,
  });
  const posted = await rig.fhir('POST', '/fhir', transactionOf([line]));
  if (posted.status !== 200) throw new Error(`order ${o.order}: ${why(posted)}`);
  const response = await until('the response requisition', async () =>
    [...rig.ms.state.requisitions.values()].find((r) => r.type === 'RESPONSE' && r.theirReference === o.order),
  );
  return rig.ms.state.shipResponseRequisition(response.id).inbound;
}
