import type { SystemCallStats } from '../call-stats.js';
import type { SettingInForce } from '../settings-view.js';
import { html, ownText, type Html } from './html.js';

export interface SystemRow {
  name: string;
  /** 'degraded': an advisory check (OpenHIM, a system's setup) failed; the mediator stays ready. */
  ready: { status: 'ok' | 'down' | 'degraded'; reason?: string };
  breaker?: 'closed' | 'probe' | 'open';
  calls?: SystemCallStats;
}

const BREAKER_WORDS = {
  closed: 'closed (writes flow)',
  probe: 'half open (one probe write next)',
  open: 'open (writes held, retried later)',
};

/** The mediator's own database: a readiness check, but no upstream written through a circuit breaker. */
const OWN_DATABASE = 'store';

function breakerCell(r: SystemRow): Html {
  if (r.breaker) return html`${BREAKER_WORDS[r.breaker]}`;
  if (r.name === OWN_DATABASE) return html`<span class="muted" title="no circuit breaker">—</span>`;
  return html`<span class="muted">no writes yet</span>`;
}

export function systemsBody(rows: SystemRow[], settings: SettingInForce[]): Html {
  const groups = [...new Set(settings.map((s) => s.key.split('.')[0]))];
  return html`<h1>Systems</h1>
<table data-testid="systems"><caption class="muted">Readiness is checked now, as <code>/ready</code> does; latency and errors are the last calls of this instance.</caption>
<thead><tr><th scope="col">System</th><th scope="col">Ready</th><th scope="col">Circuit breaker</th><th scope="col">Recent calls</th><th scope="col">Median / p95</th><th scope="col">Error rate</th></tr></thead>
<tbody>${rows.map(
    (r) => html`<tr data-system="${r.name}"><th scope="row">${r.name}</th>
<td>${r.ready.status === 'ok' ? html`<span class="state-ok">ready</span>` : html`<span class="${r.ready.status === 'down' ? 'state-bad' : 'state-warn'}">${r.ready.status}</span>: <span data-testid="ready-reason">${r.ready.reason ?? ''}</span>`}</td>
<td>${breakerCell(r)}</td>
<td>${r.calls ? `${r.calls.calls} (last ${r.calls.lastAt})` : html`<span class="muted">none yet</span>`}</td>
<td>${r.calls ? `${r.calls.medianMs} ms / ${r.calls.p95Ms} ms` : ''}</td>
<td>${r.calls ? `${Math.round(r.calls.errorRate * 100)} %` : ''}</td></tr>`,
  )}</tbody></table>
<h2>Settings in force</h2>
<p class="muted">Secrets are masked. Source: default, file (CONFIG_FILE), env (environment), OpenHIM (console, applied live), overrides (set by the command that started the mediator, such as the demo).</p>
${groups.map(
  (
    g,
  ) => html`<table aria-label="${ownText(g)} settings" data-testid="settings-${ownText(g)}"><thead><tr><th scope="col">Setting</th><th scope="col">Value</th><th scope="col">Source</th><th scope="col">Environment variable</th></tr></thead>
<tbody>${settings.filter((s) => s.key.split('.')[0] === g).map((s) => html`<tr data-setting="${ownText(s.key)}"><th scope="row" title="${ownText(s.description)}">${ownText(s.key)}</th><td>${s.value === '' ? html`<span class="muted">unset</span>` : html`<code>${s.value}</code>`}</td><td>${s.source}</td><td><code>${ownText(s.env)}</code>${s.restart ? html` <span class="muted">(restart to change)</span>` : ''}</td></tr>`)}</tbody></table>`,
)}`;
}
