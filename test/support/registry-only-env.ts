import { DEFAULT_MFR_AUTH } from '../../sandbox/mfr/index.js';

/**
 * The environment of a mediator process (serve, or a CLI command) whose one upstream is the
 * registry sandbox at `registryUrl`, every other system unset and every schedule off: a test runs
 * its jobs by hand (the stop tests: a `propagate` run held in a registry read).
 */
export function registryOnlyEnv(o: {
  dataDir: string;
  databaseUrl: string;
  registryUrl: string;
  adminToken: string;
}): Record<string, string> {
  return {
    DATA_DIR: o.dataDir,
    DATABASE_URL: o.databaseUrl,
    LOG_LEVEL: 'warn',
    AUTH_MODE: 'off',
    ADMIN_TOKEN: o.adminToken,
    REGISTRY_URL: o.registryUrl,
    REGISTRY_USERNAME: DEFAULT_MFR_AUTH.username,
    REGISTRY_PASSWORD: DEFAULT_MFR_AUTH.password,
    OPENLMIS_BASE_URL: '',
    MSUPPLY_BASE_URL: '',
    OPENMRS_BASE_URL: '',
    DHIS2_BASE_URL: '',
    SCHEDULE_PROPAGATE: 'off',
    SCHEDULE_RECONCILE: 'off',
    SCHEDULE_RTS_TO_MSUPPLY: 'off',
    SCHEDULE_STOCK_TO_DHIS2: 'off',
    SCHEDULE_OUTBOX_PRUNE: 'off',
  };
}
