import { settingDefs, type Settings } from './settings.js';

/**
 * The plain-text setting (not of type secret) whose value is a URL carrying `user:password@`, if
 * any. Such a URL is shown in links, the CapabilityStatement, Location headers and logs, so the
 * password would travel with it. Secret settings (the PostgreSQL URL) may carry credentials.
 */
export function settingWithUrlCredentials(settings: Settings): string | undefined {
  for (const def of settingDefs) {
    if (def.type !== 'string') continue;
    const value = settings[def.key];
    if (typeof value !== 'string' || !/^[a-z][a-z0-9+.-]*:\/\//i.test(value.trim())) continue;
    try {
      const url = new URL(value.trim());
      if (url.username !== '' || url.password !== '') return def.key;
    } catch {
      // not a parseable URL: other checks report it
      if (/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i.test(value.trim())) return def.key;
    }
  }
  return undefined;
}

/** The refusal message names the setting and where credentials belong, never the value itself. */
export function urlCredentialsMessage(key: string): string {
  const def = settingDefs.find((d) => d.key === key);
  return `${key}${def ? ` (${def.env})` : ''} must not carry credentials (user:password@) in its URL: the URL is shown in links and logs; put them in the matching username/password settings`;
}
