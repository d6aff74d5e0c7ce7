import type { OpenLmisSettings } from './types.js';

/**
 * The connector's settings from the flat settings table (src/config/settings.ts keys
 * `openlmis.*`). Defaults repeat the table's so the connector also works when built directly
 * (tests, CLI) with only a base URL and credentials.
 */
const str = (v: unknown): string | undefined => (v === undefined || v === null || v === '' ? undefined : String(v));
const num = (v: unknown, fallback: number): number =>
  Number.isFinite(Number(v)) && v !== '' && v !== undefined && v !== null ? Number(v) : fallback;
const bool = (v: unknown): boolean => v === true || /^(true|1|yes|on)$/i.test(String(v ?? ''));

export function lmisSettingsFrom(s: Record<string, unknown>): OpenLmisSettings {
  const baseUrl = str(s['openlmis.baseUrl']);
  if (!baseUrl) throw new Error('openlmis.baseUrl is not set: the OpenLMIS connector needs the server URL');
  const stockApi = str(s['openlmis.stockApi']) ?? 'auto';
  return {
    baseUrl: baseUrl.replace(/\/+$/, ''),
    username: str(s['openlmis.username']),
    password: str(s['openlmis.password']),
    clientId: str(s['openlmis.clientId']) ?? 'user-client',
    clientSecret: str(s['openlmis.clientSecret']),
    apiKey: str(s['openlmis.apiKey']),
    timeoutMs: num(s['openlmis.timeoutMs'], 20_000),
    concurrency: Math.max(1, num(s['openlmis.concurrency'], 8)),
    authorizeStep: bool(s['openlmis.authorizeStep']),
    stockApi: stockApi === 'code' || stockApi === 'uuid' ? stockApi : 'auto',
    referenceTtlMs: num(s['openlmis.referenceTtlMs'], 600_000),
  };
}
