import { settingDefs } from './settings.js';

export interface MisspeltVariable {
  /** The environment variable set, which no setting reads. */
  given: string;
  /** The setting's variable it is one or two letters away from. */
  meant: string;
}

/** Edits (insert, delete, replace, swap of neighbours) between two short names, capped at 3. */
function distance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[a.length][b.length];
}

const prefix = (name: string): string => name.split('_')[0];

/**
 * Environment variables that look like a setting's with a typo (OPENLMIS_PASSWROD): ignored,
 * since no setting reads them, so the setting keeps its default and the mediator runs without
 * the value the operator meant to give. Only names within two edits of a setting's variable,
 * with its first word, so the machine's other variables are left alone. Names only, never values (a secret).
 */
export function misspeltSettings(env: NodeJS.ProcessEnv): MisspeltVariable[] {
  const known = new Set(settingDefs.map((d) => d.env));
  const out: MisspeltVariable[] = [];
  for (const given of Object.keys(env)) {
    if (known.has(given) || given.length < 6) continue;
    // the same first word (OPENLMIS_…): SSL_CERT_FILE is OpenSSL's, not a typo of TLS_CERT_FILE
    const meant = settingDefs.find((d) => prefix(d.env) === prefix(given) && distance(given, d.env) <= 2)?.env;
    if (meant) out.push({ given, meant });
  }
  return out;
}
