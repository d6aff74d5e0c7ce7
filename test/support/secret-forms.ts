/**
 * What the secrets tests look for and where: the forms a secret takes on the wire (computed here
 * independently of src/platform/redaction.ts), and everything the mediator emitted, gathered
 * under a label saying where it came from, to be scanned for any of them.
 */

/** Each form of `secret` (raw, JSON-escaped, URL-encoded once and twice, base64, in a Basic pair). */
export function wireForms(secret: string, user?: string): string[] {
  const b64 = (s: string) => [Buffer.from(s).toString('base64'), Buffer.from(s).toString('base64url')];
  const json = JSON.stringify(secret).slice(1, -1);
  const base64 = [...b64(secret), ...(user === undefined ? [] : b64(`${user}:${secret}`))];
  const forms = [
    secret,
    json,
    JSON.stringify(json).slice(1, -1),
    encodeURIComponent(secret),
    new URLSearchParams({ s: secret }).toString().slice(2),
    // in a URL carried in another URL (a redirect's ?from=), and a JSON body carried in a URL
    encodeURIComponent(encodeURIComponent(secret)),
    encodeURIComponent(json),
    ...base64,
    // a Basic header repeated in a URL: its base64 percent-encoded
    ...base64.map((f) => encodeURIComponent(f)),
  ];
  // the marker alone: a secret cut in half (truncation) still leaks its start
  const marker = /^cnry[A-Z]{4}/.exec(secret)?.[0];
  if (marker) forms.push(marker);
  return forms.filter((f) => f.length >= 6);
}

export interface Leak {
  where: string;
  form: string;
}

/** Everything emitted, each item labelled with where it was seen. */
export class Emitted {
  readonly items: { where: string; text: string }[] = [];
  add(where: string, value: unknown): void {
    this.items.push({ where, text: typeof value === 'string' ? value : JSON.stringify(value) });
  }
  leaks(forms: string[]): Leak[] {
    const found: Leak[] = [];
    for (const item of this.items)
      for (const form of forms) if (item.text.includes(form)) found.push({ where: item.where, form });
    return found;
  }
  count(where: RegExp): number {
    return this.items.filter((i) => where.test(i.where)).length;
  }
  /** The first item at `where` holding `form`, cut to `max` characters (to show a leak). */
  sample(leak: Leak, max = 3000): string {
    return this.items.find((i) => i.where === leak.where && i.text.includes(leak.form))!.text.slice(0, max);
  }
}
