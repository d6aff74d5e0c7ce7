import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { notFoundPage } from '../admin/ui/problem-pages.js';
import { sendPage } from '../admin/ui/send-page.js';
import { UI_PREFIX } from '../admin/ui/session.js';
import { MediatorError } from '../domain/errors.js';
import { fhirErrorHandler } from '../fhir/outcome.js';
import { redact } from './redaction.js';

/** How much of a refused path an answer repeats: enough to recognise it, not a 100 kB echo. */
const SHOWN = 120;

/** Fastify's router: no path segment (an id) longer than this (its maxParamLength default). */
export const MAX_SEGMENT = 100;

/**
 * The answer to a request Fastify's router refuses before any route sees it (Fastify's
 * `frameworkErrors`): a path with a %-escape that decodes to no character (`%zz`, FST_ERR_BAD_URL:
 * 400) or a segment longer than an id can be (FST_ERR_MAX_PARAM_LENGTH: 414). Fastify's own answer
 * is its JSON error with the whole path echoed; here it is what every other refusal is: an
 * OperationOutcome for the FHIR and admin APIs (expression `url`), the console's page for a person
 * at a browser.
 */
export function answerRefusedUrl(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const tooLong = error.code === 'FST_ERR_MAX_PARAM_LENGTH';
  // another refusal of the router (an async constraint): the one error handler maps it by its status
  if (!tooLong && error.code !== 'FST_ERR_BAD_URL') return fhirErrorHandler(error, request, reply);
  const path = (request.raw.url ?? '').split('?')[0];
  // masked here: no route, so the response hooks (redaction among them) do not run for this answer
  const cut = path.length > SHOWN ? `${path.slice(0, SHOWN)}…` : path;
  const shown = redact(cut);
  const status = tooLong ? 414 : 400;
  if (path === UI_PREFIX || path.startsWith(`${UI_PREFIX}/`)) {
    request.log.info({ status, code: error.code }, 'request refused');
    void sendPage(reply, notFoundPage(shown), status);
    return;
  }
  fhirErrorHandler(
    new MediatorError(status, {
      code: 'invalid',
      diagnostics: tooLong
        ? `a part of the path ${shown} is longer than ${MAX_SEGMENT} characters: no id is that long`
        : `the path ${shown} holds a %-escape that is no character (a % not followed by two hex digits, or bytes that are no UTF-8)`,
      expression: ['url'],
    }),
    request,
    reply,
  );
}
