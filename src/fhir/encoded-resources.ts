import { ContentMemo } from '../domain/content-memo.js';
import { deepFreeze } from '../platform/deep-freeze.js';
import type { Json } from './codecs/common.js';
import { jsonText } from './json-text.js';

/** Values remembered; past this the longest unchanged are dropped (about 5 KB each). */
const MAX_VALUES = 2_000;

/**
 * The resources a search answers, encoded again only when their domain value changed (issue 18:
 * encoding 20 Locations and hashing each for its versionId was most of a 20-item search's own
 * work, and a facility list rarely changes between two searches). A value equal in content
 * (domain/same-content.ts) to the one last encoded under the same key gets those resources again,
 * versionId already hashed; anything else is encoded. Only for encoders that are pure functions
 * of (FHIR version, value): the caller names those.
 *
 * The resources are shared by every answer that reuses them, so they are frozen: a caller that
 * changes an answered resource in place fails at once instead of changing the next answer.
 * The remembered value is the caller's: values handed here are not changed afterwards (searches
 * build a new value for every answer).
 */
export class EncodedResources {
  private readonly memo: ContentMemo<Json[]>;

  constructor(maxValues = MAX_VALUES) {
    this.memo = new ContentMemo(maxValues);
  }

  encode(key: string, value: unknown, encode: () => Json[]): Json[] {
    return this.memo.get(key, value, () => encode().map(shared));
  }

  get size(): number {
    return this.memo.size;
  }
}

/**
 * The JSON text of each shared resource, made when first asked for (null until then). A shared
 * resource is deep-frozen, so its text cannot change: a searchset answering an unchanged facility
 * again reuses its entry's text instead of serialising 5 KB again (issue 18: JSON.stringify of a
 * 20-item answer was 80-150 µs). Keyed weakly: a resource the memo dropped takes its text along.
 */
const texts = new WeakMap<object, string | null>();

function shared(resource: Json): Json {
  texts.set(deepFreeze(resource), null);
  return resource;
}

/** Whether this memo handed `resource` out: deep-frozen, shared between answers. */
export function isShared(resource: Json): boolean {
  return texts.has(resource);
}

/** JSON.stringify(resource), made once for a resource this memo handed out. */
export function resourceJson(resource: Json): string {
  const known = texts.get(resource);
  if (known) return known;
  const text = jsonText(resource); // the text withMeta made, when it did
  if (known === null) texts.set(resource, text);
  return text;
}
