// eslint-disable-next-line @typescript-eslint/no-explicit-any -- upstream JSON as parsed
type Json = Record<string, any>;

/**
 * Whether a PUT of `body` over the object as just read would change nothing, so a connector can
 * leave it unwritten. Every write to OpenLMIS and DHIS2 is audited upstream (and a DHIS2 org-unit
 * write clears its caches): the first propagation after a national reconcile linked thousands of
 * records that already agree with the registry, and writing each one again took hours for nothing.
 *
 * A PUT replaces the object, so the top level is compared both ways (a field the body leaves out,
 * DHIS2's closedDate on a reopening, is a change). Below it the body's fields are looked for in
 * what was read: a reference sent as `{ id }` is the object read with that id and its other fields
 * (a zone with its name and parents), and a nested entry's derived fields are the server's own.
 * Absent and null are the same (servers drop nulls from their answers).
 */
export function putChangesNothing(body: Json, read: Json): boolean {
  const keys = new Set([...Object.keys(body), ...Object.keys(read)]);
  return [...keys].every((k) => sameValue(body[k], read[k]));
}

function sameValue(sent: unknown, read: unknown): boolean {
  if (sent === undefined || sent === null) return read === undefined || read === null;
  if (Array.isArray(sent))
    return Array.isArray(read) && sent.length === read.length && sent.every((v, i) => sameValue(v, read[i]));
  if (typeof sent === 'object')
    return (
      typeof read === 'object' &&
      read !== null &&
      !Array.isArray(read) &&
      Object.entries(sent as Json).every(([k, v]) => sameValue(v, (read as Json)[k]))
    );
  return sent === read;
}
