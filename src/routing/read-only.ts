import { BusinessRuleError } from '../domain/errors.js';
import { systemsForFlow } from '../fhir/services.js';
import type { FlowSpec } from './flows.js';
import type { Connector } from './ports.js';

/**
 * Systems that serve a flow read only (DHIS2 RTS requisitions: raised by the facilities in DHIS2,
 * read as SupplyRequests, never written by the mediator). Routing takes them as no writer; a write
 * of what one holds, or of a flow only they serve, is refused naming the system and why, before
 * any routing rule could send it to another system.
 */
export interface ReadOnlyServer<T> {
  system: string;
  reason: string;
  holds(value: T): boolean;
}

export function readOnlyServers<T>(spec: FlowSpec<T>, connectors: Connector[]): ReadOnlyServer<T>[] {
  return connectors.flatMap((c) => {
    const readOnly = spec.readOnly?.(c);
    return readOnly ? [{ system: c.system, reason: readOnly.reason, holds: (v: T) => readOnly.holds(v) }] : [];
  });
}

/** Why the flow takes no writes with these connectors (only read-only systems serve it); undefined when it does. */
export function readOnlyReason<T>(spec: FlowSpec<T>, connectors: Connector[]): string | undefined {
  if (connectors.some((c) => spec.write(c))) return undefined;
  const servers = readOnlyServers(spec, connectors);
  return servers.length ? servers.map((s) => `${s.system}: ${s.reason}`).join('; ') : undefined;
}

/** System → why it serves the flow read only, for the refusal of a rule that routes a write to it. */
export function readOnlyReasons<T>(spec: FlowSpec<T>, connectors: Connector[]): Map<string, string> {
  return new Map(readOnlyServers(spec, connectors).map((s) => [s.system, s.reason]));
}

/** 422 for a write of what a read-only system holds, or of a flow no system takes writes of but read-only ones serve. */
export function refuseReadOnlyWrite<T>(spec: FlowSpec<T>, connectors: Connector[], value: T): void {
  const servers = readOnlyServers(spec, connectors);
  if (!servers.length) return;
  // the value as a whole (the order), in the edge's terms: 'Order' → SupplyRequest
  const where = [spec.routeBy(value).facilityPath.split('.')[0]];
  const holder = servers.find((s) => s.holds(value));
  if (holder)
    throw new BusinessRuleError(
      `${holder.system} holds this, and the mediator only reads ${spec.flow} there: ${holder.reason}`,
      where,
    );
  if (!connectors.some((c) => spec.write(c)))
    throw new BusinessRuleError(
      `no configured system takes ${spec.flow} writes: ${servers.map((s) => `${s.system} serves them read only (${s.reason})`).join('; ')}; configure ${systemsForFlow[spec.flow].join(' or ')} to take them`,
      where,
    );
}
