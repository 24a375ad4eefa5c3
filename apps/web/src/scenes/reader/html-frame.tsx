import { useMemo, useState } from 'react'
import styled from 'styled-components'
import { Button } from '../../components/button.tsx'
import { estimateFrameHeight } from '../../lib/frame-height.ts'
import { foldQuotedHtml } from '../../lib/quote-fold.ts'
import { buildSrcDoc, createMailSanitizer, type MailSanitizer } from '../../lib/sanitize-html.ts'
import { QuoteToggle } from './quote-toggle.tsx'
import { useRemotePolicy } from './use-remote-policy.ts'

let sanitizer: MailSanitizer | undefined
const getSanitizer = () => {
  sanitizer ??= createMailSanitizer(window)
  return sanitizer
}

/**
 * Shows an HTML body: sanitised with DOMPurify + our URL/CSS rules, then rendered in an iframe with
 * `sandbox` (no allow-scripts, no allow-same-origin) and a CSP meta. Remote content stays blocked until
 * the user asks, per message.
 */
export function HtmlFrame(props: {
  html: string
  resolveCid?: (cid: string) => string | undefined
  /** The sender, for the remote-content setting ("load from people I have written to"). */
  from?: string
  /** In a conversation card: a height estimated from the content instead of a tall fixed box. */
  fit?: boolean
}) {
  const policy = useRemotePolicy(props.from)
  const [asked, setAllowRemote] = useState(false)
  const allowRemote = asked || policy === 'load'
  const result = useMemo(
    () =>
      getSanitizer()(props.html, {
        allowRemote,
        ...(props.resolveCid ? { resolveCid: props.resolveCid } : {}),
      }),
    [props.html, props.resolveCid, allowRemote],
  )
  const [showQuoted, setShowQuoted] = useState(false)
  // Quoted mail (blockquote, Gmail/Outlook containers) is folded; a body that is all quote stays whole.
  const folded = useMemo(() => {
    const out = foldQuotedHtml(result.html, new DOMParser())
    return out.folded > 0 && hasContent(out.html) ? out.html : undefined
  }, [result.html])
  const shown = folded !== undefined && !showQuoted ? folded : result.html
  const srcDoc = useMemo(() => buildSrcDoc(shown, { allowRemote }), [shown, allowRemote])
  const height = useMemo(
    () => (props.fit ? estimateFrameHeight(shown, new DOMParser()) : undefined),
    [props.fit, shown],
  )
  return (
    <>
      {!allowRemote && result.blockedRemote > 0 && (
        <RemoteBar role="note">
          <span>
            Remote content was blocked to protect your privacy ({result.blockedRemote} item
            {result.blockedRemote === 1 ? '' : 's'}).
          </span>
          {policy === 'never' ? (
            <span>Your settings never load it.</span>
          ) : (
            <Button $size="small" onClick={() => setAllowRemote(true)}>
              Load remote content
            </Button>
          )}
        </RemoteBar>
      )}
      <Frame
        title="Message body"
        sandbox="allow-popups allow-popups-to-escape-sandbox"
        referrerPolicy="no-referrer"
        srcDoc={srcDoc}
        data-testid="message-html"
        {...(height ? { style: { height, minHeight: 0, flex: 'none' } } : {})}
      />
      {folded !== undefined && <QuoteToggle shown={showQuoted} onToggle={() => setShowQuoted((v) => !v)} />}
    </>
  )
}

/** Text or an image left once the quotes are gone. */
function hasContent(html: string): boolean {
  return /<img\b/i.test(html) || html.replace(/<[^>]*>|&nbsp;|\s/g, '') !== ''
}

const RemoteBar = styled.div`
  display: flex;
  align-items: center;
  gap: 12px;
  justify-content: space-between;
  flex-wrap: wrap;
  padding: 8px 12px;
  margin-bottom: 8px;
  border-radius: ${(p) => p.theme.radius};
  background: ${(p) => p.theme.color.surfaceAlt};
  color: ${(p) => p.theme.color.textMuted};
  font-size: 0.9rem;
`

const Frame = styled.iframe`
  flex: 1;
  width: 100%;
  min-height: 360px;
  border: none;
  border-radius: ${(p) => (p.theme.name === 'dark' ? p.theme.radius : '0')};
  background: #ffffff;
`
