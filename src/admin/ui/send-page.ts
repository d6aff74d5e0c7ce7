import type { FastifyReply } from 'fastify';
import { processRedactor } from '../../platform/redaction.js';
import { markRedacted } from '../../platform/redacted-payload.js';
import type { Html } from './html.js';

// No script or style from anywhere but the mediator, no framing: the console is an admin surface.
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/**
 * A console page as the answer, with the console's headers. Every value in a console page was
 * masked as it was inserted (html.ts), so the page is marked as redacted: the response hook's pass
 * over the whole text would mask the console's own words too.
 */
export function sendPage(reply: FastifyReply, body: Html, status = 200) {
  return withPageHeaders(reply, body, status).send(body.value);
}

/** `reply` made a console page's answer (its status and headers), for a hook returning its text. */
export function withPageHeaders(reply: FastifyReply, body: Html, status = 200): FastifyReply {
  markRedacted(reply, body.value, processRedactor);
  return (
    reply
      .code(status)
      .type('text/html; charset=utf-8')
      .header('content-security-policy', CSP)
      // frame-ancestors for browsers (and proxies) that predate it
      .header('x-frame-options', 'DENY')
      .header('cache-control', 'no-store')
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'same-origin')
  );
}
