import type { FastifyInstance } from 'fastify';
import type { SandboxContext } from '../context.js';
import { badRequest } from '../errors.js';
import { type PodInput, type ShipmentInput } from '../fulfillment.js';
import { parsePageable, toPage } from '../paging.js';
import { one, type Query } from '../query.js';

/** openlmis-fulfillment endpoints (reference §3.2–3.3). Quantities are packs. */
export function registerFulfillmentRoutes(app: FastifyInstance, ctx: SandboxContext): void {
  const svc = ctx.fulfillment;

  app.get('/api/orders', async (req) => {
    const principal = ctx.auth(req);
    const q = req.query as Query;
    const list = svc.searchOrders(q);
    svc.requireView(
      principal,
      [one(q, 'supplyingFacilityId'), one(q, 'requestingFacilityId')].filter((x): x is string => !!x),
    );
    return toPage(
      list.map((o) => svc.orderDto(o, false)),
      parsePageable(q),
    );
  });
  app.get<{ Params: { id: string } }>('/api/orders/:id', async (req) => {
    const principal = ctx.auth(req);
    const order = svc.findOrder(req.params.id);
    svc.requireView(principal, [order.supplyingFacilityId, order.requestingFacilityId]);
    return svc.orderDto(order);
  });
  app.post('/api/orders/requisitionLess', async (req, reply) => {
    const order = svc.createRequisitionLess(ctx.auth(req), (req.body ?? {}) as Record<string, unknown>);
    return reply.code(201).send(svc.orderDto(order));
  });
  app.delete('/api/orders', async (req, reply) => {
    svc.deleteOrders(ctx.auth(req), ((req.body ?? {}) as { ids?: unknown }).ids);
    return reply.code(204).send();
  });
  app.put<{ Params: { id: string } }>('/api/orders/:id/requisitionLess/send', async (req) =>
    svc.orderDto(svc.sendRequisitionLess(ctx.auth(req), req.params.id)),
  );

  app.post('/api/shipments', async (req, reply) => {
    const shipment = svc.createShipment(ctx.auth(req), (req.body ?? {}) as ShipmentInput);
    return reply.code(201).send(svc.shipmentDto(shipment));
  });
  app.get('/api/shipments', async (req) => {
    const principal = ctx.auth(req);
    const q = req.query as Query;
    const orderId = one(q, 'orderId');
    if (!orderId)
      throw badRequest(
        'fulfillment.error.shipment.orderId.required',
        'OrderId request parameter is required for searching shipments',
      );
    const order = svc.findOrder(orderId);
    svc.requireView(principal, [order.supplyingFacilityId, order.requestingFacilityId]);
    const list = [...ctx.store.shipments.values()].filter((s) => s.orderId === orderId);
    return toPage(
      list.map((s) => svc.shipmentDto(s)),
      parsePageable(q),
    );
  });
  app.get<{ Params: { id: string } }>('/api/shipments/:id', async (req) => {
    const principal = ctx.auth(req);
    const s = svc.findShipment(req.params.id);
    const order = svc.findOrder(s.orderId);
    svc.requireView(principal, [order.supplyingFacilityId, order.requestingFacilityId]);
    return svc.shipmentDto(s);
  });

  app.get('/api/proofsOfDelivery', async (req) => {
    const principal = ctx.auth(req);
    const q = req.query as Query;
    const orderId = one(q, 'orderId');
    const shipmentId = one(q, 'shipmentId');
    const list = [...ctx.store.pods.values()]
      .filter((p) => {
        const s = ctx.store.shipments.get(p.shipmentId)!;
        return (!shipmentId || p.shipmentId === shipmentId) && (!orderId || s.orderId === orderId);
      })
      .filter((p) => {
        const o = svc.orderOfPod(p);
        try {
          svc.requireView(principal, [o.requestingFacilityId, o.supplyingFacilityId]);
          return true;
        } catch {
          return false;
        }
      });
    return toPage(
      list.map((p) => svc.podDto(p)),
      parsePageable(q),
    );
  });
  app.get<{ Params: { id: string } }>('/api/proofsOfDelivery/:id', async (req) => {
    const principal = ctx.auth(req);
    const pod = svc.findPod(req.params.id);
    const o = svc.orderOfPod(pod);
    svc.requireView(principal, [o.requestingFacilityId, o.supplyingFacilityId]);
    return svc.podDto(pod);
  });
  app.put<{ Params: { id: string } }>('/api/proofsOfDelivery/:id', async (req) =>
    svc.podDto(svc.updatePod(ctx.auth(req), req.params.id, (req.body ?? {}) as PodInput)),
  );
}
