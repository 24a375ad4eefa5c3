import { useQuery } from '@tanstack/react-query'
import styled from 'styled-components'
import { formatListDate, plural } from '../../lib/format.ts'
import { useMail } from '../../state/mail-context.ts'
import { useMailState } from '../../state/mail-store.ts'

/** Conversation view: the other messages of the thread (X-Thread-ID / References), oldest first. */
export function Conversation(props: { threadId: string | undefined; currentId: string }) {
  const { api, store } = useMail()
  // Messages of this thread the sync engine knows: a new arrival changes the key, so the view refetches.
  const known = useMailState(store, (s) => {
    if (!props.threadId) return 0
    let n = 0
    for (const m of s.cache.messages.values()) if (m.threadId === props.threadId) n++
    return n
  })
  const query = useQuery({
    queryKey: ['thread', props.threadId, known],
    queryFn: () => api.thread(props.threadId as string),
    enabled: !!props.threadId,
    staleTime: 10_000,
  })
  const items = [...(query.data ?? [])].sort((a, b) => a.receivedAt - b.receivedAt)
  if (items.length < 2) return null
  const now = new Date()
  return (
    <Wrap>
      <summary>Conversation · {plural(items.length, 'message')}</summary>
      <ol>
        {items.map((m) => (
          <li key={m.id} aria-current={m.id === props.currentId ? 'true' : undefined}>
            <a href={`#/m/${encodeURIComponent(m.mailboxId)}/${encodeURIComponent(m.id)}`}>
              <strong>{m.from?.name ?? m.from?.address ?? '?'}</strong>
              <span className="preview">{m.preview}</span>
              <time dateTime={new Date(m.receivedAt).toISOString()}>
                {formatListDate(new Date(m.receivedAt), now)}
              </time>
            </a>
          </li>
        ))}
      </ol>
    </Wrap>
  )
}

const Wrap = styled.details`
  margin-bottom: 12px;
  font-size: 0.9rem;
  summary {
    cursor: pointer;
    color: ${(p) => p.theme.color.accent};
    font-weight: 600;
  }
  ol {
    list-style: none;
    margin: 8px 0 0;
    padding: 0;
    border: 1px solid ${(p) => p.theme.color.border};
    border-radius: ${(p) => p.theme.radius};
  }
  li + li {
    border-top: 1px solid ${(p) => p.theme.color.border};
  }
  li[aria-current='true'] {
    background: ${(p) => p.theme.color.selected};
  }
  a {
    display: flex;
    gap: 10px;
    padding: 8px 12px;
    color: inherit;
    text-decoration: none;
  }
  .preview {
    flex: 1;
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
    color: ${(p) => p.theme.color.textMuted};
  }
  time {
    color: ${(p) => p.theme.color.textMuted};
  }
`
