import type { FastifyRequest } from 'fastify';
import { authenticate, type Principal, type TokenStore } from './auth.js';
import type { Dto } from './dto.js';
import type { FaultController } from './faults.js';
import type { FulfillmentService } from './fulfillment.js';
import type { RequisitionService } from './requisitions.js';
import type { SandboxStore } from './state.js';

/** Everything a route needs; built once per sandbox. */
export interface SandboxContext {
  store: SandboxStore;
  tokens: TokenStore;
  faults: FaultController;
  dto: Dto;
  requisitions: RequisitionService;
  fulfillment: FulfillmentService;
  baseUrl: () => string;
  auth: (request: FastifyRequest) => Principal;
}

export function makeAuth(tokens: TokenStore) {
  return (request: FastifyRequest) => authenticate(request, tokens);
}
