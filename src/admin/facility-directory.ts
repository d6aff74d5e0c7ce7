import { statSync } from 'node:fs';
import type { Settings } from '../config/settings.js';
import type { Facility } from '../domain/facility.js';
import type { RegistryClient } from '../registry/mfr/types.js';
import { readRegistryFile, readRegistryServer, registrySource } from '../registry/registry-facilities.js';
import type { Store } from '../store/types.js';
import type { Connector } from '../routing/ports.js';

/**
 * What the review queue shows beside an id: the facility itself on each side. The crosswalk keeps
 * only ids and scores, so the console reads the lists the reconcile job reads: the registry (its
 * server when `registry.url` is set, else `registry.file`: registry-facilities.ts) and each
 * system's facility list through its connector. Both are cached for a short while (a reviewer
 * moves through many records; a list is one paged read); a file is read again when it changes.
 */
export interface FacilityDirectory {
  registry(): Promise<Map<string, Facility>>;
  system(name: string): Promise<Map<string, Facility>>;
  /** Systems whose facilities can be reconciled (a review queue may exist for each). */
  systems(): string[];
}

// the matcher's preparation and the CSV reader are imported on the console's first read, not at
// start-up (issue 18: nothing here is needed to answer /health)
const byId = async (list: (Facility | { facility: Facility })[]) => {
  const { toMatchRecord } = await import('../registry/match/prepare.js');
  const out = new Map<string, Facility>();
  list.forEach((input, i) => {
    const f = toMatchRecord(input as Facility).facility;
    out.set(f.id ?? String(i), f); // the same id the reconcile run gives (src/registry/reconcile-run.ts idOf)
  });
  return out;
};

/** Without a store, no crosswalk: the list's own ids (list-ids.ts). */
const NO_CROSSWALK: Pick<Store, 'listCrosswalk'> = { listCrosswalk: () => Promise.resolve([]) };

export function mediatorDirectory(deps: {
  settings: () => Settings;
  connectors: () => Connector[];
  /** The mediator's registry client (registry.url); without it a read makes its own. */
  registry?: () => RegistryClient | undefined;
  /** The stored crosswalk: whether the reconcile job reads registry.file by row numbers. */
  store?: Pick<Store, 'listCrosswalk'>;
  ttlMs?: number;
  now?: () => number;
}): FacilityDirectory {
  const ttl = deps.ttlMs ?? 60_000;
  const now = deps.now ?? Date.now;
  let fileCache: { file: string; mtime: number; at: number; map: Map<string, Facility> } | undefined;
  let serverCache: { url: string; at: number; map: Promise<Map<string, Facility>> } | undefined;
  const systemCache = new Map<string, { at: number; map: Promise<Map<string, Facility>> }>();
  const reconciled = () =>
    deps
      .connectors()
      .filter((c) => c.facilities?.listAll)
      .map((c) => c.system);
  return {
    async registry() {
      const settings = deps.settings();
      const source = registrySource(settings);
      if (source.kind === 'none') return new Map();
      if (source.kind === 'url') {
        if (serverCache && serverCache.url === source.url && now() - serverCache.at < ttl) return serverCache.map;
        const map = readRegistryServer(settings, deps.registry).then(byId);
        const entry = { url: source.url, at: now(), map };
        serverCache = entry;
        // a failed read (the registry down) is not kept: the next page view tries again
        map.catch(() => {
          if (serverCache === entry) serverCache = undefined;
        });
        return map;
      }
      const mtime = statSync(source.file).mtimeMs;
      // the ids the reconcile job gives the file's records (row numbers while its crosswalk has
      // them), read again when the file changes, and after the TTL: a run may store a crosswalk
      const fresh = fileCache?.file === source.file && fileCache.mtime === mtime && now() - fileCache.at < ttl;
      if (!fresh) {
        const list = await readRegistryFile(source.file, deps.store ?? NO_CROSSWALK, reconciled());
        fileCache = { file: source.file, mtime, at: now(), map: await byId(list.records) };
      }
      return fileCache!.map;
    },
    async system(name) {
      const connector = deps.connectors().find((c) => c.system === name && c.facilities?.listAll);
      if (!connector) return new Map();
      const cached = systemCache.get(name);
      if (cached && now() - cached.at < ttl) return cached.map;
      const map = connector.facilities!.listAll!().then(byId);
      systemCache.set(name, { at: now(), map });
      // a failed read is not kept: the next page view tries again
      map.catch(() => systemCache.delete(name));
      return map;
    },
    systems: reconciled,
  };
}
