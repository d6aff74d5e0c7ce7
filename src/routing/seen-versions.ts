import { contentVersion } from '../domain/ids.js';
import { ContentMemo } from '../domain/content-memo.js';
import { sameContent } from '../domain/same-content.js';

// (moved to domain/: the FHIR edge reuses encodings by it too)
export { sameContent };

/** Ids remembered; past this the longest unchanged are dropped (a few MB at most). */
const MAX_IDS = 5_000;

/**
 * The content versions of what searches return, without hashing again what has not changed (issue
 * 18: the canonical JSON and SHA-256 of every match were the largest per-item cost of a Location
 * search the routing layer adds). A value equal, member by member, to the one last hashed under the
 * same FHIR id has that one's version; anything else is hashed. Equality is decided the way
 * canonicalJson would see it (undefined members absent, key order ignored) and is conservative:
 * whatever it is unsure of (class instances, NaN, an undefined array item) counts as changed and is
 * hashed, so a version given out is always contentVersion(value).
 */
export class SeenVersions {
  private readonly memo: ContentMemo<string>;

  constructor(maxIds = MAX_IDS) {
    this.memo = new ContentMemo(maxIds);
  }

  version(id: string, value: unknown): string {
    return this.memo.get(id, value, () => contentVersion(value));
  }
}
