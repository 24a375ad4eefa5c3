import { type KeyboardEvent, useEffect, useRef, useState } from 'react'
import styled from 'styled-components'
import type { ResourceView } from '../../api/types.ts'
import { Icon } from '../../components/icons.tsx'
import { formatSize } from '../../lib/format.ts'
import { lightboxKey, stepIndex } from '../../lib/gallery.ts'

/**
 * The image viewer: one image at a time, full size, with next/previous buttons and keys (arrows,
 * Home/End, Escape closes). A modal <dialog>, so focus stays inside and returns when it closes.
 */
export function Lightbox(props: {
  images: ResourceView[]
  urls: Map<string, string>
  start: number
  onClose: () => void
}) {
  const ref = useRef<HTMLDialogElement>(null)
  const [index, setIndex] = useState(props.start)
  const count = props.images.length
  const image = props.images[index]

  useEffect(() => {
    const dialog = ref.current
    if (dialog && !dialog.open) dialog.showModal()
    const cancel = (e: Event) => {
      e.preventDefault()
      props.onClose()
    }
    dialog?.addEventListener('cancel', cancel)
    return () => dialog?.removeEventListener('cancel', cancel)
  }, [props.onClose])

  const handleKey = (event: KeyboardEvent) => {
    const action = lightboxKey(event.key)
    if (!action) return
    event.preventDefault()
    event.stopPropagation()
    if (action === 'close') props.onClose()
    else if (action === 'next') setIndex((i) => stepIndex(i, 1, count))
    else if (action === 'previous') setIndex((i) => stepIndex(i, -1, count))
    else if (action === 'first') setIndex(0)
    else setIndex(count - 1)
  }

  if (!image) return null
  const name = image.filename ?? 'Image'
  return (
    <Viewer ref={ref} aria-label={`Image viewer: ${name}`} onKeyDown={handleKey} data-testid="lightbox">
      <header>
        <span className="title">
          {name} <span className="muted">· {formatSize(image.size)}</span>
        </span>
        <span className="muted" aria-live="polite">
          {index + 1} of {count}
        </span>
        <button type="button" className="close" onClick={props.onClose} aria-label="Close viewer">
          <Icon name="close" />
        </button>
      </header>
      <div className="stage">
        {count > 1 && (
          <button
            type="button"
            className="nav"
            aria-label="Previous image"
            onClick={() => setIndex((i) => stepIndex(i, -1, count))}
          >
            <Icon name="back" size={26} />
          </button>
        )}
        <img src={props.urls.get(image.contentId)} alt={name} />
        {count > 1 && (
          <button
            type="button"
            className="nav"
            aria-label="Next image"
            onClick={() => setIndex((i) => stepIndex(i, 1, count))}
          >
            <span className="flip">
              <Icon name="back" size={26} />
            </span>
          </button>
        )}
      </div>
    </Viewer>
  )
}

const Viewer = styled.dialog`
  width: 100vw;
  height: 100vh;
  max-width: 100vw;
  max-height: 100vh;
  margin: 0;
  padding: 0;
  border: none;
  background: rgba(12, 14, 18, 0.97);
  color: #f4f5f8;
  &::backdrop {
    background: rgba(12, 14, 18, 0.6);
  }
  &[open] {
    display: flex;
    flex-direction: column;
  }
  header {
    display: flex;
    align-items: center;
    gap: 16px;
    padding: 10px 16px;
  }
  .title {
    flex: 1;
    font-weight: 600;
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
  .muted {
    color: #c3c8d2;
    font-weight: 400;
  }
  .stage {
    flex: 1;
    min-height: 0;
    display: flex;
    align-items: center;
    justify-content: center;
    gap: 8px;
    padding: 0 8px 16px;
  }
  img {
    max-width: calc(100% - 112px);
    max-height: 100%;
    object-fit: contain;
    background: #ffffff;
  }
  button {
    border: none;
    background: rgba(255, 255, 255, 0.12);
    color: #ffffff;
    cursor: pointer;
    border-radius: 50%;
    width: 44px;
    height: 44px;
    display: grid;
    place-items: center;
    flex: none;
    &:hover,
    &:focus-visible {
      background: rgba(255, 255, 255, 0.26);
    }
  }
  .nav {
    display: grid;
    place-items: center;
  }
  .flip {
    display: inline-grid;
    transform: scaleX(-1);
  }
`
