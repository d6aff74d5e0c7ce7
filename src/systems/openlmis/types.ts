import type { ProductRef } from '../../domain/index.js';
import type { WriteLedger } from './requisition/write-ledger.js';
import type { RecentAnswers } from './recent-answers.js';

/**
 * The seams inside the OpenLMIS connector. The HTTP client, reference data, product map and unit
 * conversions (client.ts, reference-data.ts, product/products.ts, product/units.ts) implement these; the flows
 * (facility/, requisition/, proof-of-delivery/, stock/) use only these, so each flow can be tested
 * against the sandbox or a fake without knowing how the others are built.
 */

/** Which credential a call needs (reference/openlmis.md §1 "Which token works where"). */
export type TokenKind = 'user' | 'service';

export interface LmisRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path under the base URL, starting with /api/. */
  path: string;
  query?: Record<string, string | number | boolean | (string | number)[] | undefined>;
  body?: unknown;
  /** Default 'user' (the integration user's OAuth token). */
  token?: TokenKind;
  /** Sent as the Idempotency-Key header (requisition initiate). */
  idempotencyKey?: string;
  /** May the client retry this call on a transient failure by itself? Default: true for GET only. */
  retry?: boolean;
  signal?: AbortSignal;
  /** Statuses that are answers, not errors (e.g. 404 on a lookup): returned as { status, body }. */
  accept?: number[];
  /** An unchanged answer gives the same parsed value again, deep-frozen (upstream/reused-parse.ts). */
  reuseParsed?: boolean;
  /** Fields a 2xx answer must carry (`id`, `status`): one without them is unreadable (unreadable-answer.ts). */
  carries?: string[];
  /**
   * A 2xx answer is a list, a JSON array or a Spring page (`content`): one without it (a 204, a
   * gateway's `{"message": …}`) is unreadable, never an empty list (unreadable-answer.ts).
   */
  listed?: boolean;
}

export interface LmisResponse<T> {
  status: number;
  body: T;
  headers: Record<string, string | string[] | undefined>;
}

/**
 * The OpenLMIS HTTP client. Errors are thrown already decoded: UpstreamError{system:'openlmis',
 * transient} for timeouts, resets, 5xx and 429 (and 401 after one fresh login failed), and a
 * MediatorError 4xx carrying the upstream messageKey/message for validation errors. Every call
 * is recorded as an OpenHIM orchestration (recordUpstreamCall) with tokens masked.
 */
export interface LmisClient {
  call<T>(req: LmisRequest): Promise<T>;
  /** Like call, but also gives status and headers (accepted statuses do not throw). */
  send<T>(req: LmisRequest): Promise<LmisResponse<T>>;
  /** Every element of a Spring Page across pages (page/size/last), or of a plain array answer. */
  all<T>(req: Omit<LmisRequest, 'method'> & { pageSize?: number }): Promise<T[]>;
  /**
   * Our integration user's OpenLMIS id (from the login), to recognise what we authored; undefined
   * when the server does not say. Optional so test doubles may leave it out.
   */
  userId?(): Promise<string | undefined>;
  /** Apply changed settings (base URL, credentials) without a restart; drops cached tokens. */
  reconfigure(settings: OpenLmisSettings): void;
  close(): Promise<void>;
}

export interface OpenLmisSettings {
  baseUrl: string;
  username?: string;
  password?: string;
  clientId: string;
  clientSecret?: string;
  /** Service-account API key, used for the calls that accept one (reference §1). */
  apiKey?: string;
  timeoutMs: number;
  concurrency: number;
  authorizeStep: boolean;
  stockApi: 'auto' | 'code' | 'uuid';
  /** How long reference data stays cached. */
  referenceTtlMs: number;
}

/** An orderable as the flows need it (OrderableDto subset). */
export interface LmisOrderable {
  id: string;
  versionNumber: number;
  productCode: string;
  fullProductName?: string;
  /** Dispensing units per pack. */
  netContent: number;
  packRoundingThreshold: number;
  roundToZero: boolean;
  dispensingUnit?: string;
  /** orderable.identifiers.tradeItem, to find its lots. */
  tradeItemId?: string;
  programIds: string[];
}

export interface LmisFacilityRef {
  id: string;
  code: string;
  name: string;
  typeCode?: string;
}

export interface LmisProgram {
  id: string;
  code: string;
  name: string;
  skipAuthorization?: boolean;
  periodsSkippable?: boolean;
}

export interface LmisReason {
  id: string;
  name: string;
  reasonType: 'CREDIT' | 'DEBIT' | 'BALANCE_ADJUSTMENT';
  reasonCategory: string;
}

export interface LmisLot {
  id: string;
  lotCode: string;
  expirationDate?: string;
  tradeItemId?: string;
}

/** Cached reference data (expiring); lookups by code are exact (the server filters by substring). */
export interface ReferenceData {
  facilityById(id: string): Promise<LmisFacilityRef | undefined>;
  facilityByCode(code: string): Promise<LmisFacilityRef | undefined>;
  programByCode(code: string): Promise<LmisProgram | undefined>;
  programById(id: string): Promise<LmisProgram | undefined>;
  /** The programs a facility actively supports, in its order (its full FacilityDto; list answers omit them). Cached like all reference data (openlmis.referenceTtlMs; a facility upsert clears it). */
  activePrograms(facilityId: string): Promise<LmisProgram[]>;
  orderableByCode(productCode: string): Promise<LmisOrderable | undefined>;
  /** A given version, or the latest when versionNumber is absent. */
  orderableById(id: string, versionNumber?: number): Promise<LmisOrderable | undefined>;
  /** Valid reasons for a program and facility type, to resolve reason names to ids. */
  reasons(programId: string, facilityTypeCode: string): Promise<LmisReason[]>;
  lots(tradeItemId: string): Promise<LmisLot[]>;
  /** Forget everything (after a reconfigure, or a 404 on a cached id). */
  clear(): void;
}

/** FHIR product codes ↔ OpenLMIS productCode, from fhir-mappings/. */
export interface ProductMap {
  /** The orderable productCode for a FHIR product; throws BusinessRuleError (422) naming the code when unmapped. */
  toProductCode(product: ProductRef, where: string): string;
  /** The FHIR product for an orderable productCode (the configured code system, or the OpenLMIS code system when unmapped). */
  toProduct(productCode: string, display?: string): ProductRef;
}

/**
 * Resolves a domain FacilityRef (our Location id, or a business identifier) to an OpenLMIS
 * facility; throws BusinessRuleError (422) naming the reference when it cannot. The crosswalk is
 * consulted for registry ids.
 */
export type FacilityResolver = (
  ref: { id?: string; identifier?: { system: string; value: string } },
  where: string,
) => Promise<LmisFacilityRef>;

/** What every flow gets from index.ts (createOpenLmisConnector). */
export interface OpenLmisDeps {
  client: LmisClient;
  refs: ReferenceData;
  products: ProductMap;
  resolveFacility: FacilityResolver;
  settings: () => OpenLmisSettings;
  /** Cross-instance lock and notes for writes OpenLMIS cannot tell apart afterwards (write-ledger.ts). */
  ledger: WriteLedger;
  /**
   * Answers of the last few seconds (recent-answers.ts), so a write does not ask twice what its
   * precheck just asked, nor read back what it just wrote. Absent: every question goes upstream.
   */
  recent?: RecentAnswers;
}
