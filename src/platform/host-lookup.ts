/**
 * A HOST that is no address and no name this machine resolves fails in getaddrinfo before any
 * listen, and came out as Node's error object (`Error: getaddrinfo ENOTFOUND …` with its fields).
 * Only an error for the HOST itself: a DATABASE_URL host failing the same way is the database's.
 */
export function hostLookupProblem(err: unknown, host: string): string | undefined {
  const e = err as { syscall?: string; code?: string; hostname?: string } | undefined;
  if (e?.syscall !== 'getaddrinfo' || e.hostname !== host) return undefined;
  return `server.host (HOST): ${host} does not resolve to an address (${e.code ?? 'lookup failed'}); give an address of this machine (0.0.0.0 for every interface) or a name that resolves to one`;
}
