import { orderLineId } from '../../domain/line-ids.js';
import type { Order } from '../../domain/index.js';
import type { OrderCapability, SearchCriteria } from '../../routing/ports.js';
import type { Dhis2Client } from './client.js';
import type { OrgUnitReader } from './facilities.js';
import { isUid } from './identifiers.js';
import type { Dhis2ProductMap } from './products.js';
import { toOrder, type RequisitionProgram } from './requisitions.js';
import { allOf } from './rts.js';

/**
 * The RTS order program's requisition events as orders to read (SupplyRequest search/read), the
 * same decoding the rtsToMsupply bridge uses (requisitions.ts `toOrder`): one order per event at
 * its org unit, a line per product with a quantity, each line under the FHIR edge's SupplyRequest
 * id formula. Completed events are active orders, events still open drafts. Read only: the
 * requisitions are raised in DHIS2 (RTS on Android), never by the mediator.
 * Not yet wired into the connector: routing takes any connector with `orders` as a SupplyRequest
 * writer, so serving these needs routing to accept an order capability that only reads.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- DHIS2 JSON, read field by field with checks
type Json = Record<string, any>;

export type OrderReader = Pick<OrderCapability, 'get' | 'search'>;

export interface RequisitionOrderDeps {
  client: Dhis2Client;
  reader: OrgUnitReader;
  products: () => Dhis2ProductMap;
  program: () => RequisitionProgram;
}

const FIELDS = 'event,program,status,orgUnit,occurredAt,updatedAt,dataValues[dataElement,value]';

/** The SupplyRequest id of an order line, as the FHIR edge gives it. */
const lineIdOf = (o: Order, product: { system: string; code: string }) => orderLineId(o.orderNumber, product);

export function createRequisitionOrders(deps: RequisitionOrderDeps): OrderReader {
  const decode = async (events: Json[]): Promise<Order[]> => {
    const p = deps.program();
    const products = deps.products();
    const orgUnits = new Map<string, Promise<Json | undefined>>();
    const out: Order[] = [];
    for (const e of events) {
      const uid = String(e.orgUnit);
      if (!orgUnits.has(uid)) orgUnits.set(uid, deps.reader.byId(uid));
      const o = toOrder(e, await orgUnits.get(uid), p, products);
      // an event that is no order (no quantity, an unknown product) is not served as one
      if (!('orderNumber' in o)) continue;
      out.push({
        ...o,
        status: e.status === 'COMPLETED' ? 'active' : 'draft',
        lines: o.lines.map((l) => ({ ...l, lineId: lineIdOf(o, l.product) })),
      });
    }
    return out;
  };
  const events = (query: Json) =>
    allOf<Json>(deps.client, '/api/tracker/events', 'events', {
      program: deps.program().program,
      programStage: deps.program().stage,
      fields: FIELDS,
      ...query,
    });

  return {
    async get(id) {
      // an event UID reads that event; a line id (a hash) is found among the program's orders
      if (isUid(id)) {
        const res = await deps.client.send<Json>({
          method: 'GET',
          path: `/api/tracker/events/${id}`,
          query: { fields: FIELDS },
          accept: [404],
        });
        if (res.status === 404 || res.body.program !== deps.program().program) return undefined;
        return (await decode([res.body]))[0];
      }
      const all = await decode(await events({}));
      return all.find((o) => o.id === id || o.lines.some((l) => l.lineId === id));
    },
    async search(criteria: SearchCriteria) {
      // DHIS2 filters by org unit; the rest (identifier, dates, status) the FHIR edge filters
      if (criteria.facility && !isUid(criteria.facility)) return { items: [] };
      return { items: await decode(await events(criteria.facility ? { orgUnit: criteria.facility } : {})) };
    },
  };
}
