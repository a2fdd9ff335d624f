/** The sign-in form: one field, an API token. */
import { html } from './html.js';
import { STYLESHEET_PATH } from './layout.js';
import { pagePaths } from './paths.js';

export function renderLoginPage(view: { csrfToken: string; next: string; error?: string }): string {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in · dealwatch</title><link rel="icon" href="data:,"><link rel="stylesheet" href="${STYLESHEET_PATH}"></head>
<body><main>
<form class="login" method="post" action="${pagePaths.login}">
<h1>dealwatch</h1>
${view.error === undefined ? '' : html`<p class="error" role="alert">${view.error}</p>`}
<label>API token<input type="password" name="token" autocomplete="current-password" required autofocus></label>
<input type="hidden" name="_csrf" value="${view.csrfToken}">
<input type="hidden" name="next" value="${view.next}">
<button type="submit">Sign in</button>
<p class="muted">A token from DEALWATCH_API_TOKENS.</p>
</form>
</main></body></html>
`.value;
}
