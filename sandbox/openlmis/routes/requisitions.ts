import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SandboxContext } from '../context.js';
import { SandboxHttpError, springDefaultError } from '../errors.js';
import { parsePageable, toPage } from '../paging.js';
import { bool, one, type Query } from '../query.js';
import type { RequisitionUpdate } from '../requisitions.js';

/** openlmis-requisition endpoints (reference §3.1). API keys are refused (403). */
export function registerRequisitionRoutes(app: FastifyInstance, ctx: SandboxContext): void {
  const svc = ctx.requisitions;
  const idemHeader = (req: FastifyRequest) => {
    const v = req.headers['idempotency-key'];
    return Array.isArray(v) ? v[0] : v;
  };
  /** With an Idempotency-Key the service answers with a Location header to the requisition. */
  const location = (reply: FastifyReply, key: string | undefined, id: string) => {
    if (key) reply.header('location', `${ctx.baseUrl()}/api/requisitions/${id}`);
  };

  app.get('/api/requisitions/periodsForInitiate', async (req) => {
    const principal = ctx.auth(req);
    const q = req.query as Query;
    return svc.periodsForInitiate(principal, one(q, 'programId'), one(q, 'facilityId'), bool(q, 'emergency') ?? false);
  });

  for (const version of ['', '/v2'] as const) {
    app.post(`/api${version}/requisitions/initiate`, async (req, reply) => {
      const principal = ctx.auth(req);
      const q = req.query as Query;
      const { requisition, idempotencyKey } = svc.initiate(
        principal,
        {
          programId: one(q, 'program'),
          facilityId: one(q, 'facility'),
          suggestedPeriodId: one(q, 'suggestedPeriod'),
          emergency: bool(q, 'emergency'),
        },
        idemHeader(req),
      );
      location(reply, idempotencyKey, requisition.id);
      return reply.code(201).send(version ? svc.toV2(requisition) : svc.toV1(requisition));
    });
    app.get<{ Params: { id: string } }>(`/api${version}/requisitions/:id`, async (req) => {
      const principal = ctx.auth(req);
      const r = svc.find(req.params.id);
      if (principal.kind === 'apikey')
        throw new SandboxHttpError(403, {
          messageKey: 'requisition.error.authorization.noFollowingPermission',
          message: 'You do not have following permission to perform this action: REQUISITION_VIEW.',
        });
      return version ? svc.toV2(r) : svc.toV1(r);
    });
    app.put<{ Params: { id: string } }>(`/api${version}/requisitions/:id`, async (req) => {
      const principal = ctx.auth(req);
      const r = svc.update(principal, req.params.id, (req.body ?? {}) as RequisitionUpdate);
      return version ? svc.toV2(r) : svc.toV1(r);
    });
  }

  for (const action of ['submit', 'authorize', 'approve'] as const) {
    app.post<{ Params: { id: string } }>(`/api/requisitions/:id/${action}`, async (req, reply) => {
      const principal = ctx.auth(req);
      const { requisition, idempotencyKey } = svc[action](principal, req.params.id, idemHeader(req));
      location(reply, idempotencyKey, requisition.id);
      return reply.send(svc.toBasic(requisition));
    });
  }
  app.put<{ Params: { id: string } }>('/api/requisitions/:id/reject', async (req) =>
    svc.toBasic(svc.reject(ctx.auth(req), req.params.id)),
  );
  app.put<{ Params: { id: string } }>('/api/requisitions/:id/skip', async (req) =>
    svc.toBasic(svc.skip(ctx.auth(req), req.params.id)),
  );
  app.delete<{ Params: { id: string } }>('/api/requisitions/:id', async (req, reply) => {
    svc.remove(ctx.auth(req), req.params.id);
    return reply.code(204).send();
  });
  app.get<{ Params: { id: string } }>('/api/requisitions/:id/statusMessages', async (req) => {
    ctx.auth(req);
    svc.find(req.params.id);
    return [];
  });

  app.get('/api/requisitions/search', async (req) => {
    const principal = ctx.auth(req);
    if (principal.kind === 'apikey')
      throw new SandboxHttpError(403, {
        messageKey: 'requisition.error.authorization.noFollowingPermission',
        message: 'You do not have following permission to perform this action: REQUISITION_VIEW.',
      });
    const q = req.query as Query;
    const pageable = parsePageable(q, 10);
    return toPage(
      svc.search(principal, q).map((r) => svc.toBasic(r)),
      pageable,
    );
  });

  app.post('/api/requisitions/batchReleases', async (req, reply) => {
    const principal = ctx.auth(req);
    const body = (req.body ?? {}) as {
      createOrder?: boolean;
      requisitionsToRelease?: Array<{ requisitionId?: string; supplyingDepotId?: string }>;
    };
    if (typeof body.createOrder !== 'boolean' || !Array.isArray(body.requisitionsToRelease)) {
      throw new SandboxHttpError(
        400,
        springDefaultError(400, '/api/requisitions/batchReleases', 'Required request body is missing or malformed'),
      );
    }
    const released = svc.release(principal, body, (r, depot, userId) =>
      ctx.fulfillment.createFromRequisition(r, depot, userId),
    );
    return reply.code(201).send({ requisitionDtos: released.map((r) => svc.toApproveDto(r)), requisitionErrors: [] });
  });
  /** Deprecated since requisition 7.0 but still served: an array of {requisitionId, supplyingDepotId}. */
  app.post('/api/requisitions/convertToOrder', async (req, reply) => {
    const principal = ctx.auth(req);
    const items = Array.isArray(req.body)
      ? (req.body as Array<{ requisitionId?: string; supplyingDepotId?: string }>)
      : [];
    svc.release(principal, { createOrder: true, requisitionsToRelease: items }, (r, depot, userId) =>
      ctx.fulfillment.createFromRequisition(r, depot, userId),
    );
    return reply.code(201).send();
  });
}
