/** A business identifier: the system says who issued the value (a registry, an LMIS, GS1 …). */
export interface Identifier {
  system: string;
  value: string;
}

/** A coded value from some code system (product codes, facility types, reasons). */
export interface Code {
  system?: string;
  code: string;
  display?: string;
}

/**
 * A pointer to a facility as the client gave it: our Location id, or a business identifier, or
 * both. Routing resolves it to each system's own id through the crosswalk.
 */
export interface FacilityRef {
  id?: string;
  identifier?: Identifier;
  display?: string;
}

/** Where a domain object came from: the system of record and that system's own id. */
export interface SourceRef {
  system: string;
  id: string;
  version?: string;
}

export function sameIdentifier(a: Identifier | undefined, b: Identifier | undefined): boolean {
  return !!a && !!b && a.system === b.system && a.value === b.value;
}
