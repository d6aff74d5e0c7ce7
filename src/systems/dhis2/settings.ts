import type { TransportSettings } from '../../upstream/pool.js';
import { shownValue } from '../../config/shown-value.js';
import { isUid } from './identifiers.js';
import { isPeriodType, PERIOD_TYPES } from './periods.js';

/**
 * The DHIS2 connector's settings from the flat settings table (src/config/settings.ts keys
 * `dhis2.*`). Defaults repeat the table's so the connector also works when built directly (tests,
 * CLI) with only a base URL and credentials.
 */
export type IdScheme = 'CODE' | 'UID';

export interface Dhis2Settings extends TransportSettings {
  username?: string;
  password?: string;
  /** Personal access token: sent as `ApiToken`, preferred over Basic when set. */
  apiToken?: string;
  facilityLevel: number;
  pageSize: number;
  dataSet?: string;
  periodType: string;
  dataElementIdScheme: IdScheme;
  orgUnitIdScheme: IdScheme;
  chunkSize: number;
  /** A stock report of at least this many data values is imported with `async=true` and its task polled (0: never). */
  asyncThreshold: number;
  /** A tracker import of more events than this runs as an async job whose report is polled; up to it, synchronously. */
  trackerAsyncThreshold: number;
  /** How often an async import's job is asked about, and how long it may take before the write is tried again. */
  jobPollMs: number;
  jobTimeoutMs: number;
  /** The RTS (Real-Time Stock) tracker program whose transactions are read (and written when stockTarget=rts). */
  rtsProgram?: string;
  /** Where stock reports are written: aggregate data values, or RTS transaction events. */
  stockTarget: 'aggregate' | 'rts';
  /** The event program consignments (received deliveries) are events of; absent = no delivery capability. */
  consignmentProgram?: string;
  consignmentStage?: string;
  /** `item=UID,quantity=UID,reference=UID[,lot=UID]`: the program's data elements. */
  consignmentDataElements?: string;
  /** The event program facilities raise requisitions in (RTS ordering); absent = no requisition feed. */
  requisitionProgram?: string;
  requisitionStage?: string;
  /** `<item code>=<quantity data element UID>,…` (item codes per dhis2.rtsItemCode): the stage's quantity data elements. */
  requisitionDataElements?: string;
}

const str = (v: unknown): string | undefined => (v === undefined || v === null || v === '' ? undefined : String(v));
const num = (v: unknown, fallback: number): number =>
  v !== '' && v !== undefined && v !== null && Number.isFinite(Number(v)) ? Number(v) : fallback;
const scheme = (v: unknown, key: string): IdScheme => {
  const s = (str(v) ?? 'CODE').toUpperCase();
  if (s !== 'CODE' && s !== 'UID') throw new Error(`${key} must be CODE or UID, got ${shownValue(v, 'word')}`);
  return s;
};

/**
 * A setting that goes into a request's path or query (`/api/programs/{rtsProgram}`,
 * `/api/dataSets/{dataSet}`, `dataSet=`): set, it must be a UID. Anything else is refused here,
 * quoted only when it has a UID's or code's shape: a password pasted into it would otherwise be
 * sent to DHIS2 and come back in error text, the log and OpenHIM orchestrations (they record the
 * upstream URL).
 */
function uidSetting(v: unknown, key: string, what: string): string | undefined {
  const s = str(v);
  if (s !== undefined && !isUid(s)) throw new Error(`${key} must be ${what} UID, got ${shownValue(s, 'uid')}`);
  return s;
}

/**
 * The period type stock values are written for when no data set is set: one periodOf makes ids
 * for. Checked here, not at the first write, so that a typo is found at start-up, and so that a
 * password pasted into it is never copied into a stock report's OperationOutcome and the log.
 */
function periodTypeSetting(v: unknown): string {
  const s = str(v) ?? 'Monthly';
  if (!isPeriodType(s))
    throw new Error(`dhis2.periodType must be one of ${PERIOD_TYPES.join(', ')}, got ${shownValue(s, 'word')}`);
  return s;
}

function stockTarget(v: unknown, rtsProgram: string | undefined): 'aggregate' | 'rts' {
  const t = str(v) ?? 'aggregate';
  if (t !== 'aggregate' && t !== 'rts')
    throw new Error(`dhis2.stockTarget must be aggregate or rts, got ${shownValue(v, 'word')}`);
  if (t === 'rts' && !rtsProgram)
    throw new Error('dhis2.stockTarget=rts needs dhis2.rtsProgram (the RTS tracker program UID)');
  return t;
}

export function dhis2SettingsFrom(s: Record<string, unknown>): Dhis2Settings {
  const baseUrl = str(s['dhis2.baseUrl']);
  if (!baseUrl) throw new Error('dhis2.baseUrl is not set: the DHIS2 connector needs the server URL');
  return {
    // the server's root, without /api (a trailing /api is forgiven: every path here starts with it)
    baseUrl: baseUrl.replace(/\/+$/, '').replace(/\/api$/, ''),
    username: str(s['dhis2.username']),
    password: str(s['dhis2.password']),
    apiToken: str(s['dhis2.apiToken']),
    timeoutMs: num(s['dhis2.timeoutMs'], 20_000),
    concurrency: Math.max(1, num(s['dhis2.concurrency'], 4)),
    facilityLevel: Math.max(1, num(s['dhis2.facilityLevel'], 4)),
    pageSize: Math.min(10_000, Math.max(1, num(s['dhis2.pageSize'], 500))),
    dataSet: uidSetting(s['dhis2.dataSet'], 'dhis2.dataSet', 'a data set'),
    periodType: periodTypeSetting(s['dhis2.periodType']),
    dataElementIdScheme: scheme(s['dhis2.dataElementIdScheme'], 'dhis2.dataElementIdScheme'),
    orgUnitIdScheme: scheme(s['dhis2.orgUnitIdScheme'], 'dhis2.orgUnitIdScheme'),
    chunkSize: Math.max(1, num(s['dhis2.chunkSize'], 5_000)),
    asyncThreshold: Math.max(0, num(s['dhis2.asyncThreshold'], 20_000)),
    trackerAsyncThreshold: Math.max(1, num(s['dhis2.trackerAsyncThreshold'], 100)),
    jobPollMs: Math.max(1, num(s['dhis2.jobPollMs'], 1_000)),
    jobTimeoutMs: Math.max(1, num(s['dhis2.jobTimeoutMs'], 600_000)),
    rtsProgram: uidSetting(s['dhis2.rtsProgram'], 'dhis2.rtsProgram', 'the RTS program'),
    stockTarget: stockTarget(s['dhis2.stockTarget'], str(s['dhis2.rtsProgram'])),
    consignmentProgram: str(s['dhis2.consignmentProgram']),
    consignmentStage: str(s['dhis2.consignmentStage']),
    consignmentDataElements: str(s['dhis2.consignmentDataElements']),
    requisitionProgram: str(s['dhis2.requisitionProgram']),
    requisitionStage: str(s['dhis2.requisitionStage']),
    requisitionDataElements: str(s['dhis2.requisitionDataElements']),
  };
}
