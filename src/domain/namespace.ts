/**
 * The URI namespace of every identifier system, code system and extension this mediator defines
 * where the standards have none. Connectors name their systems' identifiers under it (e.g.
 * `${NS}/openlmis/facility`), the FHIR edge its extensions: one value both depend on, kept in the
 * domain so neither imports the other. Documented in README "FHIR conventions".
 */
export const NS = 'http://fhir-supply-mediator.org/fhir';
