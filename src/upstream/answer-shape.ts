/**
 * What a 2xx body that is not the JSON an API promised is, in words, never its text (a login page
 * may carry a session or a form's hidden fields). The client parses a body as JSON when it can;
 * what reaches a connector as a string is therefore a page, JSON cut short or plain text. Each
 * connector decides what such an answer means (to a read: transient; to a write: a lost answer,
 * looked up on the retry), but they describe it alike.
 */
export type AnswerHeaders = Record<string, string | string[] | undefined>;

export const HTML_PAGE = 'an HTML page, not JSON (a proxy or login page?)';

function contentType(headers: AnswerHeaders | undefined): string {
  const raw = headers?.['content-type'];
  return String(Array.isArray(raw) ? raw[0] : (raw ?? ''));
}

/** True when a string body is an HTML page (a gateway's or the server's login form). */
export function isHtmlPage(body: unknown, headers?: AnswerHeaders): boolean {
  return typeof body === 'string' && (body.trimStart().startsWith('<') || /html/i.test(contentType(headers)));
}

/**
 * The words for a string body that is not JSON, or undefined when it is JSON after all (a bare
 * JSON string, such as the id OpenLMIS answers a stock event with, arrives as a string labelled
 * JSON).
 */
export function nonJsonAnswer(body: string, headers?: AnswerHeaders): string | undefined {
  if (isHtmlPage(body, headers)) return HTML_PAGE;
  const head = body.trimStart();
  if (/^[[{]/.test(head)) return 'JSON cut short';
  return /json/i.test(contentType(headers)) ? undefined : 'text, not JSON';
}
