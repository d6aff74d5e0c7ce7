import { statSync } from 'node:fs';
import type { Settings } from '../config/settings.js';
import type { Facility } from '../domain/facility.js';
import type { Connector } from '../routing/ports.js';

/**
 * What the review queue shows beside an id: the facility itself on each side. The crosswalk keeps
 * only ids and scores, so the console reads the lists the reconcile job reads: the registry file
 * (`registry.file`) and each system's facility list through its connector. Both are cached for a
 * short while (a reviewer moves through many records; a system's list is one paged read).
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

export function mediatorDirectory(deps: {
  settings: () => Settings;
  connectors: () => Connector[];
  ttlMs?: number;
  now?: () => number;
}): FacilityDirectory {
  const ttl = deps.ttlMs ?? 60_000;
  const now = deps.now ?? Date.now;
  let registryCache: { file: string; mtime: number; at: number; map: Map<string, Facility> } | undefined;
  const systemCache = new Map<string, { at: number; map: Promise<Map<string, Facility>> }>();
  return {
    async registry() {
      const file = deps.settings()['registry.file'];
      if (typeof file !== 'string' || file === '') return new Map();
      const mtime = statSync(file).mtimeMs;
      if (!registryCache || registryCache.file !== file || registryCache.mtime !== mtime) {
        const { loadFacilityList } = await import('../registry/facility-list.js');
        const map = await byId(loadFacilityList(file, { system: 'registry' }).records);
        registryCache = { file, mtime, at: now(), map };
      }
      return registryCache.map;
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
    systems() {
      return deps
        .connectors()
        .filter((c) => c.facilities?.listAll)
        .map((c) => c.system);
    },
  };
}
