/** The frame every web app page shares: head, stylesheet, navigation, sign-out form. */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { html, raw, type Html } from './html.js';
import { pagePaths } from './paths.js';

export const STYLESHEET_PATH = '/assets/app.css';

/**
 * The stylesheet next to this module (running from `src/` with tsx), else the source tree's
 * (running from `dist/src/`: tsc copies no .css files; the image copies the folder).
 */
export function loadStylesheet(): string {
  const candidates = [
    new URL('./assets/app.css', import.meta.url),
    new URL('../../../../src/server/pages/assets/app.css', import.meta.url),
  ];
  for (const candidate of candidates) {
    const file = fileURLToPath(candidate);
    if (existsSync(file)) return readFileSync(file, 'utf8');
  }
  throw new Error(`web app stylesheet not found (looked in ${candidates.map((c) => fileURLToPath(c)).join(', ')})`);
}

export interface Frame {
  title: string;
  /** Token of the sign-out form. */
  csrfToken: string;
  /** Set on a connection's pages: its navigation appears. */
  connection?: { id: string; name: string };
  /** Which navigation entry is this page. */
  current?: 'connections' | 'deals' | 'forecast' | 'changes' | 'reps';
}

export function renderPage(frame: Frame, body: Html): string {
  const c = frame.connection;
  const item = (key: Frame['current'], href: string, label: string) =>
    html`<a href="${href}"${frame.current === key ? raw(' class="current" aria-current="page"') : ''}>${label}</a>`;
  const nav = [
    item('connections', pagePaths.connections, 'Connections'),
    ...(c === undefined
      ? []
      : [
          item('deals', pagePaths.deals(c.id), `${c.name}: Deals`),
          item('forecast', pagePaths.forecast(c.id), 'Forecast'),
          item('changes', pagePaths.changes(c.id), 'Pipeline changes'),
          item('reps', pagePaths.reps(c.id), 'Reps'),
        ]),
  ];
  const csrfField = html`<input type="hidden" name="_csrf" value="${frame.csrfToken}">`;
  const signOut = html`<form method="post" action="${pagePaths.logout}">${csrfField}<button type="submit">Sign out</button></form>`;
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${frame.title} · dealwatch</title><link rel="icon" href="data:,"><link rel="stylesheet" href="${STYLESHEET_PATH}"></head>
<body>
<header class="top"><a class="brand" href="${pagePaths.connections}">dealwatch</a><nav>${nav}</nav>
${signOut}</header>
<main>
<h1>${frame.title}</h1>
${body}
</main>
</body></html>
`.value;
}
