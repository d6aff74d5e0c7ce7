/** Case and accents folded away: "Hôpital" and "hopital" are one name to a search. */
function fold(s: string): string {
  return s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

/**
 * A facility's `name` search, as every connector answers it: the name or any word of it starts
 * with the value, case- and accent-insensitive ("district" finds "Kiambu District Hospital").
 * One function so the systems cannot drift apart again: OpenMRS matched only the start of the
 * whole name while DHIS2, Open mSupply and OpenLMIS matched any word.
 */
export function nameMatches(name: string, wanted: string): boolean {
  const n = fold(name);
  const w = fold(wanted);
  return n.startsWith(w) || n.split(/\s+/).some((word) => word.startsWith(w));
}
