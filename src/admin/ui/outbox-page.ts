import { shortJobId } from '../../outbox/job-id.js';
import type { JobStatus } from '../../store/types.js';
import type { JobDetail, JobSummary, JobView, TransactionUpdatesView } from '../../outbox/operator.js';
import type { JobAttempt } from '../../store/types.js';
import { count, html, query, type Html } from './html.js';
import { UI_PREFIX, type Session } from './session.js';

export const STATES: { status: JobStatus; label: string }[] = [
  { status: 'pending', label: 'Waiting' },
  { status: 'in-flight', label: 'In flight' },
  { status: 'dead', label: 'Dead letters' },
  { status: 'rejected', label: 'Rejected by the upstream' },
  { status: 'done', label: 'Delivered' },
];

/** Jobs per page of the list (the admin API's offset pages through the rest). */
export const JOB_PAGE = 100;

/** Dead letters listed at the top; the rest are a click away (the list filtered to dead). */
export const DEAD_SHOWN = 50;

export interface OutboxData {
  counts: Record<string, number>;
  /** Jobs per system and state but delivered (done): every such job, counted by the store. */
  bySystem: Map<string, Record<string, number>>;
  oldestWaiting?: JobSummary;
  /** OpenHIM transaction updates not sent, as /admin/outbox/counts gives them. */
  openhimUpdates?: TransactionUpdatesView;
  dead: JobSummary[];
  listed: JobSummary[];
  /** where the list starts, its page size, and whether more jobs follow */
  page: { offset: number; size: number; more: boolean };
  /**
   * Why the admin API refused the list (a filter naming no system: 404), when it did: said in
   * place of the list, never drawn as an empty one ("No job matches" reads as nothing queued).
   */
  listRefused?: { status: number; problem: string };
  filters: { status?: string; system?: string };
  now: number;
}

/** "3 h 12 min", "45 s": how long something has waited. */
export function age(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${m % 60} min`;
  return `${Math.floor(h / 24)} days`;
}

const jobLink = (j: { id: string }) =>
  html`<a href="${UI_PREFIX}/outbox/jobs/${encodeURIComponent(j.id)}">${shortJobId(j.id)}</a>`;
const statusClass = (s: string) =>
  s === 'done' ? 'state-ok' : s === 'dead' || s === 'rejected' ? 'state-bad' : 'state-warn';

/**
 * "2 OpenHIM transaction updates owed, oldest 12 min; 1 refused": transactions OpenHIM shows Processing until
 * they are sent (refused and abandoned ones for good). Nothing when all were sent.
 */
function openhimUpdatesLine(d: OutboxData): Html | string {
  const u = d.openhimUpdates;
  if (!u || u.owed + u.refused + u.abandoned === 0) return '';
  const owed = `${count(u.owed)} OpenHIM transaction update${u.owed === 1 ? '' : 's'} owed${u.oldestOwedEndedAt ? `, oldest ${age(d.now - Date.parse(u.oldestOwedEndedAt))}` : ''}`;
  const lost = [u.refused ? `${count(u.refused)} refused` : '', u.abandoned ? `${count(u.abandoned)} abandoned` : '']
    .filter(Boolean)
    .join(', ');
  // a refusal may be OpenHIM's own failure of the transaction (it gave up before our answer): Failed there, not Processing
  return html`<p data-testid="openhim-updates">${owed}${lost ? `; ${lost} (OpenHIM keeps those as it last had them, Processing or, where it gave up first, Failed: each job's page says why)` : ''}</p>`;
}

/**
 * One cell of the per-system table: the count, linked to the list of those jobs. Delivered jobs
 * are not counted by system (nearly every row: the store would read them all at each refresh),
 * so their cell is only the link.
 */
function systemCell(d: OutboxData, system: string, status: JobStatus): Html {
  const href = `${UI_PREFIX}/outbox${query({ system, status })}`;
  if (status === 'done') return html`<a href="${href}" aria-label="list the delivered jobs of ${system}">list</a>`;
  return html`<a href="${href}">${count(d.bySystem.get(system)?.[status] ?? 0)}</a>`;
}

export function outboxBody(d: OutboxData): Html {
  const systems = [...d.bySystem.keys()].sort();
  const tiles = STATES.map(
    (s) =>
      html`<div class="tile"><span>${s.label}</span><strong data-testid="count-${s.status}">${count(d.counts[s.status] ?? 0)}</strong></div>`,
  );
  const oldest = d.oldestWaiting
    ? html`<p data-testid="oldest">Oldest waiting: ${jobLink(d.oldestWaiting)} (${d.oldestWaiting.flow} to ${d.oldestWaiting.system}), waiting ${age(d.now - Date.parse(d.oldestWaiting.createdAt))}, ${d.oldestWaiting.attempts} attempts; ${d.oldestWaiting.lastError ?? 'no error yet'}</p>`
    : html`<p data-testid="oldest">Nothing is waiting.</p>`;
  const updates = openhimUpdatesLine(d);
  const opt = (v: string, label: string, cur?: string) =>
    html`<option value="${v}"${v === (cur ?? '') ? html` selected` : ''}>${label}</option>`;
  return html`<h1>Outbox</h1>
<section aria-label="Jobs by state"><div class="tiles">${tiles}</div>${oldest}${updates}</section>
<h2>By system</h2>
<table><caption class="muted">Jobs per system and state; delivered jobs are counted over all systems only (above).</caption>
<thead><tr><th scope="col">System</th>${STATES.map((s) => html`<th scope="col">${s.label}</th>`)}</tr></thead>
<tbody>${systems.map((sys) => html`<tr><th scope="row">${sys}</th>${STATES.map((s) => html`<td>${systemCell(d, sys, s.status)}</td>`)}</tr>`)}</tbody></table>
<h2 id="dead-title">Dead letters</h2>
${
  d.dead.length
    ? html`<table aria-labelledby="dead-title" data-testid="dead-letters"><thead><tr><th scope="col">Job</th><th scope="col">Flow</th><th scope="col">System</th><th scope="col">Attempts</th><th scope="col">Since</th><th scope="col">Upstream's reason</th><th scope="col">Actions</th></tr></thead>
<tbody>${d.dead.map(
        (
          j,
        ) => html`<tr data-job="${j.id}"><td>${jobLink(j)}</td><td>${j.flow}</td><td>${j.system}</td><td>${j.attempts}</td><td>${age(d.now - Date.parse(j.createdAt))}</td><td class="long">${j.lastError ?? '—'}</td>
<td><a class="button" href="${UI_PREFIX}/outbox/jobs/${encodeURIComponent(j.id)}/confirm?action=retry">Retry…</a> <a class="button secondary" href="${UI_PREFIX}/outbox/jobs/${encodeURIComponent(j.id)}/confirm?action=drop">Drop…</a></td></tr>`,
      )}</tbody></table>`
    : html`<p data-testid="no-dead">No dead letters.</p>`
}
${(d.counts.dead ?? 0) > d.dead.length ? html`<p data-testid="more-dead">The ${count(d.dead.length)} oldest of ${count(d.counts.dead ?? 0)} dead letters are shown: <a href="${UI_PREFIX}/outbox${query({ status: 'dead' })}#list-title">list every dead letter</a>.</p>` : ''}
<h2 id="list-title">Jobs</h2>
<form class="filters" method="get" action="${UI_PREFIX}/outbox" aria-label="Job filters">
  <div><label for="o-status">State</label><select id="o-status" name="status">${opt('', 'Any state', d.filters.status)}${STATES.map((s) => opt(s.status, s.label, d.filters.status))}</select></div>
  <div><label for="o-system">System</label><select id="o-system" name="system">${opt('', 'Any system', d.filters.system)}${systems.map((s) => opt(s, s, d.filters.system))}</select></div>
  <button type="submit" class="secondary">Show</button>
</form>
${d.listRefused ? listRefusal(d.listRefused) : jobList(d)}`;
}

/** One page of the job list, with its pager. */
function jobList(d: OutboxData): Html {
  return html`<table aria-labelledby="list-title"><thead><tr><th scope="col">Job</th><th scope="col">State</th><th scope="col">Flow</th><th scope="col">System</th><th scope="col">Business key</th><th scope="col">Attempts</th><th scope="col">Created</th><th scope="col">Last error</th></tr></thead>
<tbody>${d.listed.map((j) => html`<tr><td>${jobLink(j)}</td><td class="${statusClass(j.status)}">${j.status}</td><td>${j.flow}</td><td>${j.system}</td><td class="long">${j.idempotencyKey}</td><td>${j.attempts}</td><td>${j.createdAt}</td><td class="long">${j.lastError ?? ''}</td></tr>`)}</tbody></table>
${pager(d)}`;
}

/** The list the admin API refused, in its words (what it lacks or names wrongly). */
const listRefusal = (r: { status: number; problem: string }) =>
  html`<p role="alert" class="flash error" data-testid="list-refused">The job list was refused (${r.status}): ${r.problem}</p>`;

/** "Jobs 101–200", with the previous and next pages (filters kept), oldest first. */
function pager(d: OutboxData): Html | string {
  const { offset, size, more } = d.page;
  if (!d.listed.length && offset === 0) return html`<p>No job matches.</p>`;
  const to = (o: number) => `${UI_PREFIX}/outbox${query({ ...d.filters, offset: o || undefined })}`;
  const range = d.listed.length
    ? `Jobs ${count(offset + 1)}–${count(offset + d.listed.length)}`
    : `No job from ${count(offset + 1)} on`;
  return html`<nav aria-label="Job pages" class="actions" data-testid="pager"><span>${range}</span>
${offset > 0 ? html`<a href="${to(Math.max(0, offset - size))}" rel="prev">Previous ${size}</a>` : ''}
${more ? html`<a href="${to(offset + size)}" rel="next">Next ${size}</a>` : ''}</nav>`;
}

const iso = (ms?: number) => (ms === undefined ? '' : new Date(ms).toISOString());

const ATTEMPT_WORDS: Record<JobAttempt['outcome'], string> = {
  done: 'delivered',
  retry: 'failed, to be retried',
  deferred: 'not sent: circuit open',
  rejected: 'refused by the upstream',
  dead: 'failed, given up',
};

/**
 * One delivery attempt in words: its number, how it ended, how long it took, the error. The
 * duration is said to be the attempt's own, so it is not read as the wait before the next one.
 */
function attemptText(a: JobDetail['attempts'][number]): Html {
  const ms = Math.max(0, Date.parse(a.endedAt) - Date.parse(a.startedAt));
  return html`Attempt ${a.attempt}: <strong class="${a.outcome === 'done' ? 'state-ok' : a.outcome === 'retry' || a.outcome === 'deferred' ? 'state-warn' : 'state-bad'}">${ATTEMPT_WORDS[a.outcome]}</strong>${repeatsText(a)} (the ${a.repeats ? 'latest ' : ''}attempt took ${ms < 1000 ? `${ms} ms` : age(ms)})${a.detail ? html`: ${a.detail}` : ''}`;
}

/** An entry standing for uncharged attempts that repeated one another: how many, since when. */
function repeatsText(a: JobDetail['attempts'][number]): string {
  return a.repeats && a.firstStartedAt ? `, ${count(a.repeats)} times since ${a.firstStartedAt}` : '';
}

/**
 * The job's update of its OpenHIM transaction when not sent (owed, refused, abandoned), and why:
 * a write OpenHIM gave up on after it was recorded is delivered while OpenHIM shows its
 * transaction failed, and the refusal's reason (transaction-ownership.ts) is where an operator
 * reading that failed transaction learns so, beside the write's own state.
 */
function openhimUpdateText(update: JobDetail['job']['transactionUpdate']): Html | string {
  if (!update || update.state === 'sent') return '';
  return html`<p data-testid="openhim-update">OpenHIM transaction update: <strong class="${update.state === 'owed' ? 'state-warn' : 'state-bad'}">${update.state}</strong>${update.lastError ? html` (${update.lastError})` : ''}</p>`;
}

/** A job's timeline: created, each attempt, each journaled step, each operator action, where it stands now. */
export function jobBody(detail: Pick<JobDetail, 'job' | 'steps' | 'audit'> & Partial<JobDetail>, now: number): Html {
  const j = detail.job;
  // the admin API's instants are ISO 8601 (operator.ts): ordered and aged as epoch ms here
  const nextAttemptAt = Date.parse(j.nextAttemptAt);
  const events: { at: number; text: Html; attempt?: boolean }[] = [
    {
      at: Date.parse(j.createdAt),
      text: html`Accepted: ${j.flow} to ${j.system}, business key <code>${j.idempotencyKey}</code>${j.transactionId ? html`, OpenHIM transaction <code>${j.transactionId}</code>` : ''}`,
    },
    ...(detail.attempts ?? []).map((a) => ({ at: Date.parse(a.endedAt), text: attemptText(a), attempt: true })),
    ...detail.steps.map((s) => ({
      at: Date.parse(s.completedAt),
      text: html`Step journaled: <strong>${s.step}</strong> <code>${JSON.stringify(s.result)?.slice(0, 200) ?? ''}</code>`,
    })),
    ...detail.audit.map((a) => ({
      at: Date.parse(a.at),
      text: html`${a.action} by <strong>${a.actor}</strong> ${Object.keys(a.details ?? {}).length ? html`<code>${JSON.stringify(a.details).slice(0, 200)}</code>` : ''}`,
    })),
  ].sort((a, b) => a.at - b.at);
  const ids = j.result ? Object.entries(j.result.ids) : [];
  const actionable = j.status !== 'in-flight' && j.status !== 'done';
  // a write made moot by a later one (a draft overtaken by its delivery's completion, an older
  // registry version): done, but never sent, and the ids it carries are the later write's
  const superseded = j.status === 'done' && j.result?.status === 'superseded';
  return html`<h1>Job <code>${j.id}</code></h1>
<p>State: <strong class="${statusClass(j.status)}" data-testid="job-status">${j.status}</strong> · ${j.attempts} ${j.attempts === 1 ? 'attempt' : 'attempts'} in the current budget${j.status === 'pending' ? html` · next attempt ${nextAttemptAt <= now ? 'now' : `in ${age(nextAttemptAt - now)}`}` : ''}</p>
${superseded ? html`<p data-testid="superseded">Superseded: not sent. A later write for the same record made it moot${ids.length ? '; the ids below are those of that write' : ''}.</p>` : ''}
${j.lastError ? html`<p>${j.status === 'done' ? (superseded ? 'Error of an earlier attempt (superseded since)' : 'Error of an earlier attempt (delivered since)') : 'Last error'}: <span data-testid="last-error">${j.lastError}</span></p>` : ''}
${openhimUpdateText(j.transactionUpdate)}
${j.error ? html`<p>Upstream's answer${j.error.upstreamStatus ? ` (HTTP ${j.error.upstreamStatus})` : ''}: ${j.error.issues.map((i) => i.diagnostics).join('; ')}</p>` : ''}
${ids.length ? html`<h2>${superseded ? 'Upstream ids (of the write that superseded it)' : 'Upstream ids'}</h2><dl class="facts" data-testid="upstream-ids">${ids.map(([k, v]) => html`<dt>${k}</dt><dd><code>${v}</code></dd>`)}</dl>` : ''}
<h2>Timeline</h2>
<ol class="timeline" data-testid="timeline">${events.map((e) => html`<li${e.attempt ? html` data-testid="attempt"` : ''}><time datetime="${iso(e.at)}">${iso(e.at)}</time>: ${e.text}</li>`)}</ol>
${actionable ? html`<p><a class="button" href="${UI_PREFIX}/outbox/jobs/${encodeURIComponent(j.id)}/confirm?action=retry">Retry…</a> <a class="button secondary" href="${UI_PREFIX}/outbox/jobs/${encodeURIComponent(j.id)}/confirm?action=drop">Drop…</a></p>` : ''}
<p><a href="${UI_PREFIX}/outbox">Back to the outbox</a></p>`;
}

/**
 * A dead or rejected job changes only by an operator's hand: shown so, its updatedAt names it
 * exactly (one retried and dead again since is not it). A pending one's moves with every attempt
 * and wait, so the confirmation guards it by its status alone, or it could never be acted on.
 */
const settled = (status: string) => status === 'dead' || status === 'rejected';

export function confirmBody(job: JobView, action: 'retry' | 'drop', session: Session): Html {
  const what =
    action === 'retry'
      ? 'Retry sends this job to the upstream again now, with a fresh attempt budget. Steps already journaled are not repeated.'
      : 'Drop deletes this job, its journal and its business key: the same write can then be sent again as a new one. This cannot be undone.';
  return html`<h1>${action === 'retry' ? 'Retry' : 'Drop'} job <code>${job.id}</code>?</h1>
<p>${job.flow} to ${job.system}, business key <code>${job.idempotencyKey}</code>, state ${job.status}, ${job.attempts} attempts.</p>
${job.lastError ? html`<p>Last error: ${job.lastError}</p>` : ''}
<p>${what}</p>
<form method="post" action="${UI_PREFIX}/outbox/jobs/${encodeURIComponent(job.id)}/${action}" class="actions">
  <input type="hidden" name="_csrf" value="${session.csrf}">
  <input type="hidden" name="seen" value="${job.status}">
  ${settled(job.status) ? html`<input type="hidden" name="seenUpdated" value="${job.updatedAt}">` : ''}
  <button type="submit"${action === 'drop' ? html` class="danger"` : ''} data-testid="confirm">Yes, ${action} this job</button>
  <a class="button secondary" href="${UI_PREFIX}/outbox/jobs/${encodeURIComponent(job.id)}">Cancel</a>
</form>`;
}
