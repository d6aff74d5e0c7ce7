/**
 * Whether a registry facility is closed, for an accept (closed-link.ts), when the registry pull's
 * kept record and the registry list disagree. Before: the pull's record won whatever its age, so a
 * facility the list had since reopened was refused (422) and one the list had since closed was
 * linked, and the next registry propagation deactivated the system's live record. Now the one that
 * changed last wins (the pull's changedAt, the list's lastUpdated); when that cannot be told (the
 * list's entry has no time), closed if either says so.
 */
import t from 'tap';
import Fastify from 'fastify';
import { fhirErrorHandler } from '../../../src/fhir/outcome.js';
import { reviewRoutes } from '../../../src/registry/review-routes.js';
import { reconcileIntoStore } from '../../../src/registry/reconcile-run.js';
import type { Facility } from '../../../src/domain/facility.js';
import { engineCases, freshStore } from '../../support/outbox-engines.js';
import { REVIEW_REGISTRY, reviewFacility } from '../../support/review-facilities.js';

const TOKEN = 'accept-fresher-token';
const NOV = '2026-11-01T00:00:00.000Z';
const DEC = '2026-12-01T00:00:00.000Z';

interface Case {
  name: string;
  pulled: { status: Facility['status']; at: string };
  listed: { status: Facility['status']; at?: string };
  status: number;
}

const CASES: Case[] = [
  {
    name: 'reopened in the list since the pull kept it closed: linked',
    pulled: { status: 'inactive', at: NOV },
    listed: { status: 'active', at: DEC },
    status: 200,
  },
  {
    name: 'closed in the list since the pull kept it open: refused',
    pulled: { status: 'active', at: NOV },
    listed: { status: 'inactive', at: DEC },
    status: 422,
  },
  {
    name: 'closed by the pull since the list: refused',
    pulled: { status: 'inactive', at: DEC },
    listed: { status: 'active', at: NOV },
    status: 422,
  },
  {
    name: 'reopened by the pull since the list: linked',
    pulled: { status: 'active', at: DEC },
    listed: { status: 'inactive', at: NOV },
    status: 200,
  },
  {
    name: 'closed in a list without times (registry.file): which is fresher is unknown, refused',
    pulled: { status: 'active', at: DEC },
    listed: { status: 'inactive' },
    status: 422,
  },
];

for (const engine of engineCases())
  t.test(engine.name, { skip: engine.skip }, async (t) => {
    for (const c of CASES)
      await t.test(c.name, async (t) => {
        const { store } = await freshStore(engine, t);
        await reconcileIntoStore(store, 'emr', [reviewFacility('L4', 'Kasikeu')], REVIEW_REGISTRY);
        const r4 = REVIEW_REGISTRY[0];
        await store.putRegistryRecords([
          {
            registryId: 'R4',
            version: '2',
            changedAt: Date.parse(c.pulled.at),
            seenAt: Date.parse(c.pulled.at),
            record: {
              id: 'R4',
              version: '2',
              lastUpdated: c.pulled.at,
              facility: { ...r4, status: c.pulled.status, lastUpdated: c.pulled.at },
            },
          },
        ]);
        const listed: Facility = {
          ...r4,
          status: c.listed.status,
          ...(c.listed.at ? { lastUpdated: c.listed.at } : {}),
        };
        const registry = [listed, REVIEW_REGISTRY[1]];
        const app = Fastify();
        app.setErrorHandler(fhirErrorHandler);
        await app.register(reviewRoutes, {
          prefix: '/admin',
          store,
          adminToken: TOKEN,
          registry: async () => registry,
        });
        t.teardown(() => app.close());
        const res = await app.inject({
          method: 'POST',
          url: '/admin/reconcile/emr/L4/accept',
          headers: { authorization: `Bearer ${TOKEN}`, 'x-actor': 'alice' },
          payload: { registryId: 'R4' },
        });
        t.equal(res.statusCode, c.status, c.status === 200 ? 'linked' : 'refused: closed');
        t.equal((await store.getCrosswalk('emr', 'L4'))?.registryId, c.status === 200 ? 'R4' : undefined);
      });
  });
