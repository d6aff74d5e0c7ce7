import type { Json } from './codecs/common.js';
import { isShared, resourceJson } from './encoded-resources.js';

/** Searchset texts remembered: the last few distinct repeated searches (~28 KB each for 20 Locations). */
const KEEP = 8;

/** One searchset text, and what it was made of. */
interface Made {
  fullUrlBase: string;
  resources: readonly Json[];
  text: string;
}

/**
 * JSON.stringify of a searchset Bundle, assembled from each shared resource's text
 * (encoded-resources.ts: made once per resource, so an unchanged facility's entry costs a string
 * join, not a walk of its 5 KB). `entry` is the Bundle's last member, so the text is the head's
 * text with the entries appended.
 *
 * A repeated search over unchanged matches answers the very text it answered before (issue 18):
 * the same head text (self and next links, total: the query and the base URL are in them) and
 * the same shared resources, by identity, make the same bytes, and the join of 26 KB is skipped.
 * Shared resources are deep-frozen, so one that is the same object has the same text; a search
 * with any resource that is not shared is assembled every time and not remembered.
 */
export class SearchsetTexts {
  /** By head text, the most recently used last. */
  private readonly last = new Map<string, Made>();

  constructor(private readonly keep = KEEP) {}

  /** The text of `{...head, entry}`, each entry `{fullUrl: fullUrlBase + id, resource, search: match}`. */
  text(head: Json, fullUrlBase: string, resources: readonly Json[]): string {
    const headText = JSON.stringify(head);
    const known = this.last.get(headText);
    if (known && known.fullUrlBase === fullUrlBase && sameItems(known.resources, resources)) {
      this.last.delete(headText);
      this.last.set(headText, known);
      return known.text;
    }
    const text = assemble(headText, fullUrlBase, resources);
    if (resources.every(isShared)) {
      this.last.delete(headText);
      this.last.set(headText, { fullUrlBase, resources: [...resources], text });
      if (this.last.size > this.keep) this.last.delete(this.last.keys().next().value as string);
    }
    return text;
  }

  /** How many texts are remembered (for tests). */
  get size(): number {
    return this.last.size;
  }
}

function sameItems(a: readonly Json[], b: readonly Json[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function assemble(headText: string, fullUrlBase: string, resources: readonly Json[]): string {
  const entries = resources.map(
    (r) =>
      `{"fullUrl":${JSON.stringify(`${fullUrlBase}${r.id}`)},"resource":${resourceJson(r)},"search":{"mode":"match"}}`,
  );
  return `${headText.slice(0, -1)},"entry":[${entries.join(',')}]}`;
}
