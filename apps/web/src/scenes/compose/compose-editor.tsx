import styled from 'styled-components'
import type { DraftState } from '../../api/types.ts'
import { RichEditor } from './rich-editor.tsx'

/** The message text: the rich editor or a plain textarea; shows the drop target while files are dragged. */
export function ComposeEditor(props: {
  draft: DraftState
  rich: boolean
  dragging: boolean
  onChange: (patch: Partial<DraftState>) => void
}) {
  return (
    <Editor $dragging={props.dragging}>
      {props.rich ? (
        <RichEditor
          initialHtml={props.draft.html ?? escapeText(props.draft.text)}
          onChange={(html, text) => props.onChange({ html, text })}
        />
      ) : (
        <textarea
          aria-label="Message text"
          placeholder="Write your message…"
          value={props.draft.text}
          onChange={(e) => props.onChange({ text: e.target.value })}
          // biome-ignore lint/a11y/noAutofocus: replies and forwards start writing above the quote
          autoFocus={props.draft.to.length > 0 && !!props.draft.subject}
          onFocus={(e) => {
            if (
              props.draft.mode !== 'new' &&
              e.currentTarget.selectionStart === e.currentTarget.value.length
            ) {
              e.currentTarget.setSelectionRange(0, 0)
            }
          }}
        />
      )}
      {props.dragging && <DropHint aria-hidden="true">Drop files to attach</DropHint>}
    </Editor>
  )
}

function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\n/g, '<br>')
}

const Editor = styled.div<{ $dragging: boolean }>`
  position: relative;
  flex: 1;
  min-height: 0;
  display: flex;
  flex-direction: column;
  padding: 8px 16px;
  outline: ${(p) => (p.$dragging ? `3px dashed ${p.theme.color.accent}` : 'none')};
  outline-offset: -6px;
  textarea {
    flex: 1;
    resize: none;
    border: none;
    background: transparent;
    outline: none;
    line-height: 1.5;
  }
`

const DropHint = styled.div`
  position: absolute;
  inset: 8px;
  display: grid;
  place-items: center;
  font-weight: 700;
  color: ${(p) => p.theme.color.accent};
  background: ${(p) => p.theme.color.accentSoft};
  border-radius: ${(p) => p.theme.radius};
  pointer-events: none;
`
