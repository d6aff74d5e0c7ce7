/**
 * HTML by tagged template: every interpolated value is masked (any configured secret in it) and
 * escaped unless it is already `Html` (a fragment built the same way), so a facility name or an
 * upstream's error text can never become markup nor show a secret. Arrays are joined.
 *
 * Masking here, where a value enters the page, and not over the finished page, keeps the
 * console's own markup intact: a secret that is also a word of the markup (the demo's upstream
 * password is `password`) would otherwise turn `type="password"` into `type="**********"`.
 */
import { processRedactor } from '../../platform/redaction.js';

export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]);
}

type Part = Html | string | number | boolean | null | undefined | Part[];

function render(part: Part): string {
  if (part === null || part === undefined || part === false) return '';
  if (part instanceof Html) return part.value;
  if (Array.isArray(part)) return part.map(render).join('');
  // masked before escaping: a secret holding `&` or `"` is known in its raw form
  return escapeHtml(processRedactor.redact(String(part)));
}

/**
 * A value the mediator's own code wrote (a setting's name, environment variable or description):
 * escaped but not masked, as it names a secret and never holds one.
 */
export function ownText(text: string): Html {
  return new Html(escapeHtml(text));
}

export function html(strings: TemplateStringsArray, ...parts: Part[]): Html {
  let out = strings[0];
  for (let i = 0; i < parts.length; i++) out += render(parts[i]) + strings[i + 1];
  return new Html(out);
}

/** A query string from the defined, non-empty values. */
export function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** 1240 → "1,240": counts read at a glance. */
export const count = (n: number) => n.toLocaleString('en-GB');
