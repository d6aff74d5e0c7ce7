import type { ShipLine } from '../../../../sandbox/openlmis/index.js';
import { MemoryJournal, fiveLineOrder, type FlowHarness } from './orders-harness.js';

/**
 * Gets an order to the point a delivery exists: the connector submits and authorizes it, then the
 * supervisor approves and the warehouse clerk releases it as the sandbox's own users would
 * (plain HTTP), and the depot ships it through /_sandbox/orders/{id}/ship.
 */
async function asUser(h: FlowHarness, username: string, method: string, path: string, body?: unknown): Promise<any> {
  const basic = `Basic ${Buffer.from('user-client:changeme').toString('base64')}`;
  const login = await fetch(`${h.sb.url}/api/oauth/token?grant_type=password&username=${username}&password=password`, {
    method: 'POST',
    headers: { authorization: basic },
  });
  const token = ((await login.json()) as { access_token: string }).access_token;
  const res = await fetch(`${h.sb.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

export async function releaseRequisition(
  h: FlowHarness,
  requisitionId: string,
  depotCode = 'LK-WH-301',
): Promise<string> {
  if (h.sb.state.store.requisitions.get(requisitionId)?.status === 'SUBMITTED')
    await asUser(h, 'administrator', 'POST', `/api/requisitions/${requisitionId}/authorize`);
  await asUser(h, 'administrator', 'POST', `/api/requisitions/${requisitionId}/approve`);
  await asUser(h, 'administrator', 'POST', '/api/requisitions/batchReleases', {
    createOrder: true,
    requisitionsToRelease: [{ requisitionId, supplyingDepotId: h.seed.facilities[depotCode] }],
  });
  const order = [...h.sb.state.store.orders.values()].find((o) => o.externalId === requisitionId);
  if (!order) throw new Error(`no order for requisition ${requisitionId}`);
  return order.id;
}

export async function shipOrder(
  h: FlowHarness,
  orderId: string,
  lines?: ShipLine[],
): Promise<{ proofOfDeliveryId: string; shipment: { id: string } }> {
  const res = await fetch(`${h.sb.url}/_sandbox/orders/${orderId}/ship`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ lines }),
  });
  if (res.status !== 201) throw new Error(`ship → ${res.status} ${await res.text()}`);
  return (await res.json()) as { proofOfDeliveryId: string; shipment: { id: string } };
}

/**
 * The five-line order, shipped: EM-AMX250 in lot AMX-0915, EM-ORS one pack short (3 of 4), the
 * rest as ordered (packs: AMX 3, PCM 2, ORS 4, ZNC 3, CTX 1).
 */
export async function shippedFiveLineOrder(h: FlowHarness) {
  const order = fiveLineOrder(h);
  const { ids } = await h.orders.submit(order, new MemoryJournal());
  const orderId = await releaseRequisition(h, ids.requisition);
  const o = h.seed.orderables;
  const shipped = await shipOrder(h, orderId, [
    { orderableId: o['EM-AMX250'], quantityShipped: 3, lotId: h.seed.lots['AMX-0915'] },
    { orderableId: o['EM-PCM500'] },
    { orderableId: o['EM-ORS'], quantityShipped: 3 },
    { orderableId: o['EM-ZNC20'] },
    { orderableId: o['EM-CTX480'] },
  ]);
  return {
    order,
    requisitionId: ids.requisition,
    orderId,
    podId: shipped.proofOfDeliveryId,
    shipmentId: shipped.shipment.id,
  };
}
