import type { FhirServices, Flow, PlannedWrite, WriteOutcome } from '../fhir/services.js';
import type { Outbox } from '../outbox/outbox.js';
import type { Store } from '../store/types.js';
import type { Connector } from './ports.js';
import { DELIVERIES, FACILITIES, ORDERS, STOCK, type FlowSpec } from './flows.js';
import { RoutedFlow } from './routed-flow.js';
import { precheckAll, settleTransaction } from './transaction.js';

export interface RoutingDeps {
  connectors: Connector[];
  outbox: Outbox;
  store: Store;
}

/**
 * The hub (DESIGN §3): the FHIR services over the configured connectors. A flow no connector
 * serves is left out, so the edge answers with the OperationOutcome naming what to configure.
 * Registers each flow's outbox delivery handler as a side effect.
 */
export function createRoutingServices(deps: RoutingDeps): FhirServices {
  const specs = { facilities: FACILITIES, orders: ORDERS, deliveries: DELIVERIES, stock: STOCK } as Record<Flow, FlowSpec<any>>;
  const flows = {} as Record<Flow, RoutedFlow<any>>;
  const services: FhirServices = {};
  for (const [name, spec] of Object.entries(specs) as [Flow, FlowSpec<any>][]) {
    flows[name] = new RoutedFlow(spec, deps.connectors, deps.outbox, deps.store);
    if (!deps.connectors.some((c) => spec.read(c) || spec.search(c) || spec.write(c))) continue;
    flows[name].registerHandlers();
    services[name] = flows[name];
  }
  services.writeAll = async (writes: PlannedWrite[]): Promise<WriteOutcome<unknown>[]> => {
    // every entry checked before any is recorded: one bad entry leaves upstream and store untouched
    await precheckAll(writes, (w, earlier) => flows[w.flow].precheck(w.value, earlier));
    const outcomes = await deps.outbox.acceptWrites(writes.map((w) => flows[w.flow].acceptRequest(w.value, w.context)));
    const answers = settleTransaction(writes, (i) => flows[writes[i].flow].toWriteOutcome(writes[i].value, outcomes[i]));
    return Promise.all(answers.map((a, i) => flows[writes[i].flow].asStored(a)));
  };
  return services;
}
