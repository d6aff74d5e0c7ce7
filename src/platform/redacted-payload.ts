/**
 * A reply body a hook has already passed through the redactor as it built it (the OpenHIM
 * envelope is redacted as text in one pass): the response hook need not scan the same text again
 * with the same redactor. The mark names the exact text and redactor, so a body changed after
 * marking, or a hook redacting with another redactor, is scanned as before.
 */
import type { FastifyReply } from 'fastify';
import type { Redactor } from './redaction.js';

const REDACTED = Symbol('redactedPayload');
type Marked = FastifyReply & { [REDACTED]?: { text: string; redactor: Redactor } };

export function markRedacted(reply: FastifyReply, text: string, redactor: Redactor): void {
  (reply as Marked)[REDACTED] = { text, redactor };
}

export function isRedactedBy(reply: FastifyReply, payload: unknown, redactor: Redactor): boolean {
  const mark = (reply as Marked)[REDACTED];
  return mark !== undefined && mark.redactor === redactor && mark.text === payload;
}
