/**
 * The development provider's own pages (login, sign-out, messages, errors)
 * and how they are sent: no scripts, no external resources, no framing.
 */
import type { ServerResponse } from 'node:http';

const PAGE_STYLE = `
  :root { color-scheme: light dark; font-family: system-ui, sans-serif; }
  body { margin: 0; display: grid; place-items: center; min-height: 100vh; }
  main { width: min(22rem, 90vw); padding: 1.5rem; border: 1px solid #8886; border-radius: 8px; }
  h1 { font-size: 1.4rem; margin: 0 0 1rem; }
  label { display: block; margin: .75rem 0 .25rem; font-weight: 600; }
  input { box-sizing: border-box; width: 100%; padding: .5rem; font: inherit; }
  button { margin-top: 1rem; width: 100%; padding: .6rem; font: inherit; font-weight: 600; cursor: pointer; }
  .error { color: #b00020; background: #b0002014; padding: .5rem; border-radius: 4px; }
  .hint { font-size: .85rem; opacity: .8; }
  form + form button { font-weight: 400; }
`;

/** No scripts, no external resources, no framing; forms post back here and may then be redirected to the app. */
export function pageCsp(formActionSources: readonly string[]): string {
  const formAction = ["'self'", ...formActionSources].join(' ');
  return `default-src 'none'; style-src 'unsafe-inline'; form-action ${formAction}; frame-ancestors 'none'; base-uri 'none'`;
}

/**
 * Chromium applies form-action to every redirect that follows a form
 * submission, and the login form's POST ends in a redirect to the app, so the
 * redirect URIs' origins (any port for loopback) must be allowed too.
 */
export function formActionSourcesFor(redirectUris: readonly string[]): string[] {
  const sources = new Set<string>();
  for (const uri of redirectUris) {
    let parsed: URL;
    try {
      parsed = new URL(uri);
    } catch {
      continue;
    }
    if (parsed.protocol === 'http:' || parsed.protocol === 'https:') {
      sources.add(`${parsed.protocol}//${parsed.hostname}:*`);
    } else if (/^[a-z][a-z0-9+.-]*:$/.test(parsed.protocol)) {
      sources.add(parsed.protocol);
    }
  }
  return [...sources];
}

function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)} · Development provider</title>
<style>${PAGE_STYLE}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

export function loginPage(input: { uid: string; clientId: string; username: string; error: string | undefined }): string {
  const uid = escapeHtml(input.uid);
  const error = input.error ? `<p class="error" role="alert" id="login-error">${escapeHtml(input.error)}</p>` : '';
  const described = input.error ? ' aria-describedby="login-error"' : '';
  return layout(
    'Sign in',
    `<h1>Sign in</h1>
<p>to continue to <strong>${escapeHtml(input.clientId)}</strong></p>
${error}
<form method="post" action="/interaction/${uid}/login">
<label for="username">Username</label>
<input id="username" name="username" type="text" autocomplete="username" autocapitalize="none" spellcheck="false" value="${escapeHtml(input.username)}" required autofocus${described}>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required${described}>
<label for="code">One-time code (optional)</label>
<input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]*">
<button type="submit">Sign in</button>
</form>
<form method="post" action="/interaction/${uid}/cancel">
<button type="submit">Cancel</button>
</form>
<p class="hint">Development account: username <code>demo</code>, password <code>demo</code>. The one-time code <code>424242</code> makes the sign-in a stronger one (what an app asks for when an API wants it).</p>`,
  );
}

export function errorPage(title: string, message: string): string {
  return layout(title, `<h1>${escapeHtml(title)}</h1>\n<p class="error" role="alert">${escapeHtml(message)}</p>`);
}

export function messagePage(title: string, message: string): string {
  return layout(title, `<h1>${escapeHtml(title)}</h1>\n<p>${escapeHtml(message)}</p>`);
}

/** `form` is the provider's own hidden confirmation form (id op.logoutForm), trusted markup. */
export function logoutPage(form: string): string {
  return layout(
    'Sign out',
    `<h1>Sign out of the development provider?</h1>
${form}
<button autofocus type="submit" form="op.logoutForm" value="yes" name="logout">Yes, sign me out</button>
<button type="submit" form="op.logoutForm">No, stay signed in</button>`,
  );
}

export function sendHtml(res: ServerResponse, status: number, html: string, csp: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Content-Security-Policy', csp);
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.end(html);
}

export function sendText(res: ServerResponse, status: number, text: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.end(text);
}
