/**
 * The JSON text of an answer body, when whoever built the body can make it cheaper than
 * JSON.stringify (issue 18: a searchset Bundle is assembled from entries whose text was made once
 * and reused). The text is made on demand, only when the body is sent: a body used as a value (a
 * batch entry's search) costs nothing more. Whoever registers a text does not change the body
 * afterwards; the text must be exactly JSON.stringify(body) (tests check it byte for byte).
 */
const texts = new WeakMap<object, string | (() => string)>();

/** Registers how to make `body`'s JSON text; returns the body. */
export function withJsonText<T extends object>(body: T, text: () => string): T {
  texts.set(body, text);
  return body;
}

/** Registers `body`'s JSON text, made already (adapters.ts withMeta: the text its version was hashed from); returns the body. */
export function withJsonTextOf<T extends object>(body: T, text: string): T {
  texts.set(body, text);
  return body;
}

/** `body` as JSON text: the registered text when there is one, else JSON.stringify. */
export function jsonText(body: unknown): string {
  const text = typeof body === 'object' && body !== null ? texts.get(body) : undefined;
  if (text === undefined) return JSON.stringify(body);
  return typeof text === 'string' ? text : text();
}
