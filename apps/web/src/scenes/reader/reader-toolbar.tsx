import type { RefObject } from 'react'
import styled from 'styled-components'
import type { MailboxInfo, MessageSummary } from '../../api/types.ts'
import { IconButton } from '../../components/button.tsx'
import { Icon } from '../../components/icons.tsx'
import { useMessageActions } from '../mailbox/use-message-actions.ts'

/**
 * Runs a follow-up navigation only if the user is still where the action started: a slow archive must
 * not pull them back from the mailbox they have since opened.
 */
export function ifStillHere(fn: () => void): (done?: unknown) => void {
  const at = window.location.hash
  // `false`: the user said no (e.g. to "Delete for ever?"), so the view stays on the message.
  return (done) => {
    if (done !== false && window.location.hash === at) fn()
  }
}

/**
 * Where "Move to…" may send a message: never where it is, never into Drafts (a draft is written, not
 * moved there), and into Sent only what this account sent.
 */
function moveTargets(
  mailboxes: MailboxInfo[],
  current: MailboxInfo | undefined,
  sentByMe: boolean,
): MailboxInfo[] {
  return mailboxes.filter(
    (m) => m.id !== current?.id && m.role !== 'drafts' && (m.role !== 'sent' || sentByMe),
  )
}

export interface ReaderToolbarProps {
  phone: boolean
  /** The message is loaded (reply / forward need its content). */
  ready: boolean
  /** A draft: it is edited, not replied to or forwarded. */
  isDraft: boolean
  target: MessageSummary | undefined
  mailbox: MailboxInfo | undefined
  mailboxes: MailboxInfo[]
  sentByMe: boolean
  showDetails: boolean
  onToggleDetails: () => void
  onBack: () => void
  onRemoved: () => void
  actionsRef: RefObject<{ reply(all: boolean): void; forward(): void } | null>
}

/** The reading pane's actions: reply, reply all, forward, archive, restore, trash, unread, star, move. */
export function ReaderToolbar(props: ReaderToolbarProps) {
  const actions = useMessageActions()
  const { target, mailbox } = props
  const inTrash = mailbox?.role === 'trash'
  const starred = (target?.keywords ?? []).includes('$flagged')
  const replyable = props.ready && !props.isDraft
  return (
    <Toolbar role="toolbar" aria-label="Message actions">
      {props.phone && (
        <IconButton type="button" aria-label="Back to the list" onClick={props.onBack}>
          <Icon name="back" />
        </IconButton>
      )}
      {!props.isDraft && (
        <>
          <IconButton
            type="button"
            aria-label="Reply"
            aria-keyshortcuts="r"
            disabled={!replyable}
            onClick={() => props.actionsRef.current?.reply(false)}
          >
            <Icon name="reply" />
          </IconButton>
          <IconButton
            type="button"
            aria-label="Reply all"
            aria-keyshortcuts="a"
            disabled={!replyable}
            onClick={() => props.actionsRef.current?.reply(true)}
          >
            <Icon name="replyAll" />
          </IconButton>
          <IconButton
            type="button"
            aria-label="Forward"
            aria-keyshortcuts="f"
            disabled={!replyable}
            onClick={() => props.actionsRef.current?.forward()}
          >
            <Icon name="forward" />
          </IconButton>
          <Sep />
        </>
      )}
      <IconButton
        type="button"
        aria-label="Archive"
        aria-keyshortcuts="e"
        disabled={!target}
        onClick={() => target && void actions.archive([target]).then(ifStillHere(props.onRemoved))}
      >
        <Icon name="archive" />
      </IconButton>
      {inTrash ? (
        <IconButton
          type="button"
          aria-label="Restore from Trash"
          disabled={!target}
          onClick={() => target && void actions.restore([target]).then(ifStillHere(props.onRemoved))}
        >
          <Icon name="restore" />
        </IconButton>
      ) : null}
      <IconButton
        type="button"
        aria-label={inTrash ? 'Delete for ever' : 'Move to Trash'}
        aria-keyshortcuts="#"
        disabled={!target}
        onClick={() => target && void actions.remove([target]).then(ifStillHere(props.onRemoved))}
      >
        <Icon name="trash" />
      </IconButton>
      <IconButton
        type="button"
        aria-label="Mark as unread"
        disabled={!target}
        onClick={() =>
          target &&
          void actions
            .toggleRead({ ...target, keywords: [...target.keywords, '$seen'] })
            .then(ifStillHere(props.onBack))
        }
      >
        <Icon name="mailOpen" />
      </IconButton>
      <IconButton
        type="button"
        aria-label={starred ? 'Unstar' : 'Star'}
        aria-pressed={starred}
        $active={starred}
        disabled={!target}
        onClick={() => target && void actions.toggleStar(target)}
      >
        <Icon name="star" filled={starred} />
      </IconButton>
      <MoveSelect
        aria-label="Move to mailbox"
        value=""
        disabled={!target}
        onChange={(e) => {
          const dest = props.mailboxes.find((m) => m.id === e.target.value)
          if (dest && target)
            void actions.move([target], dest.id, dest.name).then(ifStillHere(props.onRemoved))
        }}
      >
        <option value="">Move to…</option>
        {moveTargets(props.mailboxes, mailbox, props.sentByMe).map((m) => (
          <option key={m.id} value={m.id}>
            {m.name}
          </option>
        ))}
      </MoveSelect>
      <Sep />
      <IconButton
        type="button"
        aria-label="Show details"
        aria-expanded={props.showDetails}
        $active={props.showDetails}
        onClick={props.onToggleDetails}
      >
        <Icon name="shield" />
      </IconButton>
    </Toolbar>
  )
}

const Toolbar = styled.div`
  display: flex;
  align-items: center;
  gap: 2px;
  padding: 6px 8px;
  border-bottom: 1px solid ${(p) => p.theme.color.border};
  flex-wrap: wrap;
`

const Sep = styled.span`
  width: 1px;
  height: 22px;
  background: ${(p) => p.theme.color.border};
  margin: 0 6px;
`

const MoveSelect = styled.select`
  margin-left: 4px;
  padding: 6px 8px;
  border-radius: ${(p) => p.theme.radius};
  border: 1px solid ${(p) => p.theme.color.border};
  background: ${(p) => p.theme.color.surface};
`
