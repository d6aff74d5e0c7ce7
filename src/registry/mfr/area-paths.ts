import type { Facility } from '../../domain/facility.js';
import type { RegistryRecord } from './types.js';

/**
 * The registry's jurisdictions by id (name and parent), so each record can carry `areaPath`: the
 * names of its enclosing jurisdictions, nearest first, as the matcher and the review queue use
 * them. Filled from every page the client reads (a renamed district arrives as a change of its
 * Location and is used from then on) and, for parents no page has shown yet, by one search of
 * their ids. A facility between a record and its jurisdiction (a ward's hospital) is walked
 * through but not named: areaPath lists areas only.
 */
export interface AreaNode {
  name: string;
  kind: Facility['kind'];
  partOf?: string;
}

/** Deep enough for any real hierarchy (mCSD jurisdictions: country → … → ward, rarely 6 levels). */
const MAX_DEPTH = 20;

export class AreaDirectory {
  private readonly nodes = new Map<string, AreaNode>();
  private readonly missing = new Set<string>();

  clear(): void {
    this.nodes.clear();
    this.missing.clear();
  }

  /** Learns from records in order (the last version of a Location wins); a deletion forgets it. */
  learn(records: RegistryRecord[]): void {
    for (const r of records) {
      if (r.invalid) continue; // an invalid version says nothing: the one before it stands
      if (!r.facility) {
        this.nodes.delete(r.id);
        continue;
      }
      this.nodes.set(r.id, { name: r.facility.name, kind: r.facility.kind, partOf: r.facility.partOf });
      this.missing.delete(r.id);
    }
  }

  /** Parents (and their parents) neither known nor known to be missing. */
  unknownAncestors(records: RegistryRecord[]): string[] {
    const out = new Set<string>();
    for (const r of records) {
      const seen = new Set<string>([r.id]);
      for (let id = r.facility?.partOf, depth = 0; id && depth < MAX_DEPTH && !seen.has(id); depth++) {
        seen.add(id);
        const node = this.nodes.get(id);
        if (!node) {
          if (!this.missing.has(id)) out.add(id);
          break;
        }
        id = node.partOf;
      }
    }
    return [...out];
  }

  /** Ids asked for and not found (deleted, unpublished): not asked again until the next clear. */
  markMissing(ids: string[]): void {
    for (const id of ids) if (!this.nodes.has(id)) this.missing.add(id);
  }

  pathOf(facility: Facility): string[] {
    const names: string[] = [];
    const seen = new Set<string>(facility.id ? [facility.id] : []);
    for (let id = facility.partOf, depth = 0; id && depth < MAX_DEPTH && !seen.has(id); depth++) {
      seen.add(id);
      const node = this.nodes.get(id);
      if (!node) break;
      if (node.kind === 'area') names.push(node.name);
      id = node.partOf;
    }
    return names;
  }

  /** Sets each record's areaPath from what is known now. */
  annotate(records: RegistryRecord[]): void {
    for (const r of records) {
      if (!r.facility) continue;
      const path = this.pathOf(r.facility);
      if (path.length) r.facility.areaPath = path;
      else delete r.facility.areaPath;
    }
  }
}
