import { createHash } from 'node:crypto'
import type { Response } from 'express'

const CSS = `
:root{color-scheme:light dark;--bg:#f4f6fb;--card:#fff;--text:#1d2433;--muted:#5b6577;--accent:#2456d6;--error:#b42318;--border:#d5dae3}
@media (prefers-color-scheme:dark){:root{--bg:#11151d;--card:#1b2130;--text:#e7eaf0;--muted:#a3acbd;--accent:#7aa2ff;--error:#ff8a80;--border:#2f384a}}
*{box-sizing:border-box}
body{margin:0;min-height:100vh;display:grid;place-items:center;background:var(--bg);color:var(--text);font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{width:min(26rem,calc(100vw - 2rem));background:var(--card);border:1px solid var(--border);border-radius:12px;padding:2rem;box-shadow:0 8px 24px rgb(0 0 0 / 8%)}
h1{font-size:1.5rem;margin:0 0 .25rem}
p.lead{margin:0 0 1.5rem;color:var(--muted)}
label{display:block;font-weight:600;margin:1rem 0 .35rem}
input[type=email],input[type=password]{width:100%;padding:.65rem .75rem;font:inherit;color:inherit;background:transparent;border:1px solid var(--border);border-radius:8px}
input:focus-visible,button:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
button{margin-top:1.5rem;width:100%;padding:.7rem;font:inherit;font-weight:600;color:#fff;background:var(--accent);border:0;border-radius:8px;cursor:pointer}
.error{margin:0 0 1rem;padding:.75rem;border-radius:8px;border:1px solid var(--error);color:var(--error)}
footer{margin-top:1.5rem;font-size:.85rem;color:var(--muted)}
`

const STYLE_HASH = `'sha256-${createHash('sha256').update(CSS).digest('base64')}'`

/** Escapes text for HTML element content and double-quoted attributes. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>`
}

/**
 * Sends a page with a strict CSP (no script at all, the one inline stylesheet by hash, form posts only to
 * the gateway and, through the post-login redirect, the webmail origin), no framing, no caching.
 * @see RFC 9700 §4.16 (clickjacking), §4.2.4 (Referrer-Policy)
 */
export function sendPage(
  res: Response,
  status: number,
  title: string,
  body: string,
  formTargets: string[] = [],
): void {
  res.status(status)
  res.set('Content-Type', 'text/html; charset=utf-8')
  res.set('Cache-Control', 'no-store')
  res.set(
    'Content-Security-Policy',
    `default-src 'none'; style-src ${STYLE_HASH}; form-action 'self' ${formTargets.join(' ')}; frame-ancestors 'none'; base-uri 'none'`,
  )
  res.set('X-Frame-Options', 'DENY')
  res.set('X-Content-Type-Options', 'nosniff')
  res.set('Referrer-Policy', 'no-referrer')
  res.send(layout(title, body))
}

export interface LoginPageInput {
  domain: string
  action: string
  csrf: string
  /** The authorization request, carried through the form as hidden fields and re-validated on submit. */
  request: Record<string, string>
  email?: string
  error?: string
}

/** The sign-in form: labelled fields, autocomplete hints, the error announced to screen readers. */
export function loginPage(input: LoginPageInput): string {
  const hidden = Object.entries(input.request)
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('\n')
  const error = input.error
    ? `<p class="error" role="alert" id="login-error">${escapeHtml(input.error)}</p>`
    : ''
  const described = input.error ? ' aria-describedby="login-error"' : ''
  return `<h1>Sign in</h1>
<p class="lead">to your ${escapeHtml(input.domain)} mailbox</p>
${error}
<form method="post" action="${escapeHtml(input.action)}" novalidate>
<input type="hidden" name="csrf" value="${escapeHtml(input.csrf)}">
${hidden}
<label for="email">Email address</label>
<input id="email" name="email" type="email" autocomplete="username" required${input.email ? '' : ' autofocus'} value="${escapeHtml(input.email ?? '')}"${described}>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required${input.email ? ' autofocus' : ''}${described}>
<button type="submit">Sign in</button>
</form>
<footer>Federizer mail · ${escapeHtml(input.domain)}</footer>`
}

/** A page for errors that must not be redirected (unknown client, unregistered redirect_uri). */
export function errorPage(heading: string, message: string): string {
  return `<h1>${escapeHtml(heading)}</h1>
<p class="error" role="alert">${escapeHtml(message)}</p>
<footer>The application that sent you here is not allowed to sign you in this way. Nothing was sent to it.</footer>`
}

export function signedOutPage(domain: string, back?: string): string {
  const link = back ? `<p><a href="${escapeHtml(back)}">Back to the webmail</a></p>` : ''
  return `<h1>Signed out</h1>
<p class="lead">You are signed out of your ${escapeHtml(domain)} mailbox.</p>
${link}`
}
