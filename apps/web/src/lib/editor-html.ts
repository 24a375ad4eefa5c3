import { createMailSanitizer, type MailSanitizer } from './sanitize-html.ts'

// Mail HTML that enters the webmail's own document (the compose editor: drafts reopened for editing,
// including received mail moved into Drafts) passes the reader's sanitiser first; unlike the reader it
// has no sandboxed frame around it, so the sanitiser is the wall (the page CSP is the second one).

let sanitizer: MailSanitizer | undefined

/** Sanitised HTML for the compose editor; `cid:` references are kept so inline images survive a save. */
export function sanitizeForEditor(html: string, win: Window = window): string {
  sanitizer ??= createMailSanitizer(win)
  return sanitizer(html, {
    allowRemote: false,
    inDocument: true,
    resolveCid: (contentId) => `cid:${contentId}`,
  }).html
}
