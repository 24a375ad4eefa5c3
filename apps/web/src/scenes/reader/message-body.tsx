import { useState } from 'react'
import styled from 'styled-components'
import { Problem } from '../../components/problem.tsx'
import { cidImageResources } from '../../lib/cid.ts'
import { linkify } from '../../lib/linkify.ts'
import type { MessageView } from '../../lib/message-view.ts'
import { splitQuotedText } from '../../lib/quote-fold.ts'
import { HtmlFrame } from './html-frame.tsx'
import { QuoteToggle } from './quote-toggle.tsx'
import { useInlineImages } from './use-inline-images.ts'

/** A message's body: sanitised HTML in its frame, linkified text, or why there is none yet. */
export function MessageBody(props: { view: MessageView; messageId: string; inCard?: boolean }) {
  const body = props.view.body
  const resolveCid = useInlineImages(
    props.messageId,
    cidImageResources(
      body.kind === 'html' ? body.html : undefined,
      props.view.inlineResources,
      props.view.attachments,
    ),
  )
  switch (body.kind) {
    case 'html':
      return (
        <HtmlFrame
          html={body.html}
          resolveCid={resolveCid}
          from={props.view.from.address}
          fit={!!props.inCard}
        />
      )
    case 'text':
      return <TextMessage text={body.text} />
    case 'arriving':
      return (
        <Status role="status">
          Content arriving… The mailbox is fetching this message from the sender’s server.
        </Status>
      )
    case 'unavailable':
      return (
        <Status as="div" role="alert">
          <Problem
            problem={{
              sentence:
                'The content of this message could not be fetched from the sender’s server. Ask the sender to send it again.',
              ...(body.reason ? { detail: body.reason } : {}),
            }}
          />
        </Status>
      )
    default:
      return <Status>(This message has no text.)</Status>
  }
}

/** A text body with links, its quoted runs folded behind "Show quoted text". */
function TextMessage(props: { text: string }) {
  const [showQuoted, setShowQuoted] = useState(false)
  const segments = splitQuotedText(props.text)
  // Folding needs something left to read; a body that is all quote stays whole.
  const foldable = segments.some((s) => s.kind === 'quote') && segments.some((s) => s.kind === 'text')
  return (
    <>
      <TextBody data-testid="message-text">
        {segments.map((segment, i) =>
          segment.kind === 'text' || !foldable ? (
            // biome-ignore lint/suspicious/noArrayIndexKey: segments are positional and never reorder
            <div key={i}>{linked(segment.text)}</div>
          ) : (
            showQuoted && (
              // biome-ignore lint/suspicious/noArrayIndexKey: segments are positional and never reorder
              <div key={i} className="quote" data-testid="quoted-text">
                {linked(segment.text)}
              </div>
            )
          ),
        )}
      </TextBody>
      {foldable && <QuoteToggle shown={showQuoted} onToggle={() => setShowQuoted((v) => !v)} />}
    </>
  )
}

function linked(text: string) {
  return linkify(text).map((t, i) =>
    t.kind === 'link' ? (
      // biome-ignore lint/suspicious/noArrayIndexKey: tokens are positional and never reorder
      <a key={i} href={t.href} target="_blank" rel="noopener noreferrer">
        {t.text}
      </a>
    ) : (
      t.text
    ),
  )
}

const TextBody = styled.div`
  white-space: pre-wrap;
  overflow-wrap: anywhere;
  line-height: 1.55;
  a {
    color: ${(p) => p.theme.color.accent};
  }
  .quote {
    margin: 8px 0;
    padding-left: 10px;
    border-left: 2px solid ${(p) => p.theme.color.border};
    color: ${(p) => p.theme.color.textMuted};
  }
`

export const Status = styled.p`
  padding: 16px;
  border-radius: ${(p) => p.theme.radius};
  background: ${(p) => p.theme.color.surfaceAlt};
  color: ${(p) => p.theme.color.textMuted};
`
