import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { User } from './model.js';
import type { Caller, OpenMrsStore } from './state.js';

/** The stock management module's resources (filled in below). */
export interface StockRouteDeps {
  store: OpenMrsStore;
  stock: StockService;
  selfUrl: (req: FastifyRequest) => string;
  restBase: () => string;
  user: (req: FastifyRequest, privilege: string) => User;
  caller: (req: FastifyRequest) => Caller;
}

export class StockService {
  constructor(readonly store: OpenMrsStore) {}
  counts(): Record<string, unknown> {
    return {};
  }
}

export function registerStockRoutes(_app: FastifyInstance, _deps: StockRouteDeps): void {}
