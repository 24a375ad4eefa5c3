import styled from 'styled-components'
import type { ResourceRefView } from '../../api/types.ts'
import { Icon } from '../../components/icons.tsx'
import { formatSize } from '../../lib/format.ts'
import type { UploadItem } from './use-uploads.ts'

/** The attachments of a draft, and the uploads in flight or failed (each with remove / cancel). */
export function ComposeAttachments(props: {
  attachments: ResourceRefView[]
  uploads: UploadItem[]
  onRemove: (ref: ResourceRefView) => void
  onCancel: (key: string) => void
}) {
  if (props.attachments.length === 0 && props.uploads.length === 0) return null
  return (
    <List aria-label="Attachments">
      {props.attachments.map((a) => (
        <li key={a.contentId}>
          <Icon name="attach" size={15} />
          <span className="name">{a.filename ?? 'attachment'}</span>
          <span className="size">{formatSize(a.size)}</span>
          <button
            type="button"
            aria-label={`Remove ${a.filename ?? 'attachment'}`}
            onClick={() => props.onRemove(a)}
          >
            <Icon name="close" size={14} />
          </button>
        </li>
      ))}
      {props.uploads.map((u) => (
        <li key={u.key} data-state={u.state}>
          <Icon name="attach" size={15} />
          <span className="name">{u.filename}</span>
          {u.state === 'uploading' ? (
            <progress max={u.size || 1} value={u.loaded} aria-label={`Uploading ${u.filename}`} />
          ) : (
            <span className="error" role="alert">
              {u.error}
            </span>
          )}
          <button
            type="button"
            aria-label={u.state === 'uploading' ? `Cancel ${u.filename}` : `Remove ${u.filename}`}
            onClick={() => props.onCancel(u.key)}
          >
            <Icon name="close" size={14} />
          </button>
        </li>
      ))}
    </List>
  )
}

const List = styled.ul`
  list-style: none;
  margin: 0;
  padding: 4px 16px;
  display: flex;
  flex-direction: column;
  gap: 4px;
  max-height: 140px;
  overflow: auto;
  li {
    display: flex;
    align-items: center;
    gap: 8px;
    padding: 4px 4px 4px 10px;
    border-radius: 6px;
    background: ${(p) => p.theme.color.surfaceAlt};
    font-size: 0.9rem;
  }
  li[data-state='error'] {
    outline: 1px solid ${(p) => p.theme.color.danger};
  }
  .name {
    flex: 1;
    min-width: 0;
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
  .size {
    color: ${(p) => p.theme.color.textMuted};
  }
  .error {
    color: ${(p) => p.theme.color.danger};
  }
  progress {
    width: 120px;
  }
  button {
    display: inline-flex;
    border: none;
    background: none;
    cursor: pointer;
    padding: 4px 6px;
    color: ${(p) => p.theme.color.textMuted};
  }
`
