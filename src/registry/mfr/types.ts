import type { Settings } from '../../config/settings.js';
import type { Facility } from '../../domain/facility.js';

/**
 * The master facility registry client's contract (issue 14): what propagation and the reconcile
 * job read from an mCSD directory. One record per Location version; a DELETE in the directory's
 * history is a record without a facility.
 */
export interface RegistryRecord {
  /** The registry's Location id. */
  id: string;
  /** meta.versionId, else meta.lastUpdated: changes whenever the content changes. */
  version: string;
  /** ISO instant (meta.lastUpdated; a deletion's response.lastModified). */
  lastUpdated: string;
  /**
   * The domain facility: id = registry Location id, kind 'facility' | 'area', identifiers (the
   * registry code under the registry's identifier system), name, status, position, partOf (registry
   * id of the parent), areaPath (names of the enclosing jurisdictions, nearest first), types.
   * Absent when the history entry is a DELETE, or when the version is invalid.
   */
  facility?: Facility;
  /**
   * Set when the registry sent a Location that is not valid FHIR R4 (what is wrong, where): the
   * version is neither propagated nor matched, yet the facility is still listed (a full read
   * counts it present). The push feed refuses the same Location with a 400.
   */
  invalid?: string;
  /**
   * Set when the registry gave no instant of its own (a push without meta.lastUpdated, a pushed
   * DELETE): `lastUpdated` is this machine's clock, so the version is ordered just after the one
   * kept before it rather than by a clock the registry's own versions are not on.
   */
  unstamped?: boolean;
}

export interface RegistryPage {
  records: RegistryRecord[];
  /** Opaque high-water mark to resume after this page. */
  cursor: string;
}

export interface RegistryClient {
  /**
   * Changes since `cursor` (undefined = from the beginning), page by page, oldest first; each
   * page's cursor is safe to store once that page is handled (a restart from it neither misses
   * nor skips a change; a boundary record may come again: dedup on (id, version)). No page when
   * nothing changed.
   */
  changesSince(cursor: string | undefined): AsyncIterable<RegistryPage>;
  /**
   * Every current facility and jurisdiction, by a full read following every page; throws (never
   * returns a partial list) when any page fails or the list changed under the read — absence from
   * it is how a dropped facility is confirmed.
   */
  listAll(): Promise<RegistryRecord[]>;
  /**
   * The registry's current version of one Location (a read, with its area path), or undefined
   * when the registry has none (never had it, deleted it, unpublished it): what a push without
   * the registry's own instant is checked against.
   */
  current(id: string): Promise<RegistryRecord | undefined>;
  /** For /ready: the directory answers a search with these credentials. */
  ping(): Promise<void>;
  /** Applies changed settings (credentials, page size, feed) without a restart. */
  reconfigure?(settings: Settings): void;
  close(): Promise<void>;
}

/** Which change feed the client reads: mCSD Update Option history, or `_lastUpdated` searches. */
export type ChangeFeed = 'auto' | 'history' | 'lastUpdated';
