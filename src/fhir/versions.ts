/** The FHIR versions we serve and the base path of each (DESIGN §1: R4 at /fhir, R5 at /fhir/R5). */
export type FhirVersion = 'r4' | 'r5';

export const fhirVersionNumber: Record<FhirVersion, string> = { r4: '4.0.1', r5: '5.0.0' };
export const basePath: Record<FhirVersion, string> = { r4: '/fhir', r5: '/fhir/R5' };

/** The base a request path is on: `/fhir/R5…` R5, `/fhir…` R4, anything else none. */
export function versionOfPath(url: string): FhirVersion | undefined {
  if (/^\/fhir\/R5(?=[/?]|$)/.test(url)) return 'r5';
  return /^\/fhir(?=[/?]|$)/.test(url) ? 'r4' : undefined;
}
