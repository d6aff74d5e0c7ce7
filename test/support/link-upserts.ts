import type { ResourceLink, Store } from '../../src/store/index.js';

/**
 * The links each engine's upsert of resource_links was run for (both stores' one such method,
 * insertLinks, wrapped on this instance): a link a putLinks left out because it is stored as it
 * would be written is not among them. On SQLite each run is a synced commit.
 */
export function linkUpserts(store: Store): ResourceLink[] {
  const seen: ResourceLink[] = [];
  const target = store as unknown as { insertLinks(links: ResourceLink[], ...rest: unknown[]): unknown };
  const own = target.insertLinks.bind(store);
  target.insertLinks = (links, ...rest) => {
    seen.push(...links);
    return own(links, ...rest);
  };
  return seen;
}
