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
  /**
   * The other codings the client gave in the same CodeableConcept (and its text last), in order:
   * a system that does not know this code tries these, and the first it knows wins.
   */
  alternatives?: Code[];
}

/** A code and its alternatives, in the order to try them (each without alternatives of its own). */
export function codeCandidates(code: Code | undefined): Code[] {
  if (!code) return [];
  const { alternatives, ...first } = code;
  return [first, ...(alternatives ?? [])];
}

/** The names a system that keys by name may know a code by: each candidate's code, then its display. */
export function codeNames(code: Code | undefined): string[] {
  const names = codeCandidates(code).flatMap((c) => [c.code, c.display ?? '']);
  return [...new Set(names.filter((n) => n.trim()))];
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
