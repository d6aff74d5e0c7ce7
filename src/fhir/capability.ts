import type { Json } from './codecs/common.js';
import { resourceRoutes } from './routes.js';
import { definitionUrl, searchParameterResource } from './search-params.js';
import type { Flow } from './services.js';
import { fhirVersionNumber, type FhirVersion } from './versions.js';

export interface CapabilityInfo {
  softwareName: string;
  softwareVersion: string;
  baseUrl: string;
  /** The date the running software was released/started, ISO. */
  date: string;
  authModes: string[];
}

/** The interactions that only read: what a resource served read only offers. */
const READS = new Set(['read', 'vread', 'search-type']);

/**
 * Generated from the same route table that serves requests. `readOnly(flow)` says why a flow
 * takes no writes with the systems configured now (DHIS2 RTS requisitions are only read): its
 * resource then lists only its read interactions, and the reason in its documentation.
 */
export function capabilityStatement(
  version: FhirVersion,
  info: CapabilityInfo,
  readOnly: (flow: Flow) => string | undefined = () => undefined,
): Json {
  const routes = resourceRoutes.filter((r) => r.versions.includes(version));
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: info.date,
    publisher: 'FHIR supply-chain mediator',
    kind: 'instance',
    software: { name: info.softwareName, version: info.softwareVersion },
    implementation: { description: 'FHIR supply-chain mediator for OpenHIE', url: info.baseUrl },
    fhirVersion: fhirVersionNumber[version],
    format: ['json'],
    rest: [
      {
        mode: 'server',
        documentation:
          'Reads are served live from the system of record; writes are durable before they are acknowledged (201 done, 202 queued).',
        security: {
          cors: false,
          description: `Authentication: ${info.authModes.join(', ') || 'none (disabled by configuration)'}`,
        },
        resource: routes.map((r) => {
          const only = readOnly(r.flow);
          return {
            type: r.type,
            documentation: only ? `${r.documentation} Read only here: ${only}` : r.documentation,
            interaction: r.interactions.filter((code) => !only || READS.has(code)).map((code) => ({ code })),
            versioning: 'versioned',
            readHistory: false,
            updateCreate: !only,
            conditionalCreate: !only,
            // If-None-Match and If-Modified-Since both (conditional-read.ts)
            conditionalRead: 'full-support',
            conditionalUpdate: false,
            conditionalDelete: 'not-supported',
            searchParam: r.searchParams.map((p) => ({
              name: p.name,
              definition: definitionUrl(r.type, p),
              type: p.type,
              documentation: p.description,
            })),
          };
        }),
        interaction: [{ code: 'transaction' }, { code: 'batch' }],
        operation: [{ name: 'validate', definition: 'http://hl7.org/fhir/OperationDefinition/Resource-validate' }],
      },
    ],
  };
}

/** The SearchParameter resources we define (where FHIR has none), by id. */
export function ownSearchParameters(version: FhirVersion): Map<string, Json> {
  const out = new Map<string, Json>();
  for (const r of resourceRoutes.filter((x) => x.versions.includes(version))) {
    for (const p of r.searchParams.filter((x) => !x.official)) {
      const sp = searchParameterResource(r.type, p, fhirVersionNumber[version]);
      out.set(String(sp.id), sp);
    }
  }
  return out;
}
