import type { Identifier } from './identifiers.js';

/**
 * A write's business key: `kind|system|value`, with marks of the outbox's after it (a draft's
 * `|in-progress:2`, an order's `|rev:3`, a secondary target's copy `|dhis2`). Until v68 the
 * system and value went in as they were, and an app may put '|' in a value (`ORD|77`): delivery
 * `DL-1|dhis2` was keyed as DL-1's copy for DHIS2, `DL-1|in-progress` as DL-1's first draft,
 * order `ORD-1|rev:2` as ORD-1's second revision, so one write was refused as "already used" by
 * another's job (or answered as it). Each part is escaped now: '%' as `%25`, '|' as `%7C` (percent
 * encoding, so '%' itself is escaped and no two parts share a spelling). A part holds no bar, so
 * the bars of a key are the joints of its parts and marks, and no two writes share a key.
 *
 * Why escaping, and not a new key form beside the old one: a part with neither character (nearly
 * every identifier) is spelled as before, so every row stored under it keeps its key and a retry
 * across the upgrade finds its job. The few stored under a part with one of them are rekeyed by
 * v68 (store/escaped-keys.ts) from their own payload, which names the identifier: unambiguous
 * where the old key was not. A new key form would have left each old key to be looked up in its
 * old spelling, which is exactly the ambiguous one. What an instance of an older release still
 * running after v68 stores is keyed as before: a write whose key changed looks under its former
 * key too, and takes only a job of that very write there (routing/flows.ts keysOfWrite).
 */
export function businessKey(kind: string, id: Identifier): string {
  return `${kind}|${keyPart(id.system)}|${keyPart(id.value)}`;
}

/** businessKey as releases before v68 spelled it (routing/flows.ts formerKey): unescaped. */
export function unescapedBusinessKey(kind: string, id: Identifier): string {
  return `${kind}|${id.system}|${id.value}`;
}

/** A system or value as a key holds it: no bar, so it ends where the next bar is. */
export function keyPart(text: string): string {
  // nearly every identifier holds neither: kept as it is, without a regular expression's pass
  if (!text.includes('%') && !text.includes('|')) return text;
  return text.replace(/%/g, '%25').replace(/\|/g, '%7C');
}

/** The text a key part was made from (keyPart's inverse). */
export function keyPartText(part: string): string {
  return part.replace(/%(25|7C)/g, (_, hex: string) => (hex === '25' ? '%' : '|'));
}
