import { useEffect, useRef, useState } from 'react'
import styled from 'styled-components'
import { Icon, type IconName } from '../../components/icons.tsx'
import { sanitizeForEditor } from '../../lib/editor-html.ts'
import { LinkDialog } from './link-dialog.tsx'

const COMMANDS = [
  { command: 'bold', label: 'Bold', icon: 'bold' },
  { command: 'italic', label: 'Italic', icon: 'italic' },
  { command: 'underline', label: 'Underline', icon: 'underline' },
  { command: 'insertUnorderedList', label: 'Bulleted list', icon: 'listBullet' },
  { command: 'insertOrderedList', label: 'Numbered list', icon: 'listNumbered' },
] as const satisfies readonly { command: string; label: string; icon: IconName }[]

/**
 * A small rich-text editor (contentEditable + execCommand): enough for bold, italic, lists and links.
 * It reports both the HTML and its text rendering, so the message always carries a text part too.
 */
export function RichEditor(props: { initialHtml: string; onChange: (html: string, text: string) => void }) {
  const ref = useRef<HTMLDivElement>(null)
  const initial = useRef(props.initialHtml)
  const savedRange = useRef<Range | undefined>(undefined)
  const [askingLink, setAskingLink] = useState(false)
  const [pendingLink, setPendingLink] = useState<string>()
  // The link goes in once the modal dialog is gone (while it is open the editor is inert).
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs when a link was asked for, nothing else
  useEffect(() => {
    if (!pendingLink) return
    setPendingLink(undefined)
    ref.current?.focus()
    const range = savedRange.current
    const selection = window.getSelection()
    if (range && selection) {
      selection.removeAllRanges()
      selection.addRange(range)
    }
    // A link on nothing selected gets its address as its text.
    if (!range || range.collapsed) {
      const href = pendingLink.replace(/"/g, '%22')
      document.execCommand(
        'insertHTML',
        false,
        `<a href="${href}">${pendingLink.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</a>`,
      )
      emit()
    } else run('createLink', pendingLink)
  }, [pendingLink])
  useEffect(() => {
    // Drafts can hold HTML someone else wrote (a received message moved to Drafts): sanitise it.
    if (ref.current) ref.current.innerHTML = sanitizeForEditor(initial.current)
  }, [])

  const emit = () => {
    const el = ref.current
    // contentEditable types spaces as NBSP; the text part should carry ordinary spaces.
    // biome-ignore lint/performance/useDomNodeTextContent: innerText keeps the line breaks the text part needs
    if (el) props.onChange(el.innerHTML, el.innerText.replace(/\u00a0/g, ' '))
  }
  const run = (command: string, value?: string) => {
    ref.current?.focus()
    document.execCommand(command, false, value)
    emit()
  }

  return (
    <Wrap>
      <Tools role="toolbar" aria-label="Formatting">
        {COMMANDS.map((c) => (
          <button
            key={c.command}
            type="button"
            aria-label={c.label}
            title={c.label}
            onMouseDown={(e) => e.preventDefault()}
            onClick={() => run(c.command)}
          >
            <Icon name={c.icon} size={16} />
          </button>
        ))}
        <button
          type="button"
          aria-label="Insert link"
          title="Insert link"
          onMouseDown={(e) => e.preventDefault()}
          onClick={() => {
            // The dialog takes the focus: keep where the link goes.
            const selection = window.getSelection()
            const range = selection?.rangeCount ? selection.getRangeAt(0) : undefined
            savedRange.current =
              range && ref.current?.contains(range.commonAncestorContainer) ? range : undefined
            setAskingLink(true)
          }}
        >
          <Icon name="link" size={16} />
        </button>
      </Tools>
      {askingLink && (
        <LinkDialog
          onClose={() => setAskingLink(false)}
          onInsert={(url) => {
            setAskingLink(false)
            setPendingLink(url)
          }}
        />
      )}
      <Area
        ref={ref}
        contentEditable
        suppressContentEditableWarning
        role="textbox"
        aria-multiline="true"
        aria-label="Message text"
        tabIndex={0}
        onInput={emit}
      />
    </Wrap>
  )
}

const Wrap = styled.div`
  flex: 1;
  min-height: 0;
  display: flex;
  flex-direction: column;
`

const Tools = styled.div`
  display: flex;
  gap: 2px;
  padding-bottom: 6px;
  button {
    display: inline-grid;
    place-items: center;
    color: inherit;
    min-width: 32px;
    height: 30px;
    border: 1px solid ${(p) => p.theme.color.border};
    background: ${(p) => p.theme.color.surfaceAlt};
    border-radius: 6px;
    cursor: pointer;
    font-weight: 700;
  }
`

const Area = styled.div`
  flex: 1;
  overflow: auto;
  outline: none;
  line-height: 1.5;
  padding: 4px 0;
`
