import { html, type Html } from './html.js';
import { UI_PREFIX, type Session } from './session.js';

export type View = 'review' | 'outbox' | 'propagation' | 'systems';

const VIEWS: { view: View; label: string }[] = [
  { view: 'review', label: 'Review queue' },
  { view: 'outbox', label: 'Outbox' },
  { view: 'propagation', label: 'Propagation and bridges' },
  { view: 'systems', label: 'Systems' },
];

export interface Flash {
  kind: 'ok' | 'error';
  text: string;
}

/**
 * A whole console page: title, the console's stylesheet and script, the body. The empty icon keeps
 * the browser from asking for /favicon.ico, which the mediator answers 401 (an error line in the
 * browser's console on every page).
 */
export function document(title: string, body: Html): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Mediator console</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${UI_PREFIX}/assets/console.css">
<script src="${UI_PREFIX}/assets/console.js" defer></script>
</head>
<body>
${body}
</body>
</html>`;
}

/** A signed-in page: skip link, navigation (current view marked), who is signed in, sign-out. */
export function page(opts: { title: string; view: View; session: Session; flash?: Flash; body: Html }): Html {
  const nav = VIEWS.map(
    (v) =>
      html`<li><a href="${UI_PREFIX}/${v.view}"${v.view === opts.view ? html` aria-current="page"` : ''}>${v.label}</a></li>`,
  );
  return document(
    opts.title,
    html`<a class="skip" href="#main">Skip to content</a>
<header class="top">
  <span class="brand">Mediator console</span>
  <nav aria-label="Views"><ul>${nav}</ul></nav>
  <form method="post" action="${UI_PREFIX}/logout">
    <span>Signed in as <strong data-testid="user">${opts.session.user}</strong></span>
    <input type="hidden" name="_csrf" value="${opts.session.csrf}">
    <button type="submit">Sign out</button>
  </form>
</header>
<main id="main" tabindex="-1">
${opts.flash ? html`<p class="flash${opts.flash.kind === 'error' ? ' error' : ''}" role="status">${opts.flash.text}</p>` : ''}
${opts.body}
</main>`,
  );
}

export function loginPage(opts: { next?: string; error?: string; user?: string }): Html {
  return document(
    'Sign in',
    html`<main id="main" class="login">
<h1>Sign in to the mediator console</h1>
${opts.error ? html`<p class="flash error" role="alert">${opts.error}</p>` : ''}
<form method="post" action="${UI_PREFIX}/login">
  <input type="hidden" name="next" value="${opts.next ?? ''}">
  <div><label for="user">Your name</label>
  <input id="user" name="user" autocomplete="username" required maxlength="100" value="${opts.user ?? ''}" aria-describedby="user-help">
  <span id="user-help" class="muted">Recorded with every decision you make.</span></div>
  <div><label for="token">Admin token</label>
  <input id="token" name="token" type="password" autocomplete="off" required></div>
  <button type="submit">Sign in</button>
</form>
</main>`,
  );
}
