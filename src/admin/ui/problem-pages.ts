import { document } from './layout.js';
import { html, type Html } from './html.js';
import { UI_PREFIX } from './session.js';

/** How long the 503 page asks a browser (and a person) to wait before trying again. */
export const RETRY_AFTER_S = 15;

/** Fields never shown or carried again: the admin token (a secret) and the old session's CSRF field. */
const NOT_CARRIED = new Set(['token', '_csrf']);

/** A form's fields as posted (urlencoded: strings, or arrays of them for repeated names). */
function fieldsOf(body: unknown): [string, string][] {
  if (!body || typeof body !== 'object') return [];
  return Object.entries(body as Record<string, unknown>).flatMap(([k, v]) =>
    NOT_CARRIED.has(k)
      ? []
      : (Array.isArray(v) ? v : [v])
          .filter((x): x is string => typeof x === 'string')
          .map((x): [string, string] => [k, x]),
  );
}

/** What a form was sending, to read or copy: a person's comment is never lost without a trace. */
function sentList(fields: [string, string][]): Html | string {
  const shown = fields.filter(([, v]) => v.trim() !== '');
  if (!shown.length) return '';
  return html`<h2>What the form was sending</h2>
<dl class="facts">${shown.map(([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`)}</dl>`;
}

/** A page of its own (no navigation: it may be served without a session). */
function notice(title: string, body: Html): Html {
  return document(title, html`<main id="main" class="login" tabindex="-1">${body}</main>`);
}

export interface FailedRequest {
  method: string;
  /** the path and query asked for */
  url: string;
  body?: unknown;
  /** the console page the form was on, when the browser said (Referer, same console only) */
  from?: string;
}

/**
 * The mediator's own database away (a restart, a failover, a full disk). A page view offers to
 * load again; a form post offers to send the same fields again (with the session's CSRF field,
 * which the browser still holds in its cookie-bound session once the database is back): the
 * admin API behind it refuses a decision already made or a job already handled, so sending again
 * never applies it twice.
 */
export function unavailablePage(req: FailedRequest, csrf?: string): Html {
  const isForm = req.method === 'POST';
  const fields = fieldsOf(req.body);
  const again =
    isForm && csrf && !req.url.startsWith(`${UI_PREFIX}/login`)
      ? html`<form method="post" action="${req.url}">
${fields.map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`)}
<input type="hidden" name="_csrf" value="${csrf}">
<button type="submit">Send again</button>
</form>`
      : isForm
        ? html`<p><a class="button" href="${req.from ?? `${UI_PREFIX}/review`}">Back to the form</a></p>`
        : html`<p><a class="button" href="${req.url}">Try again</a></p>`;
  return notice(
    'Database unavailable',
    html`<h1>The mediator's database is unavailable just now</h1>
<p role="alert" class="flash error">The console cannot read or save anything until it is back (a restart or a failover usually takes seconds).</p>
<p>${isForm ? 'Your form was most likely not saved. Sending it again is safe: a decision already made, or a job handled since, is refused with who did it, not done twice.' : 'Nothing was changed.'} Try again in ${RETRY_AFTER_S} seconds; if it keeps failing, tell whoever runs the mediator (its log says why).</p>
${again}
${isForm ? sentList(fields) : ''}`,
  );
}

/**
 * A form whose decision or action was stored, the database failing just after, as the session
 * was written back (its message and undo entry): the unavailable page said "most likely not
 * saved" and offered to send it again (refused then, not done twice, but misleading). It was
 * saved: this says so, and where to go on.
 */
export function savedNoteLostPage(next: string): Html {
  return notice(
    'Saved',
    html`<h1>What you sent was saved</h1>
<p role="status" class="flash ok">It was recorded. The mediator's database failed just after, so the console could not keep its note of it (the message and the undo entry); do not send it again.</p>
<p><a class="button" href="${next}">Go on</a></p>`,
  );
}

/**
 * A form sent after the session ended (idle, signed out elsewhere, the admin token rotated):
 * nothing was done; what the form held is shown so nothing typed is lost, and signing in again
 * comes back to the page the form was on.
 */
export function sessionEndedPage(req: FailedRequest): Html {
  const back = req.from ?? `${UI_PREFIX}/review`;
  return notice(
    'Sign in again',
    html`<h1>Your session ended</h1>
<p role="alert" class="flash error">Nothing was done: the form arrived after your session ended (it had been idle, you signed out, or the admin token changed).</p>
<p><a class="button" href="${UI_PREFIX}/login?next=${encodeURIComponent(back)}">Sign in again</a> and send the form once more.</p>
${sentList(fieldsOf(req.body))}`,
  );
}

/** A form whose CSRF field is not this session's (an old tab from before a sign-in, another site). */
export function formRefusedPage(req: FailedRequest): Html {
  return notice(
    'Form out of date',
    html`<h1>This form is out of date</h1>
<p role="alert" class="flash error">Nothing was done: the form came from an earlier session (or not from this console).</p>
<p><a class="button" href="${req.from ?? `${UI_PREFIX}/review`}">Open the page again</a> and send the form from there.</p>
${sentList(fieldsOf(req.body))}`,
  );
}

/** Any other failure: the log has the details; nothing of the error is shown. */
export function failedPage(status: number, req: FailedRequest): Html {
  return notice(
    'Something went wrong',
    html`<h1>${status >= 500 ? 'The console failed to answer' : 'The console could not take this request'}</h1>
<p role="alert" class="flash error">${status >= 500 ? 'An internal error (the mediator log has the details).' : `The request was refused (HTTP ${status}).`}</p>
<p><a class="button" href="${req.from ?? `${UI_PREFIX}/review`}">Back</a></p>`,
  );
}

/**
 * A console path nothing answers (a mistyped or old link): the console's own page with a way
 * home, not the FHIR API's JSON. Served without reading a session, so it works signed out too.
 */
export function notFoundPage(path: string): Html {
  return notice(
    'Page not found',
    html`<h1>No such page in the console</h1>
<p role="alert" class="flash error">Nothing here answers <code class="long">${path}</code>: the link may be mistyped or from an older version.</p>
<p><a class="button" href="${UI_PREFIX}/review">Go to the review queue</a> <a class="button secondary" href="${UI_PREFIX}/outbox">Go to the outbox</a></p>`,
  );
}
