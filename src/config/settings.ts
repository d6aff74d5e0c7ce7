/**
 * Every operator setting in one table: its key (also the config-file path), environment
 * variable, type, default and whether it is a secret. The README table, the config file schema
 * and the OpenHIM configDefs are checked against this table by tests.
 */
export type SettingType = 'string' | 'number' | 'boolean' | 'secret';

export interface SettingDef {
  key: string;
  env: string;
  type: SettingType;
  default?: string | number | boolean;
  description: string;
  /** Changing it needs a restart (listening socket, database). Others apply live. */
  restart?: boolean;
  enum?: string[];
  /** Least value a number may take: below it the setting cannot work (a 0 ms heartbeat loops). */
  min?: number;
  /** Largest value a number may take (a port above 65535; a timer Node cannot hold: MAX_TIMER_MS). */
  max?: number;
  /** A count: a fraction cannot work (a page of 2.5 records, 2.5 connections). */
  integer?: boolean;
}

/**
 * Longest duration a millisecond setting may name: Node's timers hold a signed 32-bit delay
 * (~24.8 days), and a longer one fires after 1 ms (TimeoutOverflowWarning), so a huge per-call
 * timeout would abort every call at once. Durations that are not timers (a lease, a backoff
 * cap, a cache lifetime) are held to it too: beyond it they are as absurd.
 */
export const MAX_TIMER_MS = 2_147_483_647;

/**
 * Least interval of a loop that calls a system or the database again and again (the OpenHIM
 * heartbeat, a DHIS2 job poll, the outbox's retry backoff): below it the loop is a busy loop
 * against that system (a 1 ms heartbeat beat OpenHIM core up to a thousand times a second).
 */
export const MIN_INTERVAL_MS = 10;

/**
 * Least time an HTTP exchange may be given (a call to a system, a client's request, a delivery
 * attempt and the lease that outlives it): no exchange over a network completes reliably in
 * less, so a shorter timeout fails every call.
 */
export const MIN_EXCHANGE_MS = 100;

export const settingDefs: SettingDef[] = [
  {
    key: 'server.host',
    env: 'HOST',
    type: 'string',
    default: '0.0.0.0',
    description: 'Interface to listen on',
    restart: true,
  },
  {
    key: 'server.port',
    env: 'PORT',
    type: 'number',
    default: 3000,
    integer: true,
    min: 0,
    max: 65535,
    description: 'Port to listen on',
    restart: true,
  },
  {
    key: 'server.publicBaseUrl',
    env: 'PUBLIC_BASE_URL',
    type: 'string',
    description:
      'Public URL clients see (the OpenHIM channel URL); used in links, Location headers and paging. Default: the scheme and host the client called',
  },
  {
    key: 'server.tlsCertFile',
    env: 'TLS_CERT_FILE',
    type: 'string',
    description: 'PEM certificate: serve HTTPS',
    restart: true,
  },
  {
    key: 'server.tlsKeyFile',
    env: 'TLS_KEY_FILE',
    type: 'string',
    description: 'PEM private key for HTTPS',
    restart: true,
  },
  {
    key: 'server.tlsClientCaFile',
    env: 'TLS_CLIENT_CA_FILE',
    type: 'string',
    description: 'PEM CA: require client certificates signed by it (mutual TLS, e.g. OpenHIM secured routes)',
    restart: true,
  },
  {
    key: 'auth.mode',
    env: 'AUTH_MODE',
    type: 'string',
    default: 'basic',
    enum: ['basic', 'bearer', 'off'],
    description:
      'Inbound authentication: basic (as OpenHIM routes send), bearer (static secret) or off (explicitly disabled)',
  },
  {
    key: 'auth.username',
    env: 'AUTH_USERNAME',
    type: 'string',
    default: 'openhim',
    description: 'Basic auth user name expected from clients (the OpenHIM route username)',
  },
  {
    key: 'auth.password',
    env: 'AUTH_PASSWORD',
    type: 'secret',
    description: 'Basic auth password expected from clients (required when auth.mode=basic)',
  },
  {
    key: 'auth.bearerToken',
    env: 'AUTH_BEARER_TOKEN',
    type: 'secret',
    description: 'Bearer secret expected from clients (required when auth.mode=bearer)',
  },
  {
    key: 'admin.token',
    env: 'ADMIN_TOKEN',
    type: 'secret',
    description: 'Bearer token for the /admin API (outbox, review); falls back to the inbound credentials',
  },
  {
    key: 'limits.bodyBytes',
    env: 'LIMIT_BODY_BYTES',
    type: 'number',
    default: 5 * 1024 * 1024,
    integer: true,
    min: 1,
    description: 'Largest request body accepted (413 beyond)',
    restart: true,
  },
  {
    key: 'limits.jsonDepth',
    env: 'LIMIT_JSON_DEPTH',
    type: 'number',
    default: 48,
    integer: true,
    min: 1,
    description: 'Deepest JSON nesting accepted (400 beyond)',
  },
  {
    key: 'limits.arrayLength',
    env: 'LIMIT_ARRAY_LENGTH',
    type: 'number',
    default: 5000,
    integer: true,
    min: 1,
    description: 'Longest JSON array accepted, e.g. Bundle entries (413 beyond)',
  },
  {
    key: 'limits.headersTimeoutMs',
    env: 'LIMIT_HEADERS_TIMEOUT_MS',
    type: 'number',
    default: 10000,
    min: MIN_EXCHANGE_MS,
    max: MAX_TIMER_MS,
    description: 'A client must send all request headers within this time (408 beyond)',
    restart: true,
  },
  {
    key: 'limits.requestTimeoutMs',
    env: 'LIMIT_REQUEST_TIMEOUT_MS',
    type: 'number',
    default: 30000,
    min: MIN_EXCHANGE_MS,
    max: MAX_TIMER_MS,
    description:
      'A client must send the whole request, headers and body, within this time (408 beyond); a slow sender cannot hold a connection',
    restart: true,
  },
  {
    key: 'limits.idleTimeoutMs',
    env: 'LIMIT_IDLE_TIMEOUT_MS',
    type: 'number',
    default: 60000,
    min: MIN_EXCHANGE_MS,
    max: MAX_TIMER_MS,
    description:
      'A connection on which nothing moves for this long is closed; kept-alive idle connections close after 5 s',
    restart: true,
  },
  {
    key: 'fhir.defaultCount',
    env: 'FHIR_DEFAULT_COUNT',
    type: 'number',
    default: 20,
    integer: true,
    min: 1,
    description: 'Search page size when _count is absent',
  },
  {
    key: 'fhir.maxCount',
    env: 'FHIR_MAX_COUNT',
    type: 'number',
    default: 200,
    integer: true,
    min: 1,
    description: 'Largest _count honoured',
  },
  {
    key: 'store.databaseUrl',
    env: 'DATABASE_URL',
    type: 'secret',
    description: 'postgres://… to use PostgreSQL (several instances); absent = embedded SQLite in store.dataDir',
    restart: true,
  },
  {
    key: 'store.dataDir',
    env: 'DATA_DIR',
    type: 'string',
    default: './data',
    description: 'Directory of the embedded SQLite database',
    restart: true,
  },
  {
    key: 'store.lockSilentMs',
    env: 'STORE_LOCK_SILENT_MS',
    type: 'number',
    default: 3000,
    integer: true,
    min: 100,
    max: MAX_TIMER_MS,
    description:
      "PostgreSQL: how long a scheduled run's lock session may leave its liveness check unanswered, and then how long the lock may take to be taken again, before the run stops as the database away",
    restart: true,
  },
  {
    key: 'outbox.deadlineMs',
    env: 'OUTBOX_DEADLINE_MS',
    type: 'number',
    default: 8000,
    min: 0,
    max: MAX_TIMER_MS,
    description:
      'How long a write waits for the upstream before answering 202 (queued); its checks before it is recorded are bounded by it too (given at least 5 s; past that, a single write is queued unchecked as through a system down, a transaction of several is answered 504 with nothing recorded)',
  },
  {
    key: 'outbox.maxAttempts',
    env: 'OUTBOX_MAX_ATTEMPTS',
    type: 'number',
    default: 12,
    integer: true,
    min: 1,
    description: 'Delivery attempts before a job goes to the dead-letter list',
  },
  {
    key: 'outbox.backoffBaseMs',
    env: 'OUTBOX_BACKOFF_BASE_MS',
    type: 'number',
    default: 2000,
    min: MIN_INTERVAL_MS,
    max: MAX_TIMER_MS,
    description: 'First retry delay (exponential, full jitter)',
  },
  {
    key: 'outbox.backoffCapMs',
    env: 'OUTBOX_BACKOFF_CAP_MS',
    type: 'number',
    default: 600000,
    min: MIN_INTERVAL_MS,
    max: MAX_TIMER_MS,
    description: 'Longest retry delay',
  },
  {
    key: 'outbox.breakerFailures',
    env: 'OUTBOX_BREAKER_FAILURES',
    type: 'number',
    default: 5,
    integer: true,
    min: 1,
    description:
      "Failed delivery attempts in a row, counted against a system (it is down, times out, answers 5xx, or answers several writes in another shape than its API promises, on different requests), that open its circuit breaker: its writes then wait uncharged, a failed probe's too. Writes are held only once it opens: a few queued writes with `outbox.maxAttempts` not above this (2 writes, 3 attempts, 5 here) may all be dead-lettered first",
  },
  {
    key: 'outbox.breakerOpenMs',
    env: 'OUTBOX_BREAKER_OPEN_MS',
    type: 'number',
    default: 30000,
    min: MIN_EXCHANGE_MS,
    max: MAX_TIMER_MS,
    description:
      'How long an open circuit breaker holds back writes to its system before it lets one through as a probe (a change applies from the next time a breaker opens)',
  },
  {
    key: 'outbox.attemptTimeoutMs',
    env: 'OUTBOX_ATTEMPT_TIMEOUT_MS',
    type: 'number',
    default: 60000,
    min: MIN_EXCHANGE_MS,
    max: MAX_TIMER_MS,
    description: 'One delivery attempt (all its upstream steps) is abandoned and retried after this long',
    restart: true,
  },
  {
    key: 'outbox.settleMs',
    env: 'OUTBOX_SETTLE_MS',
    type: 'number',
    default: 30000,
    min: 0,
    max: MAX_TIMER_MS,
    description:
      'After an attempt that timed out (the upstream may still apply its last request), the retry waits at least this long before looking at the upstream again',
    restart: true,
  },
  {
    key: 'outbox.leaseMs',
    env: 'OUTBOX_LEASE_MS',
    type: 'number',
    default: 120000,
    min: MIN_EXCHANGE_MS,
    max: MAX_TIMER_MS,
    description:
      'How long an instance holds a job it works on; a job of a dead instance is taken over after it, or sooner once a running server sees its process ended (SQLite: at once; PostgreSQL: once its attempt timed out) (must exceed outbox.attemptTimeoutMs)',
    restart: true,
  },
  {
    key: 'outbox.retentionDays',
    env: 'OUTBOX_RETENTION_DAYS',
    type: 'number',
    default: 90,
    integer: true,
    min: 0,
    max: 36500,
    description:
      'Days a finished (done or refused) outbox job and its rows are kept before schedules.outboxPrune deletes them; a resend after that is a new write (0 = keep forever)',
  },
  {
    key: 'openhim.apiUrl',
    env: 'OPENHIM_API_URL',
    type: 'string',
    description: 'OpenHIM core API (https://openhim:8080); absent = do not register',
  },
  {
    key: 'openhim.username',
    env: 'OPENHIM_USERNAME',
    type: 'string',
    default: 'root@openhim.org',
    description: 'OpenHIM API user (admin, or mediator-manage-all on RBAC cores)',
  },
  { key: 'openhim.password', env: 'OPENHIM_PASSWORD', type: 'secret', description: 'OpenHIM API password' },
  {
    key: 'openhim.trustSelfSigned',
    env: 'OPENHIM_TRUST_SELF_SIGNED',
    type: 'boolean',
    default: false,
    description:
      "Accept any certificate from OpenHIM's API, unchecked (warned at start); prefer NODE_EXTRA_CA_CERTS naming core's certificate",
  },
  {
    key: 'openhim.heartbeatMs',
    env: 'OPENHIM_HEARTBEAT_MS',
    type: 'number',
    default: 10000,
    max: MAX_TIMER_MS,
    min: MIN_INTERVAL_MS,
    description: 'Heartbeat (and config pull) interval',
  },
  {
    key: 'openhim.updateRetryBaseMs',
    env: 'OPENHIM_UPDATE_RETRY_BASE_MS',
    type: 'number',
    default: 2000,
    min: MIN_INTERVAL_MS,
    max: MAX_TIMER_MS,
    description:
      'First retry of a transaction update OpenHIM did not take (doubled per failure); also how often owed updates are looked for',
    restart: true,
  },
  {
    key: 'openhim.updateRetryCapMs',
    env: 'OPENHIM_UPDATE_RETRY_CAP_MS',
    type: 'number',
    default: 300000,
    min: MIN_INTERVAL_MS,
    max: MAX_TIMER_MS,
    description: 'Longest wait between retries of a transaction update',
    restart: true,
  },
  {
    key: 'openhim.updateGiveUpMs',
    env: 'OPENHIM_UPDATE_GIVE_UP_MS',
    type: 'number',
    default: 86400000,
    // shorter, one failed send (OpenHIM restarting, a blip) abandons the update for good
    min: 60_000,
    max: MAX_TIMER_MS,
    description: 'A transaction update still failing this long after its job ended is given up (recorded as abandoned)',
    restart: true,
  },
  {
    key: 'openhim.updateClaimMs',
    env: 'OPENHIM_UPDATE_CLAIM_MS',
    type: 'number',
    default: 30000,
    min: MIN_EXCHANGE_MS,
    max: MAX_TIMER_MS,
    description:
      'How long a transaction update being sent is held from other senders; also how long the process that ended the job has to send it before a sweep may. A send still unanswered then is cut off and retried later, so two sends of one update never overlap',
    restart: true,
  },
  {
    key: 'openlmis.baseUrl',
    env: 'OPENLMIS_BASE_URL',
    type: 'string',
    description: 'OpenLMIS v3 server, e.g. https://lmis.example.org (absent = connector off)',
  },
  { key: 'openlmis.username', env: 'OPENLMIS_USERNAME', type: 'string', description: 'OpenLMIS integration user' },
  {
    key: 'openlmis.password',
    env: 'OPENLMIS_PASSWORD',
    type: 'secret',
    description: 'OpenLMIS integration user password',
  },
  {
    key: 'openlmis.clientId',
    env: 'OPENLMIS_CLIENT_ID',
    type: 'string',
    default: 'user-client',
    description: 'OAuth2 client id',
  },
  { key: 'openlmis.clientSecret', env: 'OPENLMIS_CLIENT_SECRET', type: 'secret', description: 'OAuth2 client secret' },
  {
    key: 'openlmis.timeoutMs',
    env: 'OPENLMIS_TIMEOUT_MS',
    type: 'number',
    default: 20000,
    min: MIN_EXCHANGE_MS,
    max: MAX_TIMER_MS,
    description: 'Per-call timeout to OpenLMIS',
  },
  {
    key: 'openlmis.concurrency',
    env: 'OPENLMIS_CONCURRENCY',
    type: 'number',
    default: 8,
    integer: true,
    min: 1,
    description: 'Most calls in flight to OpenLMIS',
  },
  {
    key: 'openlmis.authorizeStep',
    env: 'OPENLMIS_AUTHORIZE_STEP',
    type: 'boolean',
    default: false,
    description: 'Also authorize requisitions after submitting them',
  },
  {
    key: 'openlmis.apiKey',
    env: 'OPENLMIS_API_KEY',
    type: 'secret',
    description: 'OpenLMIS service-account API key, used for reference data and stock calls that accept one (optional)',
  },
  {
    key: 'openlmis.referenceTtlMs',
    env: 'OPENLMIS_REFERENCE_TTL_MS',
    type: 'number',
    default: 600000,
    min: 0,
    max: MAX_TIMER_MS,
    description: 'How long OpenLMIS reference data (facilities, programs, orderables, reasons) stays cached',
  },
  {
    key: 'openlmis.stockApi',
    env: 'OPENLMIS_STOCK_API',
    type: 'string',
    default: 'auto',
    enum: ['auto', 'code', 'uuid'],
    description: 'Stock events through the code-based public API, the UUID API, or detect',
  },
  { key: 'dhis2.baseUrl', env: 'DHIS2_BASE_URL', type: 'string', description: 'DHIS2 server (absent = connector off)' },
  { key: 'dhis2.username', env: 'DHIS2_USERNAME', type: 'string', description: 'DHIS2 user' },
  { key: 'dhis2.password', env: 'DHIS2_PASSWORD', type: 'secret', description: 'DHIS2 password' },
  {
    key: 'dhis2.timeoutMs',
    env: 'DHIS2_TIMEOUT_MS',
    type: 'number',
    default: 20000,
    min: MIN_EXCHANGE_MS,
    max: MAX_TIMER_MS,
    description: 'Per-call timeout to DHIS2',
  },
  {
    key: 'dhis2.apiToken',
    env: 'DHIS2_API_TOKEN',
    type: 'secret',
    description:
      'DHIS2 personal access token (d2pat_…), sent as `Authorization: ApiToken`; used instead of the username and password when set',
  },
  {
    key: 'dhis2.concurrency',
    env: 'DHIS2_CONCURRENCY',
    type: 'number',
    default: 4,
    integer: true,
    min: 1,
    description: 'Most calls in flight to DHIS2',
  },
  {
    key: 'dhis2.facilityLevel',
    env: 'DHIS2_FACILITY_LEVEL',
    type: 'number',
    default: 4,
    integer: true,
    min: 1,
    description: 'Org unit level of facilities; org units above it are served as area Locations',
  },
  {
    key: 'dhis2.pageSize',
    env: 'DHIS2_PAGE_SIZE',
    type: 'number',
    default: 500,
    integer: true,
    min: 1,
    description: 'Org units per page when listing (never paging=false)',
  },
  {
    key: 'dhis2.dataSet',
    env: 'DHIS2_DATA_SET',
    type: 'string',
    description: 'UID of the data set stock values are reported in (its periodType gives the period)',
  },
  {
    key: 'dhis2.periodType',
    env: 'DHIS2_PERIOD_TYPE',
    type: 'string',
    default: 'Monthly',
    enum: ['Daily', 'Weekly', 'Monthly', 'BiMonthly', 'Quarterly', 'SixMonthly', 'Yearly'],
    description:
      'Period type of stock values when no data set is set (Daily, Weekly, Monthly, BiMonthly, Quarterly, SixMonthly, Yearly)',
  },
  {
    key: 'dhis2.dataElementIdScheme',
    env: 'DHIS2_DATA_ELEMENT_ID_SCHEME',
    type: 'string',
    default: 'CODE',
    enum: ['CODE', 'UID'],
    description:
      'How data elements are named in dataValueSets: by code (products.json codes.dhis2 + dhis2-indicators.json) or UID',
  },
  {
    key: 'dhis2.orgUnitIdScheme',
    env: 'DHIS2_ORG_UNIT_ID_SCHEME',
    type: 'string',
    default: 'CODE',
    enum: ['CODE', 'UID'],
    description: 'How org units are named in dataValueSets: by code or UID',
  },
  {
    key: 'dhis2.chunkSize',
    env: 'DHIS2_CHUNK_SIZE',
    type: 'number',
    default: 5000,
    integer: true,
    min: 1,
    description: 'Most data values per dataValueSets request (larger pushes are sent in chunks)',
  },
  {
    key: 'dhis2.asyncThreshold',
    env: 'DHIS2_ASYNC_THRESHOLD',
    type: 'number',
    default: 20000,
    min: 0,
    description:
      'A stock report of at least this many data values is imported with async=true, each chunk a task polled to its import summary (0 = never)',
  },
  {
    key: 'dhis2.trackerAsyncThreshold',
    env: 'DHIS2_TRACKER_ASYNC_THRESHOLD',
    type: 'number',
    default: 100,
    min: 0,
    description:
      'Tracker events per import up to which it runs synchronously (atomicMode=OBJECT); more run as an async job whose report is polled',
  },
  {
    key: 'dhis2.jobPollMs',
    env: 'DHIS2_JOB_POLL_MS',
    type: 'number',
    default: 1000,
    min: MIN_INTERVAL_MS,
    max: MAX_TIMER_MS,
    description: 'How often an async DHIS2 import (data values task, tracker job) is polled',
  },
  {
    key: 'dhis2.jobTimeoutMs',
    env: 'DHIS2_JOB_TIMEOUT_MS',
    type: 'number',
    default: 600000,
    min: MIN_EXCHANGE_MS,
    max: MAX_TIMER_MS,
    description:
      'How long an async DHIS2 import may run before the write is retried later (the retry is idempotent: same values, same event UIDs)',
  },
  {
    key: 'dhis2.rtsProgram',
    env: 'DHIS2_RTS_PROGRAM',
    type: 'string',
    description:
      'UID of the Real-Time Stock (RTS) tracker program (a use case in the datastore USE_CASES/stockUseCases) whose transactions are read as stock reports',
  },
  {
    key: 'dhis2.stockTarget',
    env: 'DHIS2_STOCK_TARGET',
    type: 'string',
    default: 'aggregate',
    enum: ['aggregate', 'rts'],
    description:
      'Where stock reports are written: aggregate data values (dataValueSets) or RTS transaction events (needs dhis2.rtsProgram)',
  },
  {
    key: 'dhis2.consignmentProgram',
    env: 'DHIS2_CONSIGNMENT_PROGRAM',
    type: 'string',
    description:
      'UID of the event program received consignments are recorded in (the mSupply–RTS flow); absent = DHIS2 serves no SupplyDelivery',
  },
  {
    key: 'dhis2.consignmentStage',
    env: 'DHIS2_CONSIGNMENT_STAGE',
    type: 'string',
    description: 'UID of the consignment program stage',
  },
  {
    key: 'dhis2.consignmentDataElements',
    env: 'DHIS2_CONSIGNMENT_DATA_ELEMENTS',
    type: 'string',
    description: 'The consignment stage data elements: item=UID,quantity=UID,reference=UID[,lot=UID]',
  },
  {
    key: 'dhis2.requisitionProgram',
    env: 'DHIS2_REQUISITION_PROGRAM',
    type: 'string',
    description:
      'UID of the event program facilities raise requisitions in (RTS ordering): its events are served as SupplyRequests, read only; its completed ones become Open mSupply response requisitions (schedules.rtsToMsupply)',
  },
  {
    key: 'dhis2.requisitionStage',
    env: 'DHIS2_REQUISITION_STAGE',
    type: 'string',
    description: 'UID of the requisition program stage',
  },
  {
    key: 'dhis2.requisitionDataElements',
    env: 'DHIS2_REQUISITION_DATA_ELEMENTS',
    type: 'string',
    description:
      "The requisition stage's quantity data elements: <item code, per dhis2.rtsItemCode>=<data element UID>,… (one per product, units)",
  },
  {
    key: 'dhis2.rtsItemCode',
    env: 'DHIS2_RTS_ITEM_CODE',
    type: 'string',
    default: 'dhis2',
    enum: ['dhis2', 'msupply'],
    description:
      "The catalogue code RTS events name items by (consignment item, requisition data element keys, RTS items), as mSupply's DHIS2 preferences allow: products.json codes.dhis2 or codes.msupply",
  },
  {
    key: 'msupply.baseUrl',
    env: 'MSUPPLY_BASE_URL',
    type: 'string',
    description: 'Open mSupply server (absent = connector off)',
  },
  { key: 'msupply.username', env: 'MSUPPLY_USERNAME', type: 'string', description: 'Open mSupply user' },
  { key: 'msupply.password', env: 'MSUPPLY_PASSWORD', type: 'secret', description: 'Open mSupply password' },
  {
    key: 'msupply.timeoutMs',
    env: 'MSUPPLY_TIMEOUT_MS',
    type: 'number',
    default: 20000,
    min: MIN_EXCHANGE_MS,
    max: MAX_TIMER_MS,
    description: 'Per-call timeout to Open mSupply',
  },
  {
    key: 'msupply.concurrency',
    env: 'MSUPPLY_CONCURRENCY',
    type: 'number',
    default: 8,
    integer: true,
    min: 1,
    description: 'Most calls in flight to Open mSupply',
  },
  {
    key: 'msupply.supplierCode',
    env: 'MSUPPLY_SUPPLIER_CODE',
    type: 'string',
    description:
      "Name code of the supplier a request requisition goes to when the order names none (the facility store's supplying store); for DHIS2 RTS requisitions, the supplying store where routing.json supplyingStores names none",
  },
  {
    key: 'msupply.maxMonthsOfStock',
    env: 'MSUPPLY_MAX_MONTHS_OF_STOCK',
    type: 'number',
    default: 3,
    min: 0,
    description: 'maxMonthsOfStock of the request requisitions the mediator creates',
  },
  {
    key: 'msupply.minMonthsOfStock',
    env: 'MSUPPLY_MIN_MONTHS_OF_STOCK',
    type: 'number',
    default: 1,
    min: 0,
    description: 'minMonthsOfStock of the request requisitions the mediator creates',
  },
  {
    key: 'msupply.verifyDeliveries',
    env: 'MSUPPLY_VERIFY_DELIVERIES',
    type: 'boolean',
    default: false,
    description: 'Also move a confirmed inbound shipment from RECEIVED to VERIFIED',
  },
  {
    key: 'openmrs.baseUrl',
    env: 'OPENMRS_BASE_URL',
    type: 'string',
    description: 'OpenMRS server (absent = connector off)',
  },
  { key: 'openmrs.username', env: 'OPENMRS_USERNAME', type: 'string', description: 'OpenMRS user' },
  { key: 'openmrs.password', env: 'OPENMRS_PASSWORD', type: 'secret', description: 'OpenMRS password' },
  {
    key: 'openmrs.timeoutMs',
    env: 'OPENMRS_TIMEOUT_MS',
    type: 'number',
    default: 20000,
    min: MIN_EXCHANGE_MS,
    max: MAX_TIMER_MS,
    description: 'Per-call timeout to OpenMRS',
  },
  {
    key: 'openmrs.concurrency',
    env: 'OPENMRS_CONCURRENCY',
    type: 'number',
    default: 4,
    integer: true,
    min: 1,
    description: 'Most calls in flight to OpenMRS',
  },
  {
    key: 'openmrs.registryCodeAttributeType',
    env: 'OPENMRS_REGISTRY_CODE_ATTRIBUTE_TYPE',
    type: 'string',
    default: 'Master Facility Code',
    description:
      'Name or uuid of the location attribute type that holds the registry code (KenyaEMR: Master Facility Code)',
  },
  {
    key: 'openmrs.registryCodeSystem',
    env: 'OPENMRS_REGISTRY_CODE_SYSTEM',
    type: 'string',
    default: 'http://fhir-supply-mediator.org/fhir/identifier/registry-facility-code',
    description: 'Identifier system the registry code is read and written under (Location.identifier)',
  },
  {
    key: 'openmrs.facilityTags',
    env: 'OPENMRS_FACILITY_TAGS',
    type: 'string',
    default: 'Facility Location,Login Location',
    description:
      'Comma-separated location tags (names or uuids) that make a location a facility; the first is given to locations the mediator creates; empty = every location',
  },
  {
    key: 'openmrs.pageSize',
    env: 'OPENMRS_PAGE_SIZE',
    type: 'number',
    default: 100,
    integer: true,
    min: 1,
    description: 'Results per REST page when listing (OpenMRS caps it at 100)',
  },
  {
    key: 'schedules.reconcile',
    env: 'SCHEDULE_RECONCILE',
    type: 'string',
    default: '30 2 * * 1',
    description:
      "Cron (5 fields, or 6 with seconds; server time zone): reconcile every system's facility list against the registry; `off` = never (by hand only)",
  },
  {
    key: 'schedules.stockToDhis2',
    env: 'SCHEDULE_STOCK_TO_DHIS2',
    type: 'string',
    default: '0 3 2 * *',
    description:
      'Cron (server time zone): send the last three complete periods of LMIS stock indicators to DHIS2 (only values that changed); `off` = never (by hand only)',
  },
  {
    key: 'schedules.rtsToMsupply',
    env: 'SCHEDULE_RTS_TO_MSUPPLY',
    type: 'string',
    default: '0 4 * * *',
    description:
      "Cron: DHIS2 RTS requisitions completed since the last run become response requisitions in each facility's supplying Open mSupply store (routing.json supplyingStores, else msupply.supplierCode); `off` = never (by hand only)",
  },
  {
    key: 'schedules.propagate',
    env: 'SCHEDULE_PROPAGATE',
    type: 'string',
    default: '*/5 * * * *',
    description:
      "Cron (5 fields, or 6 with seconds): pull the registry's facility changes and propagate them to every system; `off` = never (by hand only)",
  },
  {
    key: 'schedules.outboxPrune',
    env: 'SCHEDULE_OUTBOX_PRUNE',
    type: 'string',
    default: '40 1 * * *',
    description:
      'Cron: delete finished outbox jobs older than outbox.retentionDays, in small batches (never waiting, dead-lettered or OpenHIM-owed ones); `off` = never (by hand only)',
  },
  {
    key: 'registry.fullReadHours',
    env: 'REGISTRY_FULL_READ_HOURS',
    type: 'number',
    default: 24,
    min: 0,
    description:
      'Hours between full reads of the registry that confirm a facility it no longer lists as closed (0 = never)',
  },
  {
    key: 'registry.file',
    env: 'REGISTRY_FILE',
    type: 'string',
    description:
      'The registry facility list (CSV or JSON, as `cli reconcile --right` reads) the reconcile job matches against; absent = the job is skipped; one that cannot be read (not there, a directory) is warned of at start, naming it',
  },
  {
    key: 'registry.url',
    env: 'REGISTRY_URL',
    type: 'string',
    description:
      'FHIR base of the master facility registry, an mCSD directory (e.g. https://mfr.example.org/fhir); when set the reconcile job reads it instead of registry.file',
  },
  { key: 'registry.username', env: 'REGISTRY_USERNAME', type: 'string', description: 'Registry user (HTTP Basic)' },
  { key: 'registry.password', env: 'REGISTRY_PASSWORD', type: 'secret', description: 'Registry password' },
  {
    key: 'registry.token',
    env: 'REGISTRY_TOKEN',
    type: 'secret',
    description: 'Registry bearer token; used instead of the username and password when set',
  },
  {
    key: 'registry.changeFeed',
    env: 'REGISTRY_CHANGE_FEED',
    type: 'string',
    default: 'auto',
    enum: ['auto', 'history', 'lastUpdated'],
    description:
      'How registry changes are pulled: mCSD Update Option (Location/_history?_since), _lastUpdated searches, or auto (the CapabilityStatement decides; no history → searches)',
  },
  {
    key: 'registry.pageSize',
    env: 'REGISTRY_PAGE_SIZE',
    type: 'number',
    default: 100,
    integer: true,
    min: 1,
    description: 'Locations per registry page (_count)',
  },
  {
    key: 'registry.timeoutMs',
    env: 'REGISTRY_TIMEOUT_MS',
    type: 'number',
    default: 20000,
    max: MAX_TIMER_MS,
    min: MIN_EXCHANGE_MS,
    description: 'Per-call timeout to the registry',
  },
  {
    key: 'registry.pushClockSkewMs',
    env: 'REGISTRY_PUSH_CLOCK_SKEW_MS',
    type: 'number',
    default: 300000,
    integer: true,
    min: 0,
    max: MAX_TIMER_MS,
    description:
      "How far a pushed Location's meta.lastUpdated may be ahead of this mediator's clock (ms); one further ahead is refused, since it would count as newer than every real change until then",
  },
  {
    key: 'registry.identifierSystem',
    env: 'REGISTRY_IDENTIFIER_SYSTEM',
    type: 'string',
    default: 'http://fhir-supply-mediator.org/fhir/identifier/registry-facility-code',
    description:
      "The registry's facility code namespace (Location.identifier system); the same default as openmrs.registryCodeSystem so codes line up",
  },
  {
    key: 'mapping.productCodeSystem',
    env: 'PRODUCT_CODE_SYSTEM',
    type: 'string',
    default: 'gtin',
    enum: ['gtin', 'national'],
    description: 'Product codes on the FHIR side: GTIN or a national code system',
  },
  {
    key: 'mapping.nationalProductCodeSystem',
    env: 'NATIONAL_PRODUCT_CODE_SYSTEM',
    type: 'string',
    description: 'The national product code system URI when mapping.productCodeSystem=national',
  },
  {
    key: 'openhim.orchestrationBodyLimitBytes',
    env: 'OPENHIM_ORCHESTRATION_BODY_LIMIT',
    type: 'number',
    default: 65536,
    integer: true,
    min: 0,
    description: 'Largest upstream body copied into an OpenHIM orchestration (OpenHIM keeps 15 MiB per transaction)',
  },
  {
    key: 'mappings.dir',
    env: 'MAPPINGS_DIR',
    type: 'string',
    default: './fhir-mappings',
    description:
      'Directory of mapping data (products.json, facility matching tables); the default is the shipped one, another relative path is from the working directory (also in CONFIG_FILE); checked at start-up, see `check-mappings`',
    restart: true,
  },
  {
    key: 'log.level',
    env: 'LOG_LEVEL',
    type: 'string',
    default: 'info',
    enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
    description: 'Log level',
  },
];

export type Settings = Record<string, string | number | boolean | undefined>;

export function secretKeys(): string[] {
  return settingDefs.filter((d) => d.type === 'secret').map((d) => d.key);
}
