import { lazy, Suspense, useState } from 'react'
import styled from 'styled-components'
import type { ResourceView } from '../../api/types.ts'
import { Icon } from '../../components/icons.tsx'
import { explainError } from '../../lib/explain.ts'
import { formatSize } from '../../lib/format.ts'
import { useMail } from '../../state/mail-context.ts'
import { pushNotice } from '../../state/mail-store.ts'
import { useImageUrls, viewableImages } from './use-image-urls.ts'

const isPdf = (a: ResourceView) => /^application\/pdf\s*(;|$)/i.test(a.mediaType)

// The viewer loads on first use (initial JS budget).
const Lightbox = lazy(() => import('./lightbox.tsx').then((m) => ({ default: m.Lightbox })))

/** Attachments with name, size and type; download goes through a short-lived signed link. */
export function AttachmentList(props: { attachments: ResourceView[]; messageId?: string }) {
  const { api, store } = useMail()
  const images = viewableImages(props.attachments)
  const urls = useImageUrls(props.messageId ?? '', images)
  const [viewing, setViewing] = useState<number>()
  if (props.attachments.length === 0) return null

  const handleDownload = async (a: ResourceView) => {
    try {
      const url = await api.downloadUrl({
        contentId: a.contentId,
        ...(a.filename ? { filename: a.filename } : {}),
      })
      const link = document.createElement('a')
      link.href = url
      link.download = a.filename ?? 'attachment'
      link.rel = 'noopener'
      document.body.append(link)
      link.click()
      link.remove()
    } catch (error) {
      pushNotice(store, { kind: 'error', text: explainError(error, 'Download failed').sentence })
    }
  }

  const handleOpenPdf = async (a: ResourceView) => {
    // Opened synchronously (the click's activation), then pointed at the signed link.
    const tab = window.open('', '_blank')
    try {
      const url = await api.downloadUrl({
        contentId: a.contentId,
        mediaType: 'application/pdf',
        view: true,
        ...(a.filename ? { filename: a.filename } : {}),
      })
      if (tab) {
        tab.opener = null
        tab.location.href = url
      } else window.location.assign(url)
    } catch (error) {
      tab?.close()
      pushNotice(store, { kind: 'error', text: explainError(error, 'The PDF could not be opened').sentence })
    }
  }

  return (
    <Section aria-label="Attachments">
      <h2>
        {props.attachments.length} attachment{props.attachments.length === 1 ? '' : 's'}
      </h2>
      <ul>
        {props.attachments.map((a) => (
          <li key={a.contentId}>
            {urls?.has(a.contentId) ? (
              <button
                type="button"
                className="thumb"
                aria-label={`View ${a.filename ?? 'image'}`}
                onClick={() => setViewing(images.indexOf(a))}
              >
                <img src={urls.get(a.contentId)} alt="" />
              </button>
            ) : (
              <Icon name="attach" />
            )}
            <span className="meta">
              <span className="name">{a.filename ?? 'Unnamed attachment'}</span>
              <span className="info">
                {formatSize(a.size)} · {a.mediaType.split(';')[0]}
                {!a.available && ' · arriving…'}
              </span>
            </span>
            {isPdf(a) && (
              <button
                type="button"
                disabled={!a.available}
                onClick={() => void handleOpenPdf(a)}
                aria-label={`Open ${a.filename ?? 'PDF'} in the browser`}
              >
                <Icon name="link" />
              </button>
            )}
            <button
              type="button"
              disabled={!a.available}
              onClick={() => void handleDownload(a)}
              aria-label={`Download ${a.filename ?? 'attachment'}`}
            >
              <Icon name="download" />
            </button>
          </li>
        ))}
      </ul>
      {viewing !== undefined && urls && (
        <Suspense fallback={null}>
          <Lightbox images={images} urls={urls} start={viewing} onClose={() => setViewing(undefined)} />
        </Suspense>
      )}
    </Section>
  )
}

const Section = styled.section`
  margin-top: 16px;
  h2 {
    font-size: 0.9rem;
    color: ${(p) => p.theme.color.textMuted};
    margin: 0 0 8px;
  }
  ul {
    list-style: none;
    margin: 0;
    padding: 0;
    display: flex;
    flex-wrap: wrap;
    gap: 8px;
  }
  li {
    display: flex;
    align-items: center;
    gap: 10px;
    padding: 8px 8px 8px 12px;
    border: 1px solid ${(p) => p.theme.color.border};
    border-radius: ${(p) => p.theme.radius};
    background: ${(p) => p.theme.color.surfaceAlt};
    max-width: 320px;
  }
  .meta {
    display: flex;
    flex-direction: column;
    min-width: 0;
  }
  .name {
    font-weight: 600;
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
  .info {
    font-size: 0.8rem;
    color: ${(p) => p.theme.color.textMuted};
  }
  .thumb {
    padding: 0;
    border-radius: 4px;
    width: 56px;
    height: 56px;
    flex: none;
    overflow: hidden;
    img {
      width: 100%;
      height: 100%;
      object-fit: cover;
      display: block;
    }
  }
  button {
    border: none;
    background: none;
    color: ${(p) => p.theme.color.accent};
    cursor: pointer;
    padding: 6px;
    border-radius: 50%;
    &:hover:not(:disabled) {
      background: ${(p) => p.theme.color.hover};
    }
    &:disabled {
      color: ${(p) => p.theme.color.textMuted};
      cursor: default;
    }
  }
`
