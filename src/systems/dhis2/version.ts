/**
 * What a DHIS2 server's version changes for this connector, learnt once from
 * `GET /api/system/info` (`version`: "2.41.3", "2.43-SNAPSHOT" …). Sources: docs.dhis2.org
 * developer/web-api tracker.md (legacy /api/events removed in 42; 2.41 export envelope `pager`),
 * dhis2-core tag 2.43.0 "SQL based data value import" (all accepted values counted `updated`,
 * E80xx/E81xx conflict codes), geometry replacing `coordinates` in 2.32.
 */
export interface Dhis2Version {
  /** As the server wrote it. */
  text: string;
  /** The minor of 2.x (2.41 → 41); DHIS2 calls it the major release. */
  major: number;
  patch: number;
}

export function parseVersion(text: unknown): Dhis2Version | undefined {
  if (typeof text !== 'string') return undefined;
  const m = /^2\.(\d+)(?:\.(\d+))?/.exec(text.trim());
  return m ? { text, major: Number(m[1]), patch: Number(m[2] ?? 0) } : undefined;
}

export interface VersionFeatures {
  /** Org units carry `geometry` GeoJSON (2.32+), else `featureType` + `coordinates` string. */
  geometry: boolean;
  /** Tracker exports page with `pager` + named list (2.41+), else `page/pageSize/instances`. */
  trackerPager: boolean;
  /** `/api/events` still exists (removed in 42). */
  legacyEvents: boolean;
  /** The tracker API `/api/tracker` exists (2.36+): RTS, consignments and requisitions need it. */
  trackerApi: boolean;
  /** dataValueSets import counts every accepted value as `updated`, codes E80xx/E81xx (2.43+). */
  sqlDataEntry: boolean;
  /** Import conflicts carry errorCode/property/indexes (2.38+). */
  indexedConflicts: boolean;
  /**
   * Tracker export filters spelt as from 2.41: `orgUnitMode` and `events` (comma-separated).
   * Before, `ouMode` and `event` (semicolon-separated), deprecated in 2.41 and gone in 2.42, where
   * the server ignores them as unknown parameters and answers unfiltered (dhis2-core tags 2.40.0
   * `TrackerEventCriteria`, 2.41.0 and 2.42.0 `tracker/export/event/EventRequestParams`).
   */
  trackerFilters41: boolean;
  /**
   * A tracker export `filter` value takes `/` as an escape (`//`, `/:`, `/,`) from 2.40.1 and 2.41
   * (dhis2-core DHIS2-15298, PR #13981); before, `/` is an ordinary character (tracker-filter.ts).
   */
  trackerFilterEscapes: boolean;
  /**
   * Tracker exports order by the tracker names (`createdAt`, `updatedAt`, `occurredAt`) from 2.38;
   * 2.36–2.37 take the stored names (`created`, `lastUpdated`, `eventDate`) and silently drop any
   * other (dhis2-core tag 2.36.0 `RequestToSearchParamsMapper.getOrderParams`: filteredBySchema;
   * 2.38.0 `TrackerEventCriteria.DtoToEntityFieldTranslator`).
   */
  trackerOrderNames: boolean;
}

const STORED_ORDER_NAME = { createdAt: 'created', updatedAt: 'lastUpdated', occurredAt: 'eventDate' };

/** A tracker export `order` the server honours: `createdAt:asc` from 2.38, `created:asc` before. */
export function trackerOrder(
  f: Pick<VersionFeatures, 'trackerOrderNames'>,
  field: keyof typeof STORED_ORDER_NAME,
  direction: 'asc' | 'desc',
): string {
  return `${f.trackerOrderNames ? field : STORED_ORDER_NAME[field]}:${direction}`;
}

export function featuresOf(v: Dhis2Version | undefined): VersionFeatures {
  // unknown version: assume a current server
  const major = v?.major ?? 43;
  return {
    geometry: major >= 32,
    trackerPager: major >= 41,
    legacyEvents: major < 42,
    trackerApi: major >= 36,
    sqlDataEntry: major >= 43,
    indexedConflicts: major >= 38,
    trackerFilters41: major >= 41,
    trackerFilterEscapes: major > 40 || (major === 40 && (v?.patch ?? 0) >= 1),
    trackerOrderNames: major >= 38,
  };
}
