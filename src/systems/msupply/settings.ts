import type { TransportSettings } from '../../upstream/pool.js';

/**
 * The connector's settings from the flat settings table (src/config/settings.ts keys `msupply.*`).
 * Defaults repeat the table's so the connector also works when built directly (tests, CLI).
 */
export interface MsupplySettings extends TransportSettings {
  username?: string;
  password?: string;
  /** Name code of the default supplier of request requisitions. */
  supplierCode?: string;
  maxMonthsOfStock: number;
  minMonthsOfStock: number;
  /** Move a confirmed inbound shipment on to VERIFIED. */
  verifyDeliveries: boolean;
}

const str = (v: unknown): string | undefined => (v === undefined || v === null || v === '' ? undefined : String(v));
const num = (v: unknown, fallback: number): number =>
  v !== '' && v !== undefined && v !== null && Number.isFinite(Number(v)) ? Number(v) : fallback;

export function msupplySettingsFrom(s: Record<string, unknown>): MsupplySettings {
  const baseUrl = str(s['msupply.baseUrl']);
  if (!baseUrl) throw new Error('msupply.baseUrl is not set: the Open mSupply connector needs the server URL');
  return {
    baseUrl: baseUrl.replace(/\/+$/, ''),
    username: str(s['msupply.username']),
    password: str(s['msupply.password']),
    timeoutMs: num(s['msupply.timeoutMs'], 20_000),
    concurrency: Math.max(1, num(s['msupply.concurrency'], 8)),
    supplierCode: str(s['msupply.supplierCode']),
    maxMonthsOfStock: num(s['msupply.maxMonthsOfStock'], 3),
    minMonthsOfStock: num(s['msupply.minMonthsOfStock'], 1),
    verifyDeliveries:
      s['msupply.verifyDeliveries'] === true || /^(true|1|yes|on)$/i.test(String(s['msupply.verifyDeliveries'] ?? '')),
  };
}
