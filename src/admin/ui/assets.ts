/**
 * The console's only assets, served by the mediator itself (no CDN: the page works on a ministry
 * LAN with no internet). Plain CSS and a small script; every page works without the script
 * (forms and links), the script adds keyboard shortcuts.
 */
export const CONSOLE_CSS = `
:root { --fg: #1a1a1a; --muted: #4a4a4a; --bg: #ffffff; --panel: #f4f5f7; --line: #c8ccd2;
  --accent: #0b5394; --ok: #1e6b30; --warn: #8a4b00; --bad: #a61b1b; --focus: #ffbf47; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
a { color: var(--accent); }
a:focus, button:focus, input:focus, select:focus, textarea:focus, [tabindex]:focus { outline: 3px solid var(--focus); outline-offset: 2px; }
.skip { position: absolute; left: -999px; } .skip:focus { left: 8px; top: 8px; background: var(--bg); padding: 4px 8px; z-index: 2; }
header.top { display: flex; flex-wrap: wrap; gap: 8px 24px; align-items: center; padding: 8px 16px; background: #12263f; color: #fff; }
header.top a { color: #fff; text-decoration: none; padding: 6px 8px; border-radius: 4px; }
header.top a[aria-current="page"] { background: #ffffff; color: #12263f; font-weight: 600; }
header.top .brand { font-weight: 700; margin-right: 8px; }
header.top nav ul { list-style: none; display: flex; gap: 4px; margin: 0; padding: 0; flex-wrap: wrap; }
header.top form { margin-left: auto; display: flex; gap: 8px; align-items: center; }
header.top button { background: transparent; color: #fff; border: 1px solid #fff; }
main { padding: 16px; max-width: 1280px; margin: 0 auto; }
h1 { font-size: 1.5rem; margin: 0 0 12px; } h2 { font-size: 1.2rem; margin: 16px 0 8px; } h3 { font-size: 1.05rem; margin: 0 0 4px; }
button, .button { font: inherit; padding: 6px 12px; border-radius: 4px; border: 1px solid var(--accent); background: var(--accent); color: #fff; cursor: pointer; text-decoration: none; display: inline-block; }
button.secondary, .button.secondary { background: var(--bg); color: var(--accent); }
button.danger { background: var(--bad); border-color: var(--bad); }
input, select, textarea { font: inherit; padding: 5px 8px; border: 1px solid #6b7280; border-radius: 4px; background: #fff; color: var(--fg); }
label { font-weight: 600; }
.flash { padding: 8px 12px; border-left: 4px solid var(--ok); background: #e8f3eb; margin-bottom: 12px; }
.flash.error { border-color: var(--bad); background: #fbeaea; }
.muted { color: var(--muted); }
/* a job run's detail: one line per held item */
.run-detail { white-space: pre-line; color: var(--fg); font-weight: normal; margin-top: 4px; }
.filters { display: flex; flex-wrap: wrap; gap: 12px; align-items: end; background: var(--panel); padding: 8px 12px; border-radius: 6px; }
.filters div { display: flex; flex-direction: column; gap: 2px; }
.progress { margin: 12px 0; } progress { width: 100%; max-width: 480px; height: 14px; }
.review { display: grid; grid-template-columns: minmax(240px, 1fr) minmax(320px, 2fr); gap: 16px; align-items: start; }
@media (max-width: 900px) { .review { grid-template-columns: 1fr; } }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 12px; background: var(--bg); }
.record { background: var(--panel); }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 8px 0; } dl.facts dt { font-weight: 600; } dl.facts dd { margin: 0; }
fieldset { border: 0; padding: 0; margin: 0; } legend { font-weight: 700; margin-bottom: 8px; }
.candidate { display: grid; grid-template-columns: auto 1fr; gap: 8px; border: 1px solid var(--line); border-radius: 6px; padding: 10px; margin-bottom: 8px; }
.candidate:has(input:checked) { border: 2px solid var(--accent); background: #eef4fb; }
.score { font-weight: 700; }
ul.evidence { margin: 4px 0 0; padding-left: 20px; } .for { color: var(--ok); } .against { color: var(--bad); }
.actions { display: flex; flex-wrap: wrap; gap: 8px; margin-top: 12px; align-items: end; }
kbd { border: 1px solid #6b7280; border-radius: 3px; padding: 0 4px; font-size: .85em; background: #fff; color: var(--fg); }
table { border-collapse: collapse; width: 100%; margin: 8px 0 16px; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--panel); }
.state-ok { color: var(--ok); font-weight: 600; } .state-bad { color: var(--bad); font-weight: 600; } .state-warn { color: var(--warn); font-weight: 600; }
.queue { list-style: none; padding: 0; margin: 0; } .queue li { padding: 4px 0; border-bottom: 1px solid var(--line); }
.tiles { display: flex; flex-wrap: wrap; gap: 12px; } .tile { background: var(--panel); border-radius: 6px; padding: 8px 14px; min-width: 120px; }
.tile strong { display: block; font-size: 1.4rem; }
ol.timeline { padding-left: 20px; } ol.timeline li { margin-bottom: 6px; }
.login { max-width: 420px; margin: 48px auto; } .login div { display: flex; flex-direction: column; gap: 4px; margin-bottom: 12px; }
.minimap { margin: 8px 0; } .minimap svg { max-width: 100%; height: auto; }
code { background: var(--panel); padding: 0 3px; border-radius: 3px; }
.scroll { overflow-x: auto; max-width: 100%; } .scroll:focus { outline: 3px solid var(--focus); }
ul.plain { list-style: none; margin: 0; padding: 0; }
/* an identifier, a business key or an upstream's error can be one word of hundreds of characters:
   it wraps where it must rather than widen the page */
.long, dd, p, li { overflow-wrap: anywhere; } td.long { min-width: 6em; }
.pager { display: flex; flex-wrap: wrap; gap: 16px; align-items: center; margin: 0 0 16px; }
.pager a { padding: 6px 4px; }
`;

export const CONSOLE_JS = `
// Keyboard shortcuts: a key clicks the element carrying data-key="<key>"; arrows move between
// candidates. Typing in a field is never taken over (Escape leaves the field).
(function () {
  function typing(el) { return el && (el.tagName === 'INPUT' && el.type !== 'radio' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT'); }
  document.addEventListener('keydown', function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (typing(document.activeElement)) {
      if (e.key === 'Escape') document.activeElement.blur();
      return;
    }
    var radios = Array.prototype.slice.call(document.querySelectorAll('input[name="registryId"]'));
    if ((e.key === 'ArrowDown' || e.key === 'j' || e.key === 'ArrowUp' || e.key === 'k') && radios.length) {
      var at = radios.findIndex(function (r) { return r.checked; });
      var step = e.key === 'ArrowDown' || e.key === 'j' ? 1 : -1;
      var next = radios[Math.min(radios.length - 1, Math.max(0, at + step))];
      next.checked = true; next.focus(); e.preventDefault();
      return;
    }
    var target = document.querySelector('[data-key="' + e.key + '"]');
    if (!target) return;
    e.preventDefault();
    if (target.tagName === 'TEXTAREA' || target.tagName === 'INPUT') target.focus(); else target.click();
  });
})();
`;
