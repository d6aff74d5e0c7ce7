/**
 * An absolute http(s) URL with a host, as undici and the link builders need it. The scheme is
 * checked first: `user:pw@host/fhir` parses as a URL of scheme `user:`, which no client can call.
 * Shared by loadSettings' checks and the registry client's own (a client built directly, in tests
 * or the CLI, reaches it without loadSettings).
 */
export function isHttpUrl(value: string): boolean {
  if (!/^https?:\/\//i.test(value)) return false;
  try {
    return new URL(value).host !== '';
  } catch {
    return false;
  }
}
