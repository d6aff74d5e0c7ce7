import { shortJobId } from '../../outbox/job-id.js';
import type { runView } from '../jobs-routes.js';
import type { PropagationView } from '../../registry/propagation/status.js';
import { PROPAGATION_STATES, type PropagationFilter, type PropagationState } from '../../store/types.js';
import { problemOf, type AdminApi } from './api.js';
import { count, html, query, type Html } from './html.js';
import { age } from './outbox-page.js';
import { UI_PREFIX, type Session } from './session.js';

/**
 * "Propagation and bridges" (issue 17): where each registry change stands in each system, why the
 * held ones wait, and the scheduled runs that move data (propagate, reconcile, the two bridges)
 * with what each run counted. Read through the admin API (GET /admin/propagation, GET /admin/jobs)
 * like the other pages, so the console shows exactly what curl would.
 */

/** Held first (someone must act), then failed, then the rest: the order of the unfiltered list. */
export const STATE_ORDER: readonly PropagationState[] = ['held', 'failed', 'queued', 'done', 'skipped', 'superseded'];

const STATE_LABELS: Record<PropagationState, string> = {
  held: 'Held',
  failed: 'Failed',
  queued: 'Queued',
  done: 'Done',
  skipped: 'Skipped',
  superseded: 'Superseded',
};

/** The jobs this view reports on, in the order data moves: registry in, matches, then the bridges. */
export const BRIDGE_JOBS = ['propagate', 'reconcile', 'rtsToMsupply', 'stockToDhis2'] as const;

export const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 200;

export type Counts = Record<string, Partial<Record<PropagationState, number>>>;
type RunView = ReturnType<typeof runView>;

/** One scheduled job as GET /admin/jobs describes it (jobsOverview). */
export interface BridgeJob {
  name: string;
  description: string;
  setting: string;
  schedule: string | null;
  nextRun: string | null;
  lastRuns: RunView[];
}

export interface PropagationFilters {
  state?: PropagationState;
  system?: string;
  limit: number;
  offset: number;
}

export interface PropagationPageData {
  counts: Counts;
  items: PropagationView[];
  filters: PropagationFilters;
  total: number;
  /** Jobs by name; a name absent here is not scheduled on this mediator. */
  jobs: Map<string, BridgeJob>;
  /** Why part of the page could not be read (shown, never hidden). */
  notices: string[];
  session: Session;
  now: number;
}

const str = (v: unknown) => (typeof v === 'string' ? v.trim() : '');

function whole(v: unknown, fallback: number, min: number, max: number): number {
  const n = Number(str(v));
  return Number.isInteger(n) && str(v) !== '' ? Math.min(max, Math.max(min, n)) : fallback;
}

/** The page's query string, read leniently: an unknown state or a bad number falls back to the default. */
export function filtersOf(q: Record<string, unknown>): PropagationFilters {
  const state = str(q.state) as PropagationState;
  return {
    state: PROPAGATION_STATES.includes(state) ? state : undefined,
    system: str(q.system) || undefined,
    limit: whole(q.limit, DEFAULT_LIMIT, 1, MAX_LIMIT),
    offset: whole(q.offset, 0, 0, Number.MAX_SAFE_INTEGER),
  };
}

function countOf(counts: Counts, state: PropagationState, system?: string): number {
  const systems = system ? [system] : Object.keys(counts);
  return systems.reduce((n, s) => n + (counts[s]?.[state] ?? 0), 0);
}

/**
 * The listings that make up one page of the changes table. The API lists newest first within a
 * filter; held rows come first when no state is chosen, so the page reads the states in
 * STATE_ORDER one after the other, using the counts to know where `offset` falls.
 */
export function listingPlan(counts: Counts, f: PropagationFilters): { queries: PropagationFilter[]; total: number } {
  const states = f.state ? [f.state] : STATE_ORDER;
  const queries: PropagationFilter[] = [];
  let skip = f.offset;
  let want = f.limit;
  let total = 0;
  for (const state of states) {
    const n = countOf(counts, state, f.system);
    total += n;
    if (want === 0 || n === 0) continue;
    if (skip >= n) {
      skip -= n;
      continue;
    }
    const take = Math.min(want, n - skip);
    queries.push({ state, ...(f.system ? { system: f.system } : {}), limit: take, offset: skip });
    skip = 0;
    want -= take;
  }
  return { queries, total };
}

/** Reads the page's data through the admin API; a part that fails becomes a notice, not an error page. */
export async function loadPropagationPage(
  api: AdminApi,
  q: Record<string, unknown>,
  session: Session,
  now: number,
): Promise<PropagationPageData> {
  const filters = filtersOf(q);
  const notices: string[] = [];
  const [first, jobsAnswer] = await Promise.all([
    api.get('/admin/propagation?limit=1'),
    api.get('/admin/jobs?limit=5'),
  ]);
  if (first.status !== 200) notices.push(`Propagation status could not be read (${first.status}): ${problemOf(first)}`);
  const counts: Counts = first.body?.counts ?? {};
  const { queries, total } = listingPlan(counts, filters);
  const pages = await Promise.all(
    queries.map((p) =>
      api.get(`/admin/propagation${query({ state: p.state, system: p.system, limit: p.limit, offset: p.offset })}`),
    ),
  );
  const items: PropagationView[] = [];
  for (const answer of pages) {
    if (answer.status === 200) items.push(...(answer.body.items as PropagationView[]));
    else notices.push(`Part of the list could not be read (${answer.status}): ${problemOf(answer)}`);
  }
  const jobs = new Map<string, BridgeJob>();
  if (jobsAnswer.status === 200) for (const j of jobsAnswer.body.jobs as BridgeJob[]) jobs.set(j.name, j);
  else notices.push(`Job runs could not be read (${jobsAnswer.status}): ${problemOf(jobsAnswer)}`);
  return { counts, items, filters, total, jobs, notices, session, now };
}

const stateClass = (s: string) =>
  s === 'done' ? 'state-ok' : s === 'failed' ? 'state-bad' : s === 'held' || s === 'queued' ? 'state-warn' : 'muted';

function countsTable(d: PropagationPageData): Html {
  const systems = Object.keys(d.counts).sort();
  if (systems.length === 0)
    return html`<p data-testid="no-propagation">No registry change has been planned for any system yet.</p>`;
  const cell = (system: string, state: PropagationState) => {
    const n = d.counts[system]?.[state] ?? 0;
    return html`<td data-testid="count-${system}-${state}">${n ? html`<a href="${UI_PREFIX}/propagation${query({ system, state })}" aria-label="${count(n)} ${STATE_LABELS[state].toLowerCase()} in ${system}">${count(n)}</a>` : '0'}</td>`;
  };
  return html`<div class="scroll" role="region" aria-labelledby="counts-title" tabindex="0">
<table data-testid="propagation-counts"><caption class="muted">Latest change of each registry facility, per system and state. A number opens those changes. A queued change whose delivery job gave up is counted, listed and filtered as failed, with the job's reason.</caption>
<thead><tr><th scope="col">System</th>${STATE_ORDER.map((s) => html`<th scope="col">${STATE_LABELS[s]}</th>`)}</tr></thead>
<tbody>${systems.map((sys) => html`<tr><th scope="row">${sys}</th>${STATE_ORDER.map((s) => cell(sys, s))}</tr>`)}</tbody></table></div>`;
}

function filterForm(d: PropagationPageData): Html {
  const systems = Object.keys(d.counts).sort();
  if (d.filters.system && !systems.includes(d.filters.system)) systems.push(d.filters.system);
  const opt = (v: string, label: string, cur?: string) =>
    html`<option value="${v}"${v === (cur ?? '') ? html` selected` : ''}>${label}</option>`;
  return html`<form class="filters" method="get" action="${UI_PREFIX}/propagation" aria-label="Change filters">
  <div><label for="p-state">State</label><select id="p-state" name="state">${opt('', 'Any state (held first)', d.filters.state)}${STATE_ORDER.map((s) => opt(s, STATE_LABELS[s], d.filters.state))}</select></div>
  <div><label for="p-system">System</label><select id="p-system" name="system">${opt('', 'Any system', d.filters.system)}${systems.map((s) => opt(s, s, d.filters.system))}</select></div>
  <div><label for="p-limit">Rows per page</label><select id="p-limit" name="limit">${[25, 50, 100, 200].map((n) => opt(String(n), String(n), String(d.filters.limit)))}</select></div>
  <button type="submit" class="secondary">Show</button>
</form>`;
}

/** The reason a change waits or failed, and the outbox job's error when it says more. */
function why(p: PropagationView): Html {
  const parts: Html[] = [];
  if (p.reason) parts.push(html`<span>${p.reason}</span>`);
  if (p.lastError && p.lastError !== p.reason)
    parts.push(html`<span class="muted">Job ${p.jobStatus ?? ''}: ${p.lastError}</span>`);
  if (p.jobId)
    parts.push(html`<a href="${UI_PREFIX}/outbox/jobs/${encodeURIComponent(p.jobId)}">job ${shortJobId(p.jobId)}</a>`);
  return parts.length
    ? html`${parts.map((x, i) => html`${i ? html`<br>` : ''}${x}`)}`
    : html`<span class="muted">—</span>`;
}

function unsupported(p: PropagationView): Html {
  const fields = Object.entries(p.unsupported ?? {});
  if (!fields.length) return html`<span class="muted">none</span>`;
  return html`<ul class="plain">${fields.map(([field, reason]) => html`<li><code>${field}</code>: ${reason}</li>`)}</ul>`;
}

function changesTable(d: PropagationPageData): Html {
  if (!d.items.length) return html`<p data-testid="no-changes">No change matches these filters.</p>`;
  const rows = d.items.map(
    (p) => html`<tr data-registry="${p.registryId}" data-system="${p.system}" data-state="${p.state}">
<th scope="row">${p.name ?? html`<span class="muted">(name not seen)</span>`}<br><code>${p.registryId}</code></th>
<td>${p.system}${p.systemId ? html`<br><code>${p.systemId}</code>` : ''}</td>
<td>${p.action}<br><span class="muted">version ${p.version}</span></td>
<td class="${stateClass(p.state)}">${STATE_LABELS[p.state] ?? p.state}</td>
<td>${why(p)}</td>
<td>${unsupported(p)}</td>
<td><time datetime="${p.updatedAt}">${p.updatedAt.slice(0, 16).replace('T', ' ')}</time><br><span class="muted">${age(d.now - Date.parse(p.updatedAt))} ago</span></td></tr>`,
  );
  return html`<div class="scroll" role="region" aria-labelledby="changes-title" tabindex="0">
<table data-testid="changes"><thead><tr><th scope="col">Registry facility</th><th scope="col">System</th><th scope="col">Action</th><th scope="col">State</th><th scope="col">Why</th><th scope="col">Fields not kept</th><th scope="col">When (UTC)</th></tr></thead>
<tbody>${rows}</tbody></table></div>`;
}

function pager(d: PropagationPageData): Html {
  const { limit, offset } = d.filters;
  const at = (o: number) =>
    `${UI_PREFIX}/propagation${query({ state: d.filters.state, system: d.filters.system, limit: limit === DEFAULT_LIMIT ? undefined : limit, offset: o || undefined })}`;
  const last = Math.min(d.total, offset + d.items.length);
  return html`<nav class="pager" aria-label="Pages of changes">
<span data-testid="showing">${d.items.length ? `${count(offset + 1)}–${count(last)} of ${count(d.total)}` : `0 of ${count(d.total)}`}</span>
${offset > 0 ? html`<a href="${at(Math.max(0, offset - limit))}" rel="prev">Previous</a>` : ''}
${offset + limit < d.total ? html`<a href="${at(offset + limit)}" rel="next" data-testid="next">Next</a>` : ''}
</nav>`;
}

/** "1 change is", "3 changes are". */
const changesAre = (n: number) => (n === 1 ? '1 change is' : `${count(n)} changes are`);

function heldTotal(counts: Counts): number {
  return countOf(counts, 'held');
}

function releaseBlock(d: PropagationPageData): Html {
  const held = heldTotal(d.counts);
  return html`<p>${held ? `${changesAre(held)} held.` : 'No change is held.'} Changes held for a review decision are planned again by themselves when the decision is made in the review queue; after decisions made elsewhere (a crosswalk import), plan them again here.
<a class="button" href="${UI_PREFIX}/propagation/confirm-release" data-testid="release">Plan held changes again…</a></p>`;
}

function runCounts(counts?: Record<string, number>): Html {
  const entries = Object.entries(counts ?? {});
  return entries.length
    ? html`${entries.map(([k, v], i) => html`${i ? ', ' : ''}${k} <strong>${count(v)}</strong>`)}`
    : html`<span class="muted">—</span>`;
}

const outcomeClass = (o: string) =>
  o === 'ok' ? 'state-ok' : o === 'failed' ? 'state-bad' : o === 'running' ? 'state-warn' : 'muted';

/**
 * A run's error and detail: an error of several lines (a reconcile run's systems, one failed) has
 * its first line after the outcome and the rest under it, as a detail is, not run together.
 */
function runError(r: RunView): Html {
  const [error, ...more] = r.error?.split('\n') ?? [];
  const below = [...more, ...(r.detail ? [r.detail] : [])].join('\n');
  return html`${error ? html`: ${error}` : ''}${below ? html`<div class="run-detail">${below}</div>` : ''}`;
}

function jobSection(name: string, job: BridgeJob | undefined): Html {
  const id = `job-${name}`;
  if (!job)
    return html`<section aria-labelledby="${id}" data-testid="${id}"><h3 id="${id}">${name}</h3><p class="muted">Not scheduled on this mediator (the systems it needs are not configured).</p></section>`;
  const runs = job.lastRuns.length
    ? html`<div class="scroll" role="region" aria-label="Last runs of ${name}" tabindex="0"><table><thead><tr><th scope="col">Started (UTC)</th><th scope="col">Trigger</th><th scope="col">Outcome</th><th scope="col">Counts</th></tr></thead>
<tbody>${job.lastRuns.map(
        (r) =>
          html`<tr><th scope="row"><time datetime="${r.start ?? ''}">${(r.start ?? '').slice(0, 19).replace('T', ' ')}</time></th><td>${r.trigger}</td><td class="${outcomeClass(r.outcome.split(':')[0])}">${r.outcome}${runError(r)}</td><td>${runCounts(r.counts)}</td></tr>`,
      )}</tbody></table></div>`
    : html`<p class="muted">No run yet.</p>`;
  return html`<section aria-labelledby="${id}" data-testid="${id}"><h3 id="${id}">${name}</h3>
<p>${job.description}</p>
<dl class="facts"><dt>Schedule</dt><dd>${job.schedule ? html`<code>${job.schedule}</code>` : html`<span class="muted">off</span>`} <span class="muted">(setting <code>${job.setting}</code>)</span></dd>
<dt>Next run (UTC)</dt><dd>${job.nextRun ? html`<time datetime="${job.nextRun}">${job.nextRun.slice(0, 19).replace('T', ' ')}</time>` : html`<span class="muted">none scheduled</span>`}</dd></dl>
${runs}</section>`;
}

export function propagationBody(d: PropagationPageData): Html {
  return html`<h1>Propagation and bridges</h1>
${d.notices.map((n) => html`<p class="flash error" role="alert">${n}</p>`)}
<h2 id="counts-title">Registry changes per system</h2>
${countsTable(d)}
${releaseBlock(d)}
<h2 id="changes-title">Changes</h2>
${filterForm(d)}
${changesTable(d)}
${pager(d)}
<h2>Bridge and job runs</h2>
<p class="muted">Scheduled jobs and what their last runs counted. Run one by hand with <code>POST /admin/jobs/{name}/run</code> or the <code>jobs</code> CLI.</p>
${BRIDGE_JOBS.map((name) => jobSection(name, d.jobs.get(name)))}`;
}

/** The confirmation before planning held changes again (the outbox's retry/drop pattern). */
export function confirmReleaseBody(counts: Counts, session: Session): Html {
  const systems = Object.keys(counts)
    .filter((s) => counts[s]?.held)
    .sort();
  return html`<h1>Plan held changes again?</h1>
<p>${heldTotal(counts) ? html`${changesAre(heldTotal(counts))} held: ${systems.map((s, i) => html`${i ? ', ' : ''}${s} ${count(counts[s].held ?? 0)}`)}.` : 'No change is held now.'}</p>
<p>Each held change is planned again from the crosswalk as it is now: those whose facility has since been matched (or marked as having no match) are queued for delivery; the others stay held with their reason. Nothing is written twice.</p>
<form method="post" action="${UI_PREFIX}/propagation/release" class="actions">
  <input type="hidden" name="_csrf" value="${session.csrf}">
  <button type="submit" data-testid="confirm">Yes, plan held changes again</button>
  <a class="button secondary" href="${UI_PREFIX}/propagation">Cancel</a>
</form>`;
}
