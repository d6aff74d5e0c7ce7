import type { Delivery, Facility, Order, StockReport } from '../../src/domain/index.js';
import type { FhirServices, FlowService, WriteOutcome } from '../../src/fhir/services.js';
import type { Page, SearchCriteria } from '../../src/routing/ports.js';

/**
 * An in-memory system of record for exercising the FHIR edge in tests: it stores domain objects
 * by key, stamps lastUpdated, applies a few criteria, and can roll back a transaction. It is a
 * test double of the routing layer, not a connector.
 */
class MemoryFlow<T extends { lastUpdated?: string }> implements FlowService<T> {
  items = new Map<string, T>();
  writes = 0;
  failNext?: Error;
  constructor(
    private keyOf: (v: T) => string,
    private idsOf: (v: T) => string[],
    private matches: (v: T, c: SearchCriteria) => boolean,
  ) {}

  async read(id: string): Promise<T | undefined> {
    return [...this.items.values()].find((v) => this.idsOf(v).includes(id));
  }

  async search(criteria: SearchCriteria): Promise<Page<T>> {
    return { items: [...this.items.values()].filter((v) => this.matches(v, criteria)) };
  }

  async write(value: T): Promise<WriteOutcome<T>> {
    if (this.failNext) {
      const err = this.failNext;
      this.failNext = undefined;
      throw err;
    }
    this.writes++;
    const key = this.keyOf(value);
    const existed = this.items.has(key);
    const stored = { ...value, lastUpdated: new Date(Date.now() + this.writes).toISOString() };
    this.items.set(key, stored);
    return { status: existed ? 'updated' : 'created', value: stored };
  }
}

function identifierMatches(list: { system: string; value: string }[], c: SearchCriteria): boolean {
  return (
    !c.identifier ||
    list.some((i) => i.value === c.identifier!.value && (!c.identifier!.system || i.system === c.identifier!.system))
  );
}

export function memoryServices() {
  const facilities = new MemoryFlow<Facility>(
    (f) => f.id!,
    (f) => [f.id!],
    (f, c) =>
      identifierMatches(f.identifiers, c) &&
      (!c.name || f.name.toLowerCase().startsWith(c.name.toLowerCase())) &&
      (!c.status || f.status === c.status) &&
      (!c.partOf || f.partOf === c.partOf),
  );
  const orders = new MemoryFlow<Order>(
    (o) => `${o.orderNumber.system}|${o.orderNumber.value}`,
    (o) => o.lines.map((l) => l.lineId!),
    (o, c) =>
      identifierMatches([o.orderNumber, ...o.lines.flatMap((l) => l.identifiers ?? [])], c) &&
      (!c.status || o.status === c.status) &&
      (!c.facility || o.facility.id === c.facility),
  );
  const deliveries = new MemoryFlow<Delivery>(
    (d) => `${d.identifier.system}|${d.identifier.value}`,
    (d) => [...(d.id ? [d.id] : []), ...d.lines.map((l) => l.lineId!).filter(Boolean)],
    (d, c) =>
      identifierMatches([d.identifier], c) &&
      (!c.status || d.status === c.status) &&
      (!c.facility || d.destination.id === c.facility),
  );
  const stock = new MemoryFlow<StockReport>(
    (s) => s.id!,
    (s) => [s.id!],
    (s, c) => identifierMatches(s.identifier ? [s.identifier] : [], c) && (!c.facility || s.facility.id === c.facility),
  );
  const flows = { facilities, orders, deliveries, stock };
  const services: FhirServices = {
    ...flows,
    // the same contract as routing's writeAll: all applied, or none (a refusal rolls back the rest)
    async writeAll(writes) {
      const snapshot = Object.fromEntries(
        Object.entries(flows).map(([k, f]) => [k, new Map(f.items as Map<string, unknown>)]),
      );
      const outcomes: WriteOutcome<unknown>[] = [];
      for (const w of writes) {
        try {
          outcomes.push(await (flows[w.flow] as MemoryFlow<any>).write(w.value));
        } catch (err) {
          for (const [k, f] of Object.entries(flows)) (f as MemoryFlow<any>).items = snapshot[k] as Map<string, any>;
          throw w.posted ? w.posted(err) : err;
        }
      }
      return outcomes;
    },
  };
  return { services, flows };
}

/** No flow configured: the edge must answer with the OperationOutcome naming what to configure. */
export function noServices(): FhirServices {
  return {
    writeAll: async () => {
      throw new Error('no flow is configured, so no write can reach writeAll');
    },
  };
}
