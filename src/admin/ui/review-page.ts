import type { Facility } from '../../domain/facility.js';
import type { ScoreReason } from '../../registry/crosswalk-types.js';
import { distanceKm, evidenceOf } from './evidence.js';
import { count, html, query, type Html } from './html.js';
import { miniMap, type MapPoint } from './mini-map.js';
import { UI_PREFIX, type Session, type UndoEntry } from './session.js';

export interface QueueItem {
  systemId: string;
  /** review or flagged (waiting); auto-match or manual-match in the "matched" filter. */
  state: string;
  comment?: string;
  decidedBy: string;
  /** When the row was last decided or scored: sent back with a decision, which a changed row refuses. */
  decidedAt?: string;
  suggestions: { rank: number; registryId: string; score: number; reasons: ScoreReason[]; registryName?: string }[];
}

export interface ReviewFilters {
  system: string;
  state?: string;
  area?: string;
  band?: string;
  at?: string;
}

export interface ReviewData {
  filters: ReviewFilters;
  systems: string[];
  /** One page of the queue, filtered by the store; the first is the record shown. */
  queue: QueueItem[];
  /** Records the filters keep, and where this page starts among them. */
  total: number;
  offset: number;
  /** The system's review progress (counted by the store). */
  progress: { waiting: number; decided: number; total: number; auto: number };
  /** The areas the system's facility list names, for the area filter. */
  areas: string[];
  registry: Map<string, Facility>;
  records: Map<string, Facility>;
  /** Why a list could not be read (the page still works with ids). */
  notices: string[];
  session: Session;
}

/** Records per page of the queue: the one shown and the next few. */
export const QUEUE_PAGE = 9;

const codes = (f?: Facility) => (f?.identifiers ?? []).map((i) => i.value).join(', ');
const area = (f?: Facility) => (f?.areaPath ?? []).join(' › ');

function facts(f: Facility | undefined, extra: Html | string = ''): Html {
  if (!f) return html`<p class="muted">No details: this record is not in the list read now.</p>`;
  return html`<dl class="facts">
  <dt>Codes</dt><dd>${codes(f) || '—'}</dd>
  <dt>Area</dt><dd>${area(f) || '—'}</dd>
  <dt>Type</dt><dd>${(f.types ?? []).map((t) => t.display ?? t.code).join(', ') || '—'}</dd>
  <dt>Status</dt><dd>${f.status}</dd>
  ${extra}
</dl>`;
}

function candidate(item: QueueItem, s: QueueItem['suggestions'][number], data: ReviewData, checked: boolean): Html {
  const reg = data.registry.get(s.registryId);
  const rec = data.records.get(item.systemId);
  const km = reg?.position && rec?.position ? distanceKm(rec.position, reg.position) : undefined;
  const id = `cand-${s.rank}`;
  const evidence = evidenceOf(s.reasons);
  return html`<div class="candidate" data-testid="candidate">
  <input type="radio" name="registryId" id="${id}" value="${s.registryId}"${checked ? html` checked` : ''} aria-describedby="${id}-ev">
  <div>
    <label for="${id}"><h3>${s.rank}. ${reg?.name ?? s.registryName ?? s.registryId}</h3></label>
    <span class="score">Score ${s.score.toFixed(2)}</span> · registry id <code>${s.registryId}</code>
    ${facts(reg, km !== undefined ? html`<dt>Distance</dt><dd>${km < 1 ? `${Math.round(km * 1000)} m` : `${km.toFixed(1)} km`} apart</dd>` : '')}
    <ul class="evidence" id="${id}-ev" aria-label="Evidence">
      ${evidence.map((e) => html`<li class="${e.for ? 'for' : 'against'}">${e.for ? 'For: ' : 'Against: '}${e.text}</li>`)}
    </ul>
  </div>
</div>`;
}

/**
 * The box that says an accept of a candidate the registry has closed is meant: the review API
 * refuses such an accept without it (registry/closed-link.ts: propagation would deactivate the
 * record), and without the box the console could not link one at all, only say "send linkClosed".
 */
function linkClosedBox(item: QueueItem, data: ReviewData): Html | '' {
  if (!item.suggestions.some((s) => data.registry.get(s.registryId)?.status === 'inactive')) return '';
  return closedBox('link-closed', 'Link a candidate the registry has closed all the same', data.filters.system);
}

/**
 * The same box beside Undo, once the API refused to take back the last decision because that put
 * back a link to a facility closed since (index.ts keepForClosedLink): the console's way to mean it.
 */
function undoLinkClosedBox(last: UndoEntry | undefined): Html | '' {
  if (!last?.closedLink) return '';
  return closedBox('undo-link-closed', 'Put the link to the closed facility back all the same', last.system);
}

function closedBox(testId: string, words: string, system: string): Html {
  return html`<p><label><input type="checkbox" name="linkClosed" value="true" data-testid="${testId}"> ${words} (${system}'s record is then deactivated by the next registry propagation)</label></p>`;
}

function hidden(data: ReviewData, systemId?: string, decidedAt?: string): Html {
  const f = data.filters;
  return html`<input type="hidden" name="_csrf" value="${data.session.csrf}">
<input type="hidden" name="system" value="${f.system}">
${systemId ? html`<input type="hidden" name="systemId" value="${systemId}"><input type="hidden" name="seen" value="${decidedAt ?? ''}">` : ''}
<input type="hidden" name="state" value="${f.state ?? ''}"><input type="hidden" name="area" value="${f.area ?? ''}"><input type="hidden" name="band" value="${f.band ?? ''}">`;
}

function filtersForm(data: ReviewData): Html {
  const f = data.filters;
  const areas = data.areas;
  const systems = [...new Set([...data.systems, f.system])].filter(Boolean);
  const opt = (value: string, label: string, current?: string) =>
    html`<option value="${value}"${value === (current ?? '') ? html` selected` : ''}>${label}</option>`;
  return html`<form class="filters" method="get" action="${UI_PREFIX}/review" aria-label="Filters">
  <div><label for="f-system">System</label><select id="f-system" name="system">${systems.map((s) => opt(s, s, f.system))}</select></div>
  <div><label for="f-state">State</label><select id="f-state" name="state">${opt('', 'All waiting', f.state)}${opt('review', 'To review', f.state)}${opt('flagged', 'Flagged', f.state)}${opt('matched', 'Matched (check or break)', f.state)}</select></div>
  <div><label for="f-area">Area</label><select id="f-area" name="area">${opt('', 'All areas', f.area)}${areas.map((a) => opt(a, a, f.area))}</select></div>
  <div><label for="f-band">Score band</label><select id="f-band" name="band">${opt('', 'All scores', f.band)}${opt('high', 'High (best third)', f.band)}${opt('medium', 'Medium', f.band)}${opt('low', 'Low (weakest third)', f.band)}</select></div>
  <button type="submit" class="secondary">Apply filters</button>
</form>`;
}

export function reviewBody(data: ReviewData): Html {
  const f = data.filters;
  const shown = data.queue;
  const current = shown[0];
  const p = data.progress;
  const exportQ = query({ system: f.system });
  const progress = html`<section class="progress" aria-label="Progress">
  <p data-testid="progress"><strong>${count(p.decided)} of ${count(p.total)} reviewed</strong> · ${count(p.waiting)} waiting · ${count(p.auto)} matched automatically</p>
  <progress max="${Math.max(p.total, 1)}" value="${p.decided}" aria-label="Records reviewed">${p.decided}</progress>
  <p><a href="${UI_PREFIX}/review/export.csv${exportQ}" data-testid="export-csv" download>Export crosswalk (CSV)</a> · <a href="${UI_PREFIX}/review/export.json${exportQ}" download>Export mCSD Location bundle (JSON)</a></p>
</section>`;
  const last = data.session.undo.at(-1);
  // the form names the decision it takes back: sent twice, the second says so instead of undoing the one before
  const which = last
    ? html`<input type="hidden" name="undoSystem" value="${last.system}"><input type="hidden" name="undoRecord" value="${last.systemId}"><input type="hidden" name="undoAt" value="${last.decidedAt ?? ''}">`
    : '';
  const undo = html`<form method="post" action="${UI_PREFIX}/review/undo" class="inline">${hidden(data)}${which}${undoLinkClosedBox(last)}
  <button type="submit" class="secondary" data-key="u"${data.session.undo.length ? '' : html` disabled`}>Undo last decision <kbd>u</kbd></button></form>`;
  const notices = data.notices.map((n) => html`<p class="flash error" role="status">${n}</p>`);
  if (!current) {
    return html`<h1>Review queue: ${f.system}</h1>${notices}${filtersForm(data)}${progress}
<p data-testid="empty">${f.state || f.area || f.band ? 'Nothing waits under these filters.' : 'Nothing waits for review in this system.'}</p>${undo}`;
  }
  const rec = data.records.get(current.systemId);
  const matched = current.state === 'auto-match' || current.state === 'manual-match';
  const position = data.offset + 1;
  const others = shown.slice(1);
  return html`<h1>Review queue: ${f.system}</h1>
${notices}
${filtersForm(data)}
${progress}
<div class="review">
  <section class="card record" aria-labelledby="record-name">
    <p class="muted">Record ${count(position)} of ${count(data.total)} shown${matched ? html` · <strong>${current.state === 'auto-match' ? 'matched automatically' : `matched by ${current.decidedBy}`}</strong>` : ''}${current.state === 'flagged' ? html` · <strong class="state-warn">flagged</strong> by ${current.decidedBy}: ${current.comment ?? ''}` : ''}</p>
    <h2 id="record-name" data-testid="record-name">${rec?.name ?? current.systemId}</h2>
    <p>${f.system} id <code data-testid="record-id">${current.systemId}</code></p>
    ${facts(rec)}
    ${
      miniMap([
        ...(rec?.position ? [{ label: 'record', position: rec.position, record: true }] : []),
        ...current.suggestions.flatMap((s): MapPoint[] => {
          const p = data.registry.get(s.registryId)?.position;
          return p ? [{ label: String(s.rank), position: p }] : [];
        }),
      ]) ?? ''
    }
    <h2>Next in the queue</h2>
    <ul class="queue">${others.map((o) => html`<li><a href="${UI_PREFIX}/review${query({ ...f, at: o.systemId })}">${data.records.get(o.systemId)?.name ?? o.systemId}</a> <span class="muted">${o.suggestions[0] ? `score ${o.suggestions[0].score.toFixed(2)}` : 'no candidate'}</span></li>`)}</ul>
  </section>
  <section class="card" aria-labelledby="candidates-title">
    <form method="post" action="${UI_PREFIX}/review/decide" id="decide">
      ${hidden(data, current.systemId, current.decidedAt)}
      <fieldset>
        <legend id="candidates-title">${matched ? 'Linked registry record' : html`Candidates in the registry (<kbd>↑</kbd>/<kbd>↓</kbd> to choose)`}</legend>
        ${current.suggestions.length ? current.suggestions.map((s, i) => candidate(current, s, data, i === 0)) : html`<p>No candidate: the matcher found nothing close.</p>`}
      </fieldset>
      ${matched ? '' : linkClosedBox(current, data)}
      <div class="actions">${
        matched
          ? html`<button type="submit" name="op" value="break" data-key="b" class="danger">Break this match <kbd>b</kbd></button>`
          : html`<button type="submit" name="op" value="accept" data-key="a"${current.suggestions.length ? '' : html` disabled`}>Accept <kbd>a</kbd></button>
        <button type="submit" name="op" value="reject" data-key="r" class="secondary"${current.suggestions.length ? '' : html` disabled`}>Reject this candidate <kbd>r</kbd></button>
        <button type="submit" name="op" value="no-match" data-key="n" class="secondary">No match <kbd>n</kbd></button>`
      }
      </div>
    </form>
    <form method="post" action="${UI_PREFIX}/review/decide" class="actions">
      ${hidden(data, current.systemId, current.decidedAt)}
      <input type="hidden" name="op" value="flag">
      <div><label for="flag-comment">Flag with a comment <kbd>f</kbd></label><br>
      <input id="flag-comment" name="comment" data-key="f" maxlength="2000" size="40" placeholder="what should be checked"></div>
      <button type="submit" class="secondary">Flag</button>
    </form>
    <div class="actions">${undo}</div>
  </section>
</div>`;
}
